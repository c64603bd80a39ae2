"""Kubernetes documents -> what `kube play` creates: volumes, pods, the play's network.

Pure and complete before anything is created, so bad input fails with its path and reason
while the host is still untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import names
from .podspec import Configs, PodContext, PodPlan, pod_plan, read_config
from .support import KINDS, unsupported
from .validate import describe
from .yamlio import ManifestError

DEFAULT_NETWORK = "kube"
DEFAULT_INFRA_IMAGE = "busybox"


@dataclass
class Source:
    """One document and where it came from (for messages)."""

    doc: dict[str, Any]
    where: str  # "app.yaml: document 2 (Deployment/web)"


@dataclass
class Plan:
    network: str
    claims: list[str] = field(default_factory=list)  # named volumes (PersistentVolumeClaims)
    pods: list[PodPlan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def sources(docs: list[dict[str, Any]], origin: str) -> list[Source]:
    return [Source(d, f"{origin}: {describe(d, i)}") for i, d in enumerate(docs)]


def owner(doc: dict[str, Any]) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def owners(srcs: list[Source]) -> set[str]:
    """What `kube down` removes for these documents: their objects and the claims they use."""
    out = set()
    for s in srcs:
        meta = s.doc.get("metadata")
        if s.doc.get("kind") not in KINDS or not isinstance(meta, dict) or not meta.get("name"):
            continue
        out.add(owner(s.doc))
        spec = _pod_spec(s.doc) or {}
        for vol in spec.get("volumes") or []:
            claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
            if claim:
                out.add(f"PersistentVolumeClaim/{claim}")
    return out


def _pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    if doc.get("kind") == "Pod":
        return doc.get("spec")
    if doc.get("kind") in ("Deployment", "DaemonSet", "Job"):
        return ((doc.get("spec") or {}).get("template") or {}).get("spec")
    return None


def _replicas(doc: dict[str, Any]) -> list[str]:
    """The names of the pods a workload runs on this host."""
    name, spec = doc["metadata"]["name"], doc.get("spec") or {}
    kind = doc["kind"]
    if kind == "Pod":
        return [name]
    if kind == "DaemonSet":
        return [f"{name}-1"]  # one node: one pod
    count = spec.get("replicas", 1) if kind == "Deployment" else spec.get("completions", 1)
    return [f"{name}-{i + 1}" for i in range(int(count))]


def _workload(s: Source, configs: Configs, network: str, infra_image: str, plan: Plan) -> None:
    doc, kind = s.doc, s.doc["kind"]
    spec = doc.get("spec") or {}
    if kind == "Pod":
        labels = (doc["metadata"].get("labels")) or {}
        pod_path = "spec"
    else:
        unsupported(spec, kind.lower(), "spec", plan.warnings, s.where)
        template = spec.get("template") or {}
        unsupported(
            template.get("metadata"), "metadata", "spec.template.metadata", plan.warnings, s.where
        )
        labels = (template.get("metadata") or {}).get("labels") or {}
        selector = ((spec.get("selector") or {}).get("matchLabels")) or {}
        if any(labels.get(k) != v for k, v in selector.items()):
            raise ManifestError(
                f"{s.where}: spec.selector.matchLabels: does not match the template's labels"
            )
        pod_path = "spec.template.spec"
    backoff = spec.get("backoffLimit", 6) if kind == "Job" else None
    pod = _pod_spec(doc) or {}
    for name in _replicas(doc):
        ctx = PodContext(
            name=names.dns_label(name),
            owner=owner(doc),
            where=s.where,
            path=pod_path,
            network=network,
            infra_image=infra_image,
            configs=configs,
            backoff=backoff,
        )
        plan.pods.append(pod_plan(pod, labels, ctx))
        for w in ctx.warnings:  # one pod's warnings stand for all replicas
            if w not in plan.warnings:
                plan.warnings.append(w)


def _service(s: Source, plan: Plan) -> None:
    spec = s.doc.get("spec") or {}
    unsupported(spec, "service", "spec", plan.warnings, s.where)
    name = s.doc["metadata"]["name"]
    selector = spec.get("selector") or {}
    chosen = [
        p for p in plan.pods if selector and all(p.labels.get(k) == v for k, v in selector.items())
    ]
    if not chosen:
        plan.warnings.append(f"{s.where}: spec.selector: selects no pod of this play")
        return
    for p in chosen:
        p.infra.body["NetworkingConfig"]["EndpointsConfig"][plan.network]["Aliases"].append(name)
    kind = spec.get("type") or "ClusterIP"
    for i, port in enumerate(spec.get("ports") or []):
        here = f"spec.ports.{i}"
        unsupported(port, "servicePort", here, plan.warnings, s.where)
        target = _target_port(port, chosen[0], s.where, here)
        if target != port["port"]:
            plan.warnings.append(
                f"{s.where}: {here}: the service is reached on its pods' port {target} "
                f"(no service proxy on one host maps port {port['port']})"
            )
        host_port = port.get("nodePort") if kind == "NodePort" else None
        if kind == "LoadBalancer":
            host_port = port["port"]
        if kind not in ("NodePort", "LoadBalancer"):
            continue
        if len(chosen) > 1:
            plan.warnings.append(
                f"{s.where}: {here}: the host port reaches pod {chosen[0].name} only "
                "(no load balancer on one host)"
            )
        spec_key = f"{target}/{(port.get('protocol') or 'TCP').lower()}"
        infra = chosen[0].infra.body
        infra["ExposedPorts"][spec_key] = {}
        infra["HostConfig"]["PortBindings"].setdefault(spec_key, []).append(
            {"HostIp": "", "HostPort": str(host_port or "")}
        )


def _target_port(port: dict[str, Any], pod: PodPlan, where: str, path: str) -> int:
    target = port.get("targetPort", port["port"])
    if isinstance(target, int):
        return target
    if str(target).isdigit():
        return int(target)
    if target in pod.port_names:
        return pod.port_names[target]
    raise ManifestError(f"{where}: {path}.targetPort: no container port named {target!r}")


def _check_names(s: Source) -> None:
    """What the API server refuses and the schema does not say: names."""
    name = (s.doc.get("metadata") or {}).get("name")
    if not isinstance(name, str) or not name:
        raise ManifestError(f"{s.where}: metadata.name: required")
    if not names.is_dns_subdomain(name):
        raise ManifestError(
            f"{s.where}: metadata.name: {name!r} is not a valid name (lowercase letters, "
            "digits, '-' and '.', starting and ending with a letter or digit)"
        )
    spec = _pod_spec(s.doc) or {}
    base = "spec" if s.doc.get("kind") == "Pod" else "spec.template.spec"
    seen: set[str] = set()
    for key in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(key) or []):
            cname, here = c.get("name", ""), f"{s.where}: {base}.{key}.{i}.name"
            if not names.is_dns_label(cname):
                raise ManifestError(f"{here}: {cname!r} is not a valid container name")
            if cname in seen:
                raise ManifestError(f"{here}: {cname!r} is used twice")
            seen.add(cname)


def build(
    srcs: list[Source], network: str = DEFAULT_NETWORK, infra_image: str = DEFAULT_INFRA_IMAGE
) -> Plan:
    """Everything `kube play` will create, or ManifestError naming the document and path."""
    plan = Plan(network=network)
    configs = Configs()
    for s in srcs:
        kind = s.doc.get("kind")
        if kind not in KINDS:
            plan.warnings.append(f"{s.where}: kind {kind} is not supported; skipped")
            continue
        _check_names(s)
        unsupported(s.doc.get("metadata"), "metadata", "metadata", plan.warnings, s.where)
        if kind in ("ConfigMap", "Secret"):
            read_config(s.doc, configs, s.where)
        elif kind == "PersistentVolumeClaim":
            unsupported(s.doc.get("spec"), "claim", "spec", plan.warnings, s.where)
            plan.claims.append(s.doc["metadata"]["name"])
    for s in srcs:
        if s.doc.get("kind") in ("Pod", "Deployment", "DaemonSet", "Job"):
            _workload(s, configs, network, infra_image, plan)
    for s in srcs:
        if s.doc.get("kind") == "Service":
            _service(s, plan)
    for p in plan.pods:
        for claim in p.claims:
            if claim not in plan.claims:
                plan.claims.append(claim)
    seen: set[str] = set()
    for p in plan.pods:
        if p.name in seen:
            raise ManifestError(f"two pods are both named {p.name}")
        seen.add(p.name)
    return plan
