"""Build an OCI runtime config.json from Docker Engine API container shapes.

`build_spec()` takes the `Config` and `HostConfig` objects of POST /containers/create (as
plain dicts with Docker's field names) and returns the OCI spec with Docker's defaults:
capabilities, seccomp, masked/read-only paths, kernel mounts, device rules, resources.

The caller prepares what needs the rest of the system and passes it in: the rootfs, the
hostname, the OCI mounts of volumes/binds/tmpfs/etc-files (`mounts`), and the network
namespace (`netns_path`: a path, "host" for none, or None for a fresh one). `--init` is
handled here: the init binary (tini-static) is bind-mounted at /sbin/docker-init.
"""

from __future__ import annotations

import json
import os
import shutil

from . import capabilities, cgroups, seccomp
from .defaults import (
    DEFAULT_PATH,
    MASKED_PATHS,
    READONLY_PATHS,
    default_device_rules,
    default_mounts,
    device_entry,
    host_devices,
)
from .errors import SpecError
from .resources import build_resources
from .rlimits import build_rlimits
from .users import resolve_user

OCI_VERSION = "1.0.2-dev"
INIT_PATH = "/sbin/docker-init"
# tini-static comes with Debian's `tini` package; a static binary works in any image.
INIT_CANDIDATES = ("/usr/bin/tini-static", "/usr/bin/docker-init", "/usr/bin/catatonit")

_NAMESPACED_SYSCTLS = {
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
}


def init_binary() -> str | None:
    """Host path of the binary used for `--init`, or None if none is installed."""
    for path in INIT_CANDIDATES:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.realpath(path)
    return shutil.which("tini-static")


def _security_opts(opts: list[str] | None) -> dict:
    """Parse SecurityOpt into {no_new_privileges, seccomp (None/"unconfined"/json), ...}."""
    out: dict = {"no_new_privileges": False, "seccomp": None, "systempaths": None}
    for opt in opts or []:
        if opt == "no-new-privileges":
            out["no_new_privileges"] = True
            continue
        sep = "=" if "=" in opt else ":"
        key, _, value = opt.partition(sep)
        if not _ and key != "no-new-privileges":
            raise SpecError(f'Invalid --security-opt: "{opt}"')
        if key == "no-new-privileges":
            if value not in ("", "true", "false"):
                raise SpecError(f'invalid --security-opt 2: "{opt}"')
            out["no_new_privileges"] = value != "false"
        elif key == "seccomp":
            out["seccomp"] = value
        elif key == "systempaths":
            if value != "unconfined":
                raise SpecError(f'Invalid --security-opt: "{opt}"')
            out["systempaths"] = value
        elif key in ("apparmor", "label"):
            pass  # this host runs neither AppArmor nor SELinux: accepted, like Docker
        else:
            raise SpecError(f'Invalid --security-opt: "{opt}"')
    return out


def _seccomp(
    profile: str | None, daemon_default: str, caps: list[str], privileged: bool
) -> dict | None:
    """The container's own `seccomp=` wins ("builtin" is Docker's default profile even when
    the daemon has another); without one, the daemon's `seccomp-profile` applies."""
    if privileged:
        return None
    profile = profile or daemon_default
    if profile == "unconfined":
        return None
    if profile in ("builtin", "default"):
        return seccomp.default_profile(caps)
    return seccomp.convert_profile(profile, caps)


def _env(config: dict, hostname: str, extra_env: list[str]) -> list[str]:
    """Docker's order: PATH, HOSTNAME, TERM, links; the user's Env overrides any of them."""
    env: dict[str, str] = {"PATH": DEFAULT_PATH, "HOSTNAME": hostname}
    if config.get("Tty"):
        env["TERM"] = "xterm"
    for item in [*extra_env, *(config.get("Env") or [])]:
        key, sep, value = item.partition("=")
        if not key:
            raise SpecError(f"invalid environment variable: {item}")
        env.pop(key, None)  # "FOO" without "=" unsets FOO, as in Docker
        if sep:
            env[key] = value
    return [f"{k}={v}" for k, v in env.items()]


def _args(config: dict, init: bool) -> list[str]:
    args = [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]
    if not args:
        raise SpecError("No command specified")
    return [INIT_PATH, "--", *args] if init else args


def _device_rule(text: str) -> dict:
    """Parse a --device-cgroup-rule like "c 1:3 rwm" or "a *:* rwm"."""
    parts = text.split()
    if len(parts) != 3 or parts[0] not in ("a", "b", "c") or ":" not in parts[1]:
        raise SpecError(f"invalid device cgroup rule format: '{text}'")
    major, _, minor = parts[1].partition(":")
    rule: dict = {"allow": True, "type": parts[0], "access": parts[2]}
    for key, val in (("major", major), ("minor", minor)):
        if val != "*":
            if not val.isdigit():
                raise SpecError(f"invalid device cgroup rule format: '{text}'")
            rule[key] = int(val)
    return rule


def _expand_device(host: str, target: str) -> list[dict]:
    """Entries for --device: one node, or every node under a directory (e.g. /dev/snd)."""
    if os.path.isdir(host):
        out = []
        for dirpath, _dirs, files in os.walk(host):
            for name in sorted(files):
                path = os.path.join(dirpath, name)
                entry = device_entry(path, target + path[len(host) :])
                if entry:
                    out.append(entry)
        return out
    entry = device_entry(host, target)
    if entry is None:
        raise SpecError(
            f"error gathering device information while adding custom device {host!r}: "
            "not a device node"
        )
    return [entry]


def _devices(hc: dict, privileged: bool) -> tuple[list[dict], list[dict]]:
    """(linux.devices, resources.devices) for --device, --device-cgroup-rule, --privileged."""
    if privileged:
        return host_devices(), [{"allow": True, "access": "rwm"}]
    devices, rules = [], default_device_rules()
    for d in hc.get("Devices") or []:
        host = d.get("PathOnHost", "")
        target = d.get("PathInContainer") or host
        perms = d.get("CgroupPermissions") or "rwm"
        if not perms or set(perms) - set("rwm"):
            raise SpecError(f"invalid device permissions {perms!r}")
        for entry in _expand_device(host, target):
            devices.append(entry)
            rules.append({"allow": True, "type": entry["type"], "major": entry["major"],
                          "minor": entry["minor"], "access": perms})  # fmt: skip
    rules += [_device_rule(r) for r in hc.get("DeviceCgroupRules") or []]
    return devices, rules


def _namespaces(hc: dict, netns_path: str | None, ns_paths: dict[str, str]) -> list[dict]:
    namespaces: list[dict] = [{"type": "mount"}]
    if netns_path != "host":
        namespaces.append({"type": "network", **({"path": netns_path} if netns_path else {})})
    for kind, key in (("pid", "PidMode"), ("ipc", "IpcMode"), ("uts", "UTSMode")):
        mode = hc.get(key) or ""
        if mode == "host":
            continue
        if kind in ns_paths:
            namespaces.append({"type": kind, "path": ns_paths[kind]})
        elif mode.startswith("container:"):
            raise SpecError(f"{key} {mode}: the caller must resolve the namespace path")
        else:
            namespaces.append({"type": kind})
    # Docker: private cgroup namespace by default on cgroup v2 hosts, host on v1
    cgroupns = hc.get("CgroupnsMode") or ("private" if cgroups.is_v2() else "host")
    if cgroupns == "private":
        namespaces.append({"type": "cgroup"})
    elif cgroupns != "host":
        raise SpecError(f"invalid cgroup namespace mode: {cgroupns}")
    return namespaces


def _sysctls(hc: dict, host_net: bool) -> dict[str, str]:
    out = {}
    for key, value in (hc.get("Sysctls") or {}).items():
        if key.startswith("net."):
            if host_net:
                raise SpecError(f"sysctl {key!r} not allowed in host network namespace")
        elif key not in _NAMESPACED_SYSCTLS and not key.startswith("fs.mqueue."):
            raise SpecError(f"sysctl {key!r} is not whitelisted")
        out[key] = str(value)
    return out


def _depth(m: dict) -> int:
    return len([p for p in m["destination"].split("/") if p])


def build_spec(
    *,
    config: dict,
    host_config: dict,
    rootfs: str,
    hostname: str,
    mounts: list[dict],
    netns_path: str | None,
    extra_env: list[str] = (),  # type: ignore[assignment]
    cgroup_parent: str = "/dockyard",
    container_id: str,
    namespace_paths: dict[str, str] | None = None,
    seccomp_default: str = "builtin",
) -> dict:
    """The OCI config.json (as a dict) for one container.

    `namespace_paths` maps "pid"/"ipc"/"uts" to /proc/<pid>/ns/* of another container for
    the `container:<id>` modes. `mounts` are OCI mount dicts; one whose destination equals a
    default mount (e.g. /dev/shm) replaces it. `seccomp_default` is the daemon's seccomp
    profile for containers without a `seccomp=` security option of their own: "builtin",
    "unconfined" or a profile's JSON text. Raises SpecError on invalid values.
    """
    hc = host_config or {}
    privileged = bool(hc.get("Privileged"))
    caps = capabilities.effective_capabilities(hc.get("CapAdd"), hc.get("CapDrop"), privileged)
    sec = _security_opts(hc.get("SecurityOpt"))
    init = bool(hc.get("Init"))
    uid, gid, extra_gids = resolve_user(rootfs, config.get("User"))
    for g in hc.get("GroupAdd") or []:
        g_id = resolve_user(rootfs, f"0:{g}")[1]
        if g_id not in extra_gids:
            extra_gids.append(g_id)

    process: dict = {
        "terminal": bool(config.get("Tty")),
        "user": {"uid": uid, "gid": gid, **({"additionalGids": extra_gids} if extra_gids else {})},
        "args": _args(config, init),
        "env": _env(config, hostname, list(extra_env)),
        "cwd": config.get("WorkingDir") or "/",
        "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
        "noNewPrivileges": sec["no_new_privileges"],
    }
    if not process["cwd"].startswith("/"):
        raise SpecError(
            f"the working directory '{process['cwd']}' is invalid, it needs to be an absolute path"
        )
    if rlimits := build_rlimits(hc.get("Ulimits")):
        process["rlimits"] = rlimits
    if hc.get("OomScoreAdj"):
        process["oomScoreAdj"] = int(hc["OomScoreAdj"])

    ipc_mode = hc.get("IpcMode") or ""
    own = [dict(m) for m in mounts]
    if init:
        binary = init_binary()
        if binary is None:
            raise SpecError("--init requested but no init binary (tini-static) is installed")
        own.append(
            {
                "destination": INIT_PATH,
                "type": "bind",
                "source": binary,
                "options": ["rbind", "ro", "nosuid", "nodev"],
            }
        )
    taken = {m["destination"].rstrip("/") or "/" for m in own}
    defaults = [
        m
        for m in default_mounts(
            shm_size=hc.get("ShmSize"), privileged=privileged, ipc_host=ipc_mode == "host"
        )
        if m["destination"] not in taken
    ]
    if ipc_mode == "none":
        defaults = [m for m in defaults if m["destination"] != "/dev/shm"]
    own.sort(key=_depth)  # parents before children, stable for equal depth

    devices, device_rules = _devices(hc, privileged)
    resources = build_resources(hc)
    resources["devices"] = device_rules
    systempaths_open = privileged or sec["systempaths"] == "unconfined"
    linux: dict = {
        "namespaces": _namespaces(hc, netns_path, namespace_paths or {}),
        "resources": resources,
        "cgroupsPath": f"{cgroup_parent.rstrip('/')}/{container_id}",
        "devices": devices,
        "maskedPaths": [] if systempaths_open else list(MASKED_PATHS),
        "readonlyPaths": [] if systempaths_open else list(READONLY_PATHS),
    }
    # API >= 1.44 lets the client set them explicitly (nil means "defaults")
    # (dockerd records the defaults at create; systempaths=unconfined still opens them)
    if hc.get("MaskedPaths") is not None and not systempaths_open:
        linux["maskedPaths"] = list(hc["MaskedPaths"])
    if hc.get("ReadonlyPaths") is not None and not systempaths_open:
        linux["readonlyPaths"] = list(hc["ReadonlyPaths"])
    if sysctls := _sysctls(hc, netns_path == "host"):
        linux["sysctl"] = sysctls
    if (profile := _seccomp(sec["seccomp"], seccomp_default, caps, privileged)) is not None:
        linux["seccomp"] = profile

    spec: dict = {
        "ociVersion": OCI_VERSION,
        "process": process,
        "root": {"path": rootfs, "readonly": bool(hc.get("ReadonlyRootfs"))},
        "mounts": defaults + own,
        "linux": linux,
    }
    if (hc.get("UTSMode") or "") != "host":
        spec["hostname"] = hostname
        if config.get("Domainname"):
            spec["domainname"] = config["Domainname"]
    size = hc.get("ConsoleSize") or [0, 0]
    if process["terminal"] and len(size) == 2 and size[0] and size[1]:
        process["consoleSize"] = {"height": int(size[0]), "width": int(size[1])}
    return spec


def write_spec(bundle: str, spec: dict) -> str:
    """Write config.json into `bundle` crash-safely (temp file, fsync, rename)."""
    path = os.path.join(bundle, "config.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(spec, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path
