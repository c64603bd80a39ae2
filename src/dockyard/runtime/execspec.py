"""The OCI process of a `docker exec`, derived from the container's own spec."""

from __future__ import annotations

from . import capabilities
from .errors import SpecError
from .users import resolve_user


def _merge_env(base: list[str], extra: list[str]) -> list[str]:
    env: dict[str, str] = {}
    for item in [*base, *extra]:
        key, sep, value = item.partition("=")
        if key and sep:
            env.pop(key, None)
            env[key] = value
    return [f"{k}={v}" for k, v in env.items()]


def exec_process(
    container_spec: dict,
    *,
    cmd: list[str],
    env: list[str] | None = None,
    user: str | None = None,
    workdir: str | None = None,
    tty: bool = False,
    privileged: bool = False,
) -> dict:
    """OCI process for ExecConfig {Cmd, Env, User, WorkingDir, Tty, Privileged}.

    Like Docker: the container's environment with the exec's Env on top, the container's
    user/cwd unless overridden, the container's capabilities (all of them if privileged),
    no-new-privileges and rlimits. runc exec uses only what is in this object, so nothing
    may be left out."""
    if not cmd:
        raise SpecError("No exec command specified")
    proc = container_spec["process"]
    rootfs = container_spec["root"]["path"]
    base_env = list(proc.get("env") or [])
    if tty and not any(e.startswith("TERM=") for e in base_env):
        base_env.append("TERM=xterm")
    out: dict = {
        "terminal": tty,
        "args": list(cmd),
        "env": _merge_env(base_env, list(env or [])),
        "cwd": workdir or proc.get("cwd") or "/",
        "noNewPrivileges": bool(proc.get("noNewPrivileges")),
    }
    if not out["cwd"].startswith("/"):
        raise SpecError(f"the working directory '{out['cwd']}' is invalid")
    if user:
        uid, gid, extra = resolve_user(rootfs, user)
        out["user"] = {"uid": uid, "gid": gid, **({"additionalGids": extra} if extra else {})}
    else:
        out["user"] = dict(proc.get("user") or {"uid": 0, "gid": 0})
    if privileged:
        caps = list(capabilities.host_capabilities())
        out["capabilities"] = {"bounding": caps, "effective": caps, "permitted": caps}
    elif proc.get("capabilities"):
        out["capabilities"] = proc["capabilities"]
    for key in ("rlimits", "oomScoreAdj", "apparmorProfile", "selinuxLabel"):
        if key in proc:
            out[key] = proc[key]
    return out
