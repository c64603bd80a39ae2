"""Short syntax to long syntax, per file, before files are merged (as compose-go's transform).

Everything here is pure: a parsed, interpolated document in, the same document with every
service attribute in its one canonical shape out. Paths stay as written (paths.py resolves).
"""

from __future__ import annotations

import shlex
from typing import Any

from ..common.ports import parse_port_spec
from ..errors import DockyardError
from .errors import ComposeError
from .units import format_duration, parse_duration, to_bytes


def scalar_str(value: Any) -> str | None:
    """A YAML scalar as the string Compose keeps (true -> "true", 1 -> "1")."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def list_or_dict(value: Any, sep: str = "=", keep_null: bool = True) -> dict[str, str | None]:
    """`[K=V, K2]` or `{K: V}` to one mapping; a bare key maps to None."""
    if value is None:
        return {}
    if isinstance(value, dict):
        out = {str(k): scalar_str(v) for k, v in value.items()}
    else:
        out = {}
        for item in value:
            key, found, val = str(item).partition(sep)
            out[key.strip() if sep == ":" else key] = val if found else None
    return out if keep_null else {k: ("" if v is None else v) for k, v in out.items()}


def shell_words(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as exc:
            raise ComposeError(f"invalid command {value!r}: {exc}") from None
    return [scalar_str(v) or "" for v in value]


def ports(value: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in value:
        if isinstance(item, dict):
            port: dict[str, Any] = {"mode": item.get("mode", "ingress")}
            for key in ("name", "host_ip"):
                if item.get(key):
                    port[key] = item[key]
            port["target"] = int(item["target"]) if "target" in item else 0
            if item.get("published") not in (None, ""):
                port["published"] = scalar_str(item["published"])
            port["protocol"] = item.get("protocol", "tcp")
            if item.get("app_protocol"):
                port["app_protocol"] = item["app_protocol"]
            out.append({**port, **{k: v for k, v in item.items() if k.startswith("x-")}})
            continue
        try:
            mappings = parse_port_spec(str(item))
        except DockyardError as exc:
            raise ComposeError(str(exc)) from None
        for m in mappings:
            target, _, proto = m.port.partition("/")
            port = {"mode": "ingress"}
            if m.host_ip:
                port["host_ip"] = m.host_ip
            port["target"] = int(target)
            if m.host_port:
                port["published"] = m.host_port
            port["protocol"] = proto
            out.append(port)
    return out


def _volume_short(spec: str) -> dict[str, Any]:
    parts = _split_volume(spec)
    if len(parts) == 1:
        return {"type": "volume", "target": parts[0], "volume": {}}
    source, target = parts[0], parts[1]
    options = parts[2].split(",") if len(parts) > 2 else []
    is_path = source.startswith((".", "/", "~")) or "/" in source or "\\" in source
    vol: dict[str, Any] = {"type": "bind" if is_path else "volume", "source": source}
    vol["target"] = target
    extra: dict[str, Any] = {}
    for opt in options:
        if opt == "ro":
            vol["read_only"] = True
        elif opt == "rw":
            pass
        elif opt in ("z", "Z"):
            extra["selinux"] = opt
        elif opt in ("shared", "rshared", "slave", "rslave", "private", "rprivate"):
            extra["propagation"] = opt
        elif opt == "nocopy":
            extra["nocopy"] = True
        elif opt in ("consistent", "cached", "delegated"):
            vol["consistency"] = opt
        else:
            raise ComposeError(f"invalid spec: {spec}: unknown option: {opt}")
    if vol["type"] == "bind":
        extra.pop("nocopy", None)
        vol["bind"] = {**extra, "create_host_path": True}
    else:
        vol["volume"] = {"nocopy": True} if extra.get("nocopy") else {}
    return vol


def _split_volume(spec: str) -> list[str]:
    parts = spec.split(":")
    if len(parts) > 3 or not all(parts[:2]):
        raise ComposeError(
            f"invalid spec: {spec}: too many colons"
            if len(parts) > 3
            else f"invalid spec: {spec}: empty section"
        )
    return parts


def volumes(value: list[Any]) -> list[dict[str, Any]]:
    out = []
    for item in value:
        if isinstance(item, str):
            out.append(_volume_short(item))
            continue
        vol = dict(item)
        kind = vol.get("type", "volume")
        if kind == "bind":
            bind = dict(vol.get("bind") or {})
            bind.setdefault("create_host_path", True)
            vol["bind"] = bind
        elif kind == "volume" and "volume" not in vol:
            vol["volume"] = {}
        elif kind == "tmpfs" and vol.get("tmpfs", {}).get("size") is not None:
            vol["tmpfs"] = {**vol["tmpfs"], "size": str(to_bytes(vol["tmpfs"]["size"]))}
        out.append(vol)
    return out


def depends_on(value: Any) -> dict[str, dict[str, Any]]:
    if isinstance(value, list):
        return {str(name): {"condition": "service_started", "required": True} for name in value}
    out = {}
    for name, dep in (value or {}).items():
        dep = dict(dep or {})
        entry: dict[str, Any] = {"condition": dep.pop("condition", "service_started")}
        if dep.get("restart"):
            entry["restart"] = True
        dep.pop("restart", None)
        entry.update({k: v for k, v in dep.items() if k.startswith("x-")})
        entry["required"] = dep.get("required", True)
        out[name] = entry
    return out


def env_files(value: Any) -> list[dict[str, Any]]:
    items = [value] if isinstance(value, str) else value or []
    out = []
    for item in items:
        if isinstance(item, str):
            out.append({"path": item, "required": True})
        else:
            out.append({"path": item["path"], "required": item.get("required", True)})
    return out


def build(value: Any) -> dict[str, Any]:
    spec = {"context": value} if isinstance(value, str) else dict(value)
    spec.setdefault("context", ".")
    if "args" in spec:
        spec["args"] = list_or_dict(spec["args"])
    if "labels" in spec:
        spec["labels"] = list_or_dict(spec["labels"], keep_null=False)
    return spec


def networks(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return {str(name): None for name in value}
    return {name: (dict(cfg) if cfg else None) for name, cfg in (value or {}).items()}


def healthcheck(value: dict[str, Any]) -> dict[str, Any]:
    check = dict(value)
    test = check.get("test")
    if isinstance(test, str):
        check["test"] = ["CMD-SHELL", test]
    for key in ("timeout", "interval", "start_period", "start_interval"):
        if key in check and check[key] is not None:
            check[key] = format_duration(parse_duration(check[key]))
    return check


def ulimits(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in sorted(value):
        limit = value[name]
        out[name] = int(limit) if not isinstance(limit, dict) else dict(limit)
    return out


def extra_hosts(value: Any) -> list[str]:
    if isinstance(value, dict):
        items = [f"{k}={v}" for k, v in value.items()]
    else:
        items = []
        for item in value:
            host, sep, ip = str(item).partition("=")
            if not sep:
                host, _, ip = str(item).partition(":")
            items.append(f"{host}={ip}")
    return items


def file_objects(value: list[Any], default_target: str | None) -> list[dict[str, Any]]:
    """Service `secrets`/`configs`: a name or the long form."""
    out = []
    for item in value:
        obj = {"source": item} if isinstance(item, str) else dict(item)
        if default_target is not None and not obj.get("target"):
            obj["target"] = f"{default_target}/{obj['source']}"
        elif default_target is not None and not obj["target"].startswith("/"):
            obj["target"] = f"{default_target}/{obj['target']}"
        out.append(obj)
    return out


def string_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [scalar_str(v) or "" for v in value]


def _bytes_str(value: Any) -> str:
    return str(to_bytes(value))


def _deploy(value: dict[str, Any]) -> dict[str, Any]:
    deploy = dict(value)
    resources = deploy.get("resources")
    if resources:
        resources = dict(resources)
        for part in ("limits", "reservations"):
            if resources.get(part):
                res = dict(resources[part])
                if "cpus" in res:
                    res["cpus"] = float(res["cpus"])
                if "memory" in res:
                    res["memory"] = _bytes_str(res["memory"])
                resources[part] = res
        deploy["resources"] = resources
    if "replicas" in deploy and deploy["replicas"] is not None:
        deploy["replicas"] = int(deploy["replicas"])
    return deploy


_SIMPLE = {
    "command": shell_words,
    "entrypoint": shell_words,
    "ports": ports,
    "volumes": volumes,
    "depends_on": depends_on,
    "env_file": env_files,
    "build": build,
    "networks": networks,
    "healthcheck": healthcheck,
    "ulimits": ulimits,
    "extra_hosts": extra_hosts,
    "environment": list_or_dict,
    "labels": lambda v: list_or_dict(v, keep_null=False),
    "annotations": lambda v: list_or_dict(v, keep_null=False),
    "sysctls": lambda v: list_or_dict(v, keep_null=False),
    "dns": string_list,
    "dns_search": string_list,
    "tmpfs": string_list,
    "expose": lambda v: [scalar_str(x) or "" for x in v],
    "secrets": lambda v: file_objects(v, "/run/secrets"),
    "configs": lambda v: file_objects(v, None),
    "shm_size": _bytes_str,
    "mem_limit": _bytes_str,
    "mem_reservation": _bytes_str,
    "memswap_limit": _bytes_str,
    "stop_grace_period": lambda v: format_duration(parse_duration(v)),
    "deploy": _deploy,
    "devices": lambda v: [_device(x) for x in v],
    "cpus": float,
    "scale": int,
    "user": scalar_str,
    "restart": scalar_str,
}


def _device(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return dict(value)
    parts = str(value).split(":")
    dev = {"source": parts[0], "target": parts[1] if len(parts) > 1 else parts[0]}
    dev["permissions"] = parts[2] if len(parts) > 2 else "rwm"
    return dev


def service(svc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in svc.items():
        fn = _SIMPLE.get(key)
        if fn is not None and value is not None:
            try:
                out[key] = fn(value)
            except (TypeError, ValueError, KeyError) as exc:
                raise ComposeError(f"invalid value for {key}: {exc}") from None
        else:
            out[key] = value
    return out


def document(doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    out["services"] = {
        name: service(svc or {}) for name, svc in (doc.get("services") or {}).items()
    }
    for kind in ("networks", "volumes", "secrets", "configs"):
        if kind in doc:
            out[kind] = {k: (dict(v) if v else {}) for k, v in (doc[kind] or {}).items()}
            for res in out[kind].values():
                if "labels" in res:
                    res["labels"] = list_or_dict(res["labels"], keep_null=False)
    return out
