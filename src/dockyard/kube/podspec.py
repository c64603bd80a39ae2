"""One Kubernetes pod spec -> the create bodies of its containers (Engine API JSON).

A pod is an infra container holding the network namespace (Kubernetes' pause) and the
pod's containers joining it (`NetworkMode: container:<infra>`), so `localhost` reaches
every container of the pod and they share its hostname. Pure: the executor (`play`) sends
the bodies.
"""

from __future__ import annotations

import base64
import json
import posixpath
from dataclasses import dataclass, field
from typing import Any

from . import names, quantity
from .probes import health_from_probe, health_to_docker
from .support import unsupported
from .yamlio import ManifestError

INFRA_COMMAND = ["sleep", "2147483647"]


@dataclass
class Configs:
    """The ConfigMaps and Secrets of the played files, decoded: name -> key -> bytes."""

    maps: dict[str, dict[str, bytes]] = field(default_factory=dict)
    secrets: dict[str, dict[str, bytes]] = field(default_factory=dict)

    def lookup(self, secret: bool, name: str, where: str) -> dict[str, bytes]:
        table = self.secrets if secret else self.maps
        if name not in table:
            kind = "Secret" if secret else "ConfigMap"
            raise ManifestError(f"{where}: {kind} {name!r} is not in the played files")
        return table[name]


@dataclass
class ContainerPlan:
    name: str  # the Docker container's name
    body: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)  # absolute path -> content


@dataclass
class PodPlan:
    name: str
    owner: str  # "Kind/name" of the manifest object
    labels: dict[str, str]  # the pod's Kubernetes labels (Services select on them)
    infra: ContainerPlan
    init: list[ContainerPlan]
    containers: list[ContainerPlan]
    volumes: list[str] = field(default_factory=list)  # emptyDir volumes to create
    claims: list[str] = field(default_factory=list)  # named volumes the pod mounts
    port_names: dict[str, int] = field(default_factory=dict)  # named container ports
    # the `auths` of its imagePullSecrets (registry -> config.json entry): images pulled with them
    pull_auths: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class PodContext:
    name: str
    owner: str
    where: str  # "file: document n (Kind/name)" for messages
    path: str  # the pod spec's path in the document
    network: str
    infra_image: str
    configs: Configs
    backoff: int | None = None  # a Job's backoffLimit
    warnings: list[str] = field(default_factory=list)

    def skip(self, obj: Any, section: str, path: str) -> None:
        """Warn about the fields of `obj` that `kube play` does not carry out."""
        unsupported(obj, section, path, self.warnings, self.where)


def _labels(ctx: PodContext, kube_name: str, pod_labels: dict[str, str]) -> dict[str, str]:
    out = dict(pod_labels)
    out.update({names.POD: ctx.name, names.OWNER: ctx.owner, names.CONTAINER: kube_name})
    return out


def _restart(policy: str, ctx: PodContext) -> dict[str, Any]:
    if policy == "Always":
        return {"Name": "always", "MaximumRetryCount": 0}
    retries = ctx.backoff if ctx.backoff is not None else 6
    if policy == "OnFailure" or (ctx.backoff and policy == "Never"):
        # Kubernetes starts a new pod after a failure, up to backoffLimit times; one host
        # restarts the container in place as often.
        return {"Name": "on-failure", "MaximumRetryCount": retries} if retries else {"Name": "no"}
    return {"Name": "no", "MaximumRetryCount": 0}


def _decode(value: Any, where: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except ValueError:
        raise ManifestError(f"{where}: not base64") from None


def read_config(doc: dict[str, Any], configs: Configs, where: str) -> None:
    """A ConfigMap's data/binaryData or a Secret's data/stringData, decoded."""
    secret = doc["kind"] == "Secret"
    encoded, plain = ("data", "stringData") if secret else ("binaryData", "data")
    out = {k: _decode(v, f"{where}: {encoded}.{k}") for k, v in (doc.get(encoded) or {}).items()}
    out.update({k: str(v).encode() for k, v in (doc.get(plain) or {}).items()})
    table = configs.secrets if secret else configs.maps
    table[doc["metadata"]["name"]] = out


def _env(c: dict[str, Any], ctx: PodContext, path: str) -> list[str]:
    out: list[str] = []
    for i, src in enumerate(c.get("envFrom") or []):
        ctx.skip(src, "envFrom", f"{path}.envFrom.{i}")
        ref = src.get("configMapRef") or src.get("secretRef") or {}
        secret = "secretRef" in src
        if not ref:
            continue
        try:
            data = ctx.configs.lookup(secret, ref.get("name", ""), ctx.where)
        except ManifestError:
            if ref.get("optional"):
                continue
            raise
        prefix = src.get("prefix") or ""
        out += [f"{prefix}{k}={v.decode(errors='replace')}" for k, v in data.items()]
    for i, e in enumerate(c.get("env") or []):
        here = f"{path}.env.{i}"
        ctx.skip(e, "env", here)
        if "valueFrom" in e:
            vf = e["valueFrom"] or {}
            ctx.skip(vf, "valueFrom", f"{here}.valueFrom")
            ref = vf.get("configMapKeyRef") or vf.get("secretKeyRef")
            if not ref:
                continue
            data = ctx.configs.lookup("secretKeyRef" in vf, ref.get("name", ""), ctx.where)
            if ref.get("key") not in data:
                if ref.get("optional"):
                    continue
                raise ManifestError(f"{ctx.where}: {here}: key {ref.get('key')!r} not found")
            out.append(f"{e['name']}={data[ref['key']].decode(errors='replace')}")
        else:
            out.append(f"{e['name']}={e.get('value', '')}")
    return out


def _security(
    sec: dict[str, Any], pod_sec: dict[str, Any], ctx: PodContext, path: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(Config fields, HostConfig fields) of a securityContext."""
    ctx.skip(sec, "security", path)
    config: dict[str, Any] = {}
    host: dict[str, Any] = {}
    uid = sec.get("runAsUser", pod_sec.get("runAsUser"))
    gid = sec.get("runAsGroup", pod_sec.get("runAsGroup"))
    if uid is not None:
        config["User"] = f"{uid}:{gid}" if gid is not None else str(uid)
    caps = sec.get("capabilities") or {}
    if caps.get("add"):
        host["CapAdd"] = list(caps["add"])
    if caps.get("drop"):
        host["CapDrop"] = list(caps["drop"])
    if sec.get("privileged"):
        host["Privileged"] = True
    if sec.get("readOnlyRootFilesystem"):
        host["ReadonlyRootfs"] = True
    return config, host


def _resources(res: dict[str, Any], ctx: PodContext, path: str) -> dict[str, Any]:
    ctx.skip(res, "resources", path)
    limits = res.get("limits") or {}
    ctx.skip(limits, "limits", f"{path}.limits")
    host: dict[str, Any] = {}
    try:
        if "memory" in limits:
            host["Memory"] = quantity.to_bytes(limits["memory"])
        if "cpu" in limits:
            host["NanoCpus"] = quantity.to_nano_cpus(limits["cpu"])
    except ValueError as exc:
        raise ManifestError(f"{ctx.where}: {path}.limits: {exc}") from None
    return host


def _health(c: dict[str, Any], ctx: PodContext, path: str) -> dict[str, Any] | None:
    for key in ("livenessProbe", "readinessProbe"):
        probe = c.get(key)
        if not probe:
            continue
        health = health_from_probe(probe)
        if health is not None:
            return health_to_docker(health)
        ctx.warnings.append(
            f"{ctx.where}: {path}.{key}: only exec probes become health checks; skipped"
        )
    return None


class _Pod:
    """Builds one pod's plan: the infra container first, then each container joining it."""

    def __init__(self, spec: dict[str, Any], labels: dict[str, str], ctx: PodContext) -> None:
        self.spec, self.ctx = spec, ctx
        ctx.skip(spec, "pod", ctx.path)
        ctx.skip(spec.get("securityContext"), "podSecurity", f"{ctx.path}.securityContext")
        self.plan = PodPlan(ctx.name, ctx.owner, dict(labels), _infra(ctx, spec, labels), [], [])
        self.volumes: dict[str, dict[str, Any]] = {}
        for i, vol in enumerate(spec.get("volumes") or []):
            ctx.skip(vol, "volume", f"{ctx.path}.volumes.{i}")
            self.volumes[vol["name"]] = vol

    def build(self) -> PodPlan:
        ctx, spec, plan = self.ctx, self.spec, self.plan
        _ports(spec, plan, ctx, ctx.path)
        plan.pull_auths = _pull_auths(spec, ctx)
        restart = _restart(spec.get("restartPolicy") or "Always", ctx)
        for i, c in enumerate(spec.get("initContainers") or []):
            here = f"{ctx.path}.initContainers.{i}"
            plan.init.append(self.container(c, here, {"Name": "no"}))
        for i, c in enumerate(spec.get("containers") or []):
            plan.containers.append(self.container(c, f"{ctx.path}.containers.{i}", restart))
        infra_restart = "always" if restart["Name"] == "always" else "no"
        plan.infra.body["HostConfig"]["RestartPolicy"] = {"Name": infra_restart}
        return plan

    def container(self, c: dict[str, Any], path: str, restart: dict[str, Any]) -> ContainerPlan:
        ctx, plan = self.ctx, self.plan
        ctx.skip(c, "container", path)
        if not c.get("image"):  # optional in the schema (for controllers); required to run
            raise ManifestError(f"{ctx.where}: {path}.image: a container needs an image")
        config: dict[str, Any] = {"Image": c["image"], "Hostname": plan.infra.body["Hostname"]}
        if "command" in c:
            config["Entrypoint"] = list(c["command"])
        if "args" in c:
            config["Cmd"] = list(c["args"])
        config["Env"] = _env(c, ctx, path)
        if c.get("workingDir"):
            config["WorkingDir"] = c["workingDir"]
        config["Tty"] = bool(c.get("tty"))
        config["OpenStdin"] = bool(c.get("stdin"))
        config["Labels"] = _labels(ctx, c["name"], plan.labels)
        sec_config, sec_host = _security(
            c.get("securityContext") or {},
            self.spec.get("securityContext") or {},
            ctx,
            f"{path}.securityContext",
        )
        config.update(sec_config)
        health = _health(c, ctx, path)
        if health:
            config["Healthcheck"] = health
        grace = self.spec.get("terminationGracePeriodSeconds")
        if grace is not None:
            config["StopTimeout"] = int(grace)
        mounts, files = self.mounts(c, path)
        config["HostConfig"] = {
            "NetworkMode": f"container:{plan.infra.name}",
            "RestartPolicy": restart,
            "Mounts": mounts,
            **sec_host,
            **_resources(c.get("resources") or {}, ctx, f"{path}.resources"),
        }
        return ContainerPlan(f"{ctx.name}-{c['name']}", config, files)

    def mounts(self, c: dict[str, Any], path: str) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
        ctx, plan = self.ctx, self.plan
        mounts: list[dict[str, Any]] = []
        files: dict[str, bytes] = {}
        for i, vm in enumerate(c.get("volumeMounts") or []):
            here = f"{path}.volumeMounts.{i}"
            ctx.skip(vm, "volumeMount", here)
            vol = self.volumes.get(vm.get("name", ""))
            if vol is None:
                raise ManifestError(f"{ctx.where}: {here}: no volume named {vm.get('name')!r}")
            target, ro = vm["mountPath"], bool(vm.get("readOnly"))
            sub = vm.get("subPath") or ""
            if "configMap" in vol or "secret" in vol:
                files.update(_config_files(vol, target, sub, ctx))
                continue
            if sub:
                ctx.warnings.append(
                    f"{ctx.where}: {here}.subPath: only for configMap/secret; skipped"
                )
            if "persistentVolumeClaim" in vol:
                claim = vol["persistentVolumeClaim"]["claimName"]
                if claim not in plan.claims:
                    plan.claims.append(claim)
                ro = ro or bool(vol["persistentVolumeClaim"].get("readOnly"))
                mounts.append({"Type": "volume", "Source": claim, "Target": target, "ReadOnly": ro})
            elif "hostPath" in vol:
                src = vol["hostPath"]["path"]
                mounts.append({"Type": "bind", "Source": src, "Target": target, "ReadOnly": ro})
            elif (vol.get("emptyDir") or {}).get("medium") == "Memory":
                mount: dict[str, Any] = {"Type": "tmpfs", "Target": target}
                limit = (vol.get("emptyDir") or {}).get("sizeLimit")
                if limit:
                    try:
                        mount["TmpfsOptions"] = {"SizeBytes": quantity.to_bytes(limit)}
                    except ValueError as exc:
                        raise ManifestError(f"{ctx.where}: {here}: {vol['name']}: {exc}") from None
                mounts.append(mount)
            else:  # emptyDir: one volume the pod's containers share, gone with the pod
                source = f"{ctx.name}-{vol['name']}"
                if source not in plan.volumes:
                    plan.volumes.append(source)
                mounts.append(
                    {"Type": "volume", "Source": source, "Target": target, "ReadOnly": ro}
                )
        return mounts, files


def _config_files(vol: dict[str, Any], target: str, sub: str, ctx: PodContext) -> dict[str, bytes]:
    """A configMap/secret volume as files (written into the container before it starts)."""
    secret = "secret" in vol
    src = vol["secret"] if secret else vol["configMap"]
    data = ctx.configs.lookup(secret, src.get("secretName" if secret else "name", ""), ctx.where)
    items = src.get("items") or [{"key": k, "path": k} for k in data]
    files = {}
    for item in items:
        if item["key"] not in data:
            raise ManifestError(f"{ctx.where}: key {item['key']!r} not found in {vol['name']}")
        files[item["path"]] = data[item["key"]]
    if sub:
        if sub not in files:
            raise ManifestError(f"{ctx.where}: subPath {sub!r} not found in {vol['name']}")
        return {target: files[sub]}
    return {posixpath.join(target, p): content for p, content in files.items()}


def _infra(ctx: PodContext, pod: dict[str, Any], labels: dict[str, str]) -> ContainerPlan:
    hostname = pod.get("hostname") or names.dns_label(ctx.name)
    body = {
        "Image": ctx.infra_image,
        "Entrypoint": INFRA_COMMAND[:1],
        "Cmd": INFRA_COMMAND[1:],
        "Hostname": hostname,
        "StopSignal": "SIGKILL",  # it holds namespaces only: nothing to shut down
        "Labels": {**labels, names.POD: ctx.name, names.OWNER: ctx.owner, names.INFRA: "true"},
        "ExposedPorts": {},
        "HostConfig": {"NetworkMode": ctx.network, "PortBindings": {}},
        "NetworkingConfig": {"EndpointsConfig": {ctx.network: {"Aliases": [hostname]}}},
    }
    return ContainerPlan(f"{ctx.name}-infra", body)


def _ports(pod: dict[str, Any], plan: PodPlan, ctx: PodContext, path: str) -> None:
    infra = plan.infra
    for ci, c in enumerate(pod.get("containers") or []):
        for pi, p in enumerate(c.get("ports") or []):
            ctx.skip(p, "port", f"{path}.containers.{ci}.ports.{pi}")
            spec = f"{p['containerPort']}/{(p.get('protocol') or 'TCP').lower()}"
            infra.body["ExposedPorts"][spec] = {}
            if p.get("name"):
                plan.port_names[p["name"]] = int(p["containerPort"])
            if p.get("hostPort"):
                binding = {"HostIp": p.get("hostIP", ""), "HostPort": str(p["hostPort"])}
                infra.body["HostConfig"]["PortBindings"].setdefault(spec, []).append(binding)


def _pull_auths(spec: dict[str, Any], ctx: PodContext) -> dict[str, dict[str, Any]]:
    """The registry credentials of the pod's imagePullSecrets (kubernetes.io/dockerconfigjson
    Secrets: config.json's `auths`; the older .dockercfg is the `auths` map itself)."""
    out: dict[str, dict[str, Any]] = {}
    for i, ref in enumerate(spec.get("imagePullSecrets") or []):
        path = f"{ctx.path}.imagePullSecrets.{i}"
        name = ref.get("name") or ""
        data = ctx.configs.secrets.get(name)
        if data is None:
            ctx.warnings.append(
                f"{ctx.where}: {path}: Secret {name!r} is not in the played files; "
                "images are pulled without it"
            )
            continue
        try:
            if ".dockerconfigjson" in data:
                auths = json.loads(data[".dockerconfigjson"]).get("auths")
            else:
                auths = json.loads(data[".dockercfg"])
        except (KeyError, ValueError, AttributeError):
            raise ManifestError(
                f"{ctx.where}: {path}: Secret {name!r} holds no .dockerconfigjson"
            ) from None
        if not isinstance(auths, dict):
            raise ManifestError(f"{ctx.where}: {path}: Secret {name!r}: no auths in it")
        out.update({k: v for k, v in auths.items() if isinstance(v, dict)})
    return out


def pod_plan(spec: dict[str, Any], labels: dict[str, str], ctx: PodContext) -> PodPlan:
    """The containers of one pod (`spec` is a PodSpec, `labels` its template's labels)."""
    return _Pod(spec, labels, ctx).build()
