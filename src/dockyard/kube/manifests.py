"""Application records -> Kubernetes objects (plain dicts, in the order `kubectl apply` wants).

Pure: no client, no files. `Document` keeps the comment lines that go above an object in the
YAML (`depends_on` has no Kubernetes form, so it is written down there, as a warning).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from . import names, quantity
from .probes import probe_from_health
from .spec import Application, ConfigData, Container, Mount, Workload

KINDS = ("deployment", "pod", "daemonset", "job")
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
NODE_PORTS = range(30000, 32768)
DEFAULT_CLAIM_SIZE = "1Gi"


@dataclass
class Options:
    kind: str | None = None  # None: a Deployment, or a Job for restart "no"/"on-failure"
    service_type: str = "ClusterIP"
    pull_secret: str = ""  # the name of a dockerconfigjson Secret the pods pull with


@dataclass
class Document:
    body: dict[str, Any]
    comments: list[str] = field(default_factory=list)


def render(app: Application, opts: Options) -> tuple[list[Document], list[str]]:
    """The documents for `app`, and warnings for what does not carry over."""
    warnings: list[str] = []
    docs = [Document(_config_object(c)) for c in app.configs]
    claims: dict[str, None] = {}
    for w in app.workloads:
        for c in w.containers:
            for m in c.mounts:
                if m.kind == "volume":
                    claims.setdefault(names.dns_label(m.source))
    docs += [Document(_claim(name)) for name in claims]
    for w in app.workloads:
        docs.append(_workload(w, opts, warnings))
        service = _service(w, opts, warnings)
        if service is not None:
            docs.append(Document(service))
    return docs, warnings


# --- workloads -------------------------------------------------------------------------------


def kind_of(w: Workload, requested: str | None) -> str:
    if requested:
        return requested
    return "job" if w.restart in ("no", "on-failure") else "deployment"


def _restart_policy(w: Workload, kind: str, warnings: list[str]) -> str:
    wanted = {"on-failure": "OnFailure", "no": "Never"}.get(w.restart, "Always")
    if kind in ("deployment", "daemonset"):
        if wanted != "Always":
            warnings.append(
                f"{w.name}: restart {w.restart!r} becomes restartPolicy Always "
                f"(a {kind.capitalize()} always restarts its pods)"
            )
        return "Always"
    if kind == "job" and wanted == "Always":
        return "OnFailure"  # a Job's pods run to completion
    return wanted


def _metadata(w: Workload) -> tuple[dict[str, str], dict[str, str]]:
    labels = {names.NAME_LABEL: w.name}
    if w.project:
        labels[names.PART_OF_LABEL] = names.dns_label(w.project)
    annotations: dict[str, str] = {}
    for key, value in w.labels.items():
        if names.is_label_key(key) and names.is_label_value(value):
            labels.setdefault(key, value)
        elif names.is_label_key(key):
            annotations[key] = value
    return labels, annotations


def _workload(w: Workload, opts: Options, warnings: list[str]) -> Document:
    kind = kind_of(w, opts.kind)
    labels, annotations = _metadata(w)
    meta: dict[str, Any] = {"name": w.name, "labels": labels}
    if annotations:
        meta["annotations"] = annotations
    pod = _pod_spec(w, _restart_policy(w, kind, warnings), opts, warnings)
    selector = {names.NAME_LABEL: w.name}
    template = {"metadata": {"labels": dict(labels)}, "spec": pod}
    if kind == "pod":
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod}
    elif kind == "job":
        spec: dict[str, Any] = {"template": template}
        spec["backoffLimit"] = w.max_retries if w.restart == "on-failure" and w.max_retries else 6
        if w.restart == "no":
            spec["backoffLimit"] = 0
        if w.replicas > 1:
            spec["completions"] = spec["parallelism"] = w.replicas
        body = {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec}
    else:
        spec = {"selector": {"matchLabels": selector}, "template": template}
        if kind == "deployment":
            spec = {"replicas": w.replicas, **spec}
        elif w.replicas > 1:
            warnings.append(f"{w.name}: a DaemonSet runs one pod per node, not {w.replicas}")
        body = {
            "apiVersion": "apps/v1",
            "kind": "Deployment" if kind == "deployment" else "DaemonSet",
            "metadata": meta,
            "spec": spec,
        }
    comments = []
    if w.depends_on:
        comments.append(
            f"depends_on: {', '.join(w.depends_on)} -- Kubernetes has no start order: "
            f"{w.name} must wait for them itself (or retry)"
        )
        warnings.append(f"{w.name}: depends_on has no Kubernetes form; written as a comment")
    return Document(body, comments)


def _pod_spec(w: Workload, restart: str, opts: Options, warnings: list[str]) -> dict[str, Any]:
    volumes: dict[str, dict[str, Any]] = {}
    containers = [_container(w, c, volumes, warnings) for c in w.containers]
    spec: dict[str, Any] = {"containers": containers, "restartPolicy": restart}
    if w.hostname and names.is_dns_label(w.hostname):
        spec["hostname"] = w.hostname
    if w.stop_grace is not None:
        spec["terminationGracePeriodSeconds"] = w.stop_grace
    if volumes:
        spec["volumes"] = list(volumes.values())
    if opts.pull_secret:
        spec["imagePullSecrets"] = [{"name": opts.pull_secret}]
    return spec


def _security(w: Workload, c: Container, warnings: list[str]) -> dict[str, Any]:
    sec: dict[str, Any] = {}
    if c.user:
        uid, _, gid = c.user.partition(":")
        if uid.isdigit():
            sec["runAsUser"] = int(uid)
            if gid.isdigit():
                sec["runAsGroup"] = int(gid)
        else:
            warnings.append(
                f"{w.name}/{c.name}: user {c.user!r} is not numeric; Kubernetes takes "
                "runAsUser by number only, so the image's user applies"
            )
    caps: dict[str, list[str]] = {}
    if c.cap_add:
        caps["add"] = [cap.removeprefix("CAP_") for cap in c.cap_add]
    if c.cap_drop:
        caps["drop"] = [cap.removeprefix("CAP_") for cap in c.cap_drop]
    if caps:
        sec["capabilities"] = caps
    if c.privileged:
        sec["privileged"] = True
    if c.read_only:
        sec["readOnlyRootFilesystem"] = True
    return sec


def _container(
    w: Workload, c: Container, volumes: dict[str, dict[str, Any]], warnings: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {"name": c.name, "image": c.image}
    if c.command is not None:
        out["command"] = list(c.command)
    if c.args is not None:
        out["args"] = list(c.args)
    if c.env:
        out["env"] = [{"name": k, "value": v} for k, v in c.env.items()]
    if c.env_from:
        out["envFrom"] = [{"configMapRef": {"name": n}} for n in c.env_from]
    if c.working_dir:
        out["workingDir"] = c.working_dir
    ports = _unique_ports(c)
    if ports:
        out["ports"] = [{"containerPort": p, "protocol": proto} for p, proto in ports]
    limits = {}
    if c.memory:
        limits["memory"] = quantity.from_bytes(c.memory)
    if c.nano_cpus:
        limits["cpu"] = quantity.from_nano_cpus(c.nano_cpus)
    if limits:
        out["resources"] = {"limits": limits}
    sec = _security(w, c, warnings)
    if sec:
        out["securityContext"] = sec
    mounts = [_mount(w, c, m, volumes, warnings) for m in c.mounts]
    if mounts:
        out["volumeMounts"] = mounts
    if c.health is not None:
        out["livenessProbe"] = probe_from_health(c.health)
        out["readinessProbe"] = probe_from_health(c.health)
    if c.tty:
        out["tty"] = True
    if c.stdin_open:
        out["stdin"] = True
    return out


def _unique_ports(c: Container) -> list[tuple[int, str]]:
    seen: dict[tuple[int, str], None] = {}
    for p in c.ports:
        seen.setdefault((p.container_port, p.protocol))
    return list(seen)


def _volume_source(m: Mount) -> tuple[str, dict[str, Any]]:
    """The pod volume's name and source for a mount."""
    if m.kind == "volume":
        claim = names.dns_label(m.source)
        return claim, {"persistentVolumeClaim": {"claimName": claim}}
    if m.kind == "bind":
        return names.dns_label("host" + m.source), {"hostPath": {"path": m.source}}
    if m.kind == "tmpfs":
        empty: dict[str, Any] = {"medium": "Memory"}
        if m.size:
            empty["sizeLimit"] = quantity.from_bytes(m.size)
        return names.dns_label("tmp" + m.target), {"emptyDir": empty}
    if m.kind == "config":
        return names.dns_label(m.source), {"configMap": {"name": m.source}}
    if m.kind == "secret":
        return names.dns_label(m.source), {"secret": {"secretName": m.source}}
    return names.dns_label("anon" + m.target), {"emptyDir": {}}


def _mount(
    w: Workload, c: Container, m: Mount, volumes: dict[str, dict[str, Any]], warnings: list[str]
) -> dict[str, Any]:
    name, source = _volume_source(m)
    if name not in volumes:
        volumes[name] = {"name": name, **source}
        if m.kind == "bind":
            warnings.append(
                f"{w.name}/{c.name}: bind mount {m.source} becomes a hostPath volume: "
                "it reads the node's own directory, which other nodes do not have"
            )
    out: dict[str, Any] = {"name": name, "mountPath": m.target}
    if m.sub_path:
        out["subPath"] = m.sub_path
    if m.read_only:
        out["readOnly"] = True
    return out


# --- services, claims, configs ---------------------------------------------------------------


def _service(w: Workload, opts: Options, warnings: list[str]) -> dict[str, Any] | None:
    if kind_of(w, opts.kind) == "job":
        return None
    published: dict[tuple[int, str], int | None] = {}
    for c in w.containers:
        for p in c.ports:
            key = (p.container_port, p.protocol)
            if published.get(key) is None:
                published[key] = p.host_port
    if not published:
        return None
    ports = []
    for (target, proto), host_port in published.items():
        entry: dict[str, Any] = {
            "name": f"{target}-{proto.lower()}",
            "port": target,
            "targetPort": target,
            "protocol": proto,
        }
        if opts.service_type == "LoadBalancer" and host_port:
            entry["port"] = host_port
        if opts.service_type == "NodePort" and host_port:
            if host_port in NODE_PORTS:
                entry["nodePort"] = host_port
            else:
                warnings.append(
                    f"{w.name}: host port {host_port} is outside the NodePort range "
                    "30000-32767; the cluster picks the node port"
                )
        ports.append(entry)
    labels, _ = _metadata(w)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": w.name, "labels": labels},
        "spec": {
            "type": opts.service_type,
            "selector": {names.NAME_LABEL: w.name},
            "ports": ports,
        },
    }


def _claim(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": DEFAULT_CLAIM_SIZE}},
        },
    }


def _config_object(c: ConfigData) -> dict[str, Any]:
    if c.secret:
        data = {k: base64.b64encode(v.encode()).decode() for k, v in c.data.items()}
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": c.name},
            "type": "Opaque",
            "data": data,
        }
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": c.name}, "data": c.data}


def pull_secret(name: str, dockerconfigjson: str) -> dict[str, Any]:
    """The imagePullSecrets Secret: ~/.docker/config.json's auth for the registry."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": base64.b64encode(dockerconfigjson.encode()).decode()},
    }
