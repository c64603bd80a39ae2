"""The container record: ids, names, config merging with the image, and its API shapes."""

from __future__ import annotations

import copy
import os
import random
import re
import secrets
from typing import Any

from ..common import apishapes
from ..errors import Conflict, InvalidParameter
from . import health

NAME_RE = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+\Z")  # not "$": it lets a trailing newline in

_ADJECTIVES = (
    "admiring agitated amazing bold brave busy calm clever cool dazzling determined eager "
    "ecstatic elegant epic focused friendly gallant gifted happy hopeful jolly keen kind "
    "laughing loving lucid modest nifty optimistic peaceful practical quirky relaxed serene "
    "sharp stoic sweet tender trusting vibrant wizardly youthful zealous"
).split()
_NAMES = (
    "albattani archimedes babbage bohr curie darwin dijkstra einstein euclid fermat feynman "
    "galileo gauss hopper hypatia joliot kepler knuth lamarr lovelace maxwell meitner "
    "newton noether pasteur pike ritchie shannon thompson torvalds turing wozniak yonath"
).split()


def new_id() -> str:
    return secrets.token_hex(32)


def random_name(taken: set[str]) -> str:
    for _ in range(100):
        name = f"{random.choice(_ADJECTIVES)}_{random.choice(_NAMES)}"
        if name not in taken:
            return name
    return f"{random.choice(_ADJECTIVES)}_{random.choice(_NAMES)}{random.randint(0, 99)}"


def validate_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise InvalidParameter(
            f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )
    return name.lstrip("/")


def name_conflict(name: str, holder_id: str) -> Conflict:
    return Conflict(
        f'Conflict. The container name "/{name}" is already in use by container '
        f'"{holder_id}". You have to remove (or rename) that container to be able to reuse '
        "that name."
    )


def _env_key(entry: str) -> str:
    return entry.split("=", 1)[0]


def merge_image_config(user: dict[str, Any], image: dict[str, Any]) -> dict[str, Any]:
    """Docker's rules for what the image provides when the create request leaves it out."""
    cfg = copy.deepcopy(user)
    image = image or {}
    user_env = cfg.get("Env") or []
    keys = {_env_key(e) for e in user_env}
    # dockerd: the user's variables first, then the image's it does not override
    cfg["Env"] = user_env + [e for e in (image.get("Env") or []) if _env_key(e) not in keys]
    if not cfg.get("Entrypoint") and cfg.get("Entrypoint") != []:
        cfg["Entrypoint"] = image.get("Entrypoint")
        if not cfg.get("Cmd"):
            cfg["Cmd"] = image.get("Cmd")
    elif cfg.get("Entrypoint") == [""] or cfg.get("Entrypoint") == []:
        # `--entrypoint ""` clears the image's entrypoint and, like Docker, its Cmd too.
        cfg["Entrypoint"] = None
    healthcheck = health.merge(cfg.get("Healthcheck"), image.get("Healthcheck"))
    if healthcheck is not None:
        cfg["Healthcheck"] = healthcheck
    for key in ("WorkingDir", "User", "StopSignal", "OnBuild", "Shell"):
        if not cfg.get(key) and image.get(key):
            cfg[key] = image[key]
    for key in ("ExposedPorts", "Volumes"):
        merged = dict(image.get(key) or {})
        merged.update(cfg.get(key) or {})
        cfg[key] = merged or None
    labels = dict(image.get("Labels") or {})
    labels.update(cfg.get("Labels") or {})
    cfg["Labels"] = labels
    if not any(_env_key(e) == "PATH" for e in cfg["Env"]):
        cfg["Env"].insert(0, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    return cfg


def command_of(cfg: dict[str, Any]) -> list[str]:
    return list(cfg.get("Entrypoint") or []) + list(cfg.get("Cmd") or [])


# The zero HostConfig a client sends, with dockerd's own defaults over it (the log driver,
# namespaces, /dev/shm size, runtime) and without the fields the daemon records only when a
# request has them.
_DAEMON_DEFAULTS: dict[str, Any] = {
    "LogConfig": {"Type": "json-file", "Config": {}},
    "CgroupnsMode": "",  # dockerd's default for this host: values_in_force
    "IpcMode": "private",
    "ShmSize": 64 * 1024 * 1024,
    "Runtime": "runc",
    "MemorySwappiness": None,
    "OomKillDisable": None,
    "PidsLimit": None,
    "Ulimits": None,
    "Mounts": None,
    "Tmpfs": None,
    "Init": None,
}
_REQUEST_ONLY = frozenset(
    "ConsoleSize BlkioWeightDevice BlkioDeviceReadBps BlkioDeviceWriteBps BlkioDeviceReadIOps "
    "BlkioDeviceWriteIOps CpuRealtimePeriod CpuRealtimeRuntime DeviceCgroupRules DeviceRequests "
    "CpuCount CpuPercent IOMaximumIOps IOMaximumBandwidth".split()
)
DEFAULT_HOST_CONFIG: dict[str, Any] = {
    **{k: v for k, v in apishapes.host_config().items() if k not in _REQUEST_ONLY},
    **_DAEMON_DEFAULTS,
}

_RESTART_NAMES = {"", "no", "always", "on-failure", "unless-stopped"}


def normalize_host_config(hc: dict[str, Any] | None, default_runtime: str) -> dict[str, Any]:
    out = copy.deepcopy(DEFAULT_HOST_CONFIG)
    out["Runtime"] = default_runtime
    for key, value in (hc or {}).items():
        if value is not None or key not in out:
            out[key] = value
    policy = out.get("RestartPolicy") or {}
    name = policy.get("Name") or "no"
    if name not in _RESTART_NAMES:
        raise InvalidParameter(f"invalid restart policy '{name}'")
    retries = int(policy.get("MaximumRetryCount") or 0)
    if retries < 0:
        raise InvalidParameter("maximum retry count cannot be negative")
    if retries and name != "on-failure":
        raise InvalidParameter(
            "invalid restart policy: maximum retry count can only be used with 'on-failure'"
        )
    if out.get("AutoRemove") and name not in ("no", ""):
        raise InvalidParameter("can't create 'AutoRemove' container with restart policy")
    out["RestartPolicy"] = {"Name": name, "MaximumRetryCount": retries}
    cpus = os.cpu_count() or 1
    nano = out.get("NanoCpus") or 0
    if isinstance(nano, int) and (nano < 0 or nano > cpus * 1_000_000_000):
        raise InvalidParameter(
            f"range of CPUs is from 0.01 to {cpus}.00, as there are only {cpus} CPUs available"
        )
    for key in ("Memory", "MemorySwap", "NanoCpus", "CpuShares", "CpuQuota", "CpuPeriod"):
        value = out.get(key) or 0
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidParameter(f"invalid {key}: {value!r}")
        if value < 0 and not (key == "MemorySwap" and value == -1):
            raise InvalidParameter(f"invalid {key}: must not be negative")
    if out["Memory"] and out["Memory"] < 6 * 1024 * 1024:
        raise InvalidParameter("Minimum memory limit allowed is 6MB")
    if not out.get("LogConfig") or not out["LogConfig"].get("Type"):
        out["LogConfig"] = {
            "Type": "json-file",
            "Config": (out.get("LogConfig") or {}).get("Config") or {},
        }
    driver = out["LogConfig"]["Type"]
    if driver not in LOG_DRIVERS:
        raise InvalidParameter(f"logger: no log driver named '{driver}' is registered")
    values_in_force(out)
    return out


# The log drivers dockerd registers; any other name is refused at create, as dockerd does.
LOG_DRIVERS = frozenset(
    ("none", "json-file", "local", "syslog", "journald", "gelf", "fluentd", "awslogs",
     "splunk", "gcplogs", "logentries")
)  # fmt: skip


def values_in_force(hc: dict[str, Any]) -> None:
    """What dockerd records for the zero values clients send (the CLI sends ShmSize 0,
    IpcMode "", PidsLimit 0, MemorySwappiness -1): the values the container runs with."""
    from ..runtime import cgroups
    from ..runtime.defaults import MASKED_PATHS, READONLY_PATHS
    from ..runtime.resources import swap_limit_supported

    if not hc.get("ShmSize"):
        hc["ShmSize"] = 64 * 1024 * 1024
    if not hc.get("IpcMode"):
        hc["IpcMode"] = "private"
    if not hc.get("CgroupnsMode"):
        hc["CgroupnsMode"] = "private" if cgroups.is_v2() else "host"
    if hc.get("Memory") and not hc.get("MemorySwap") and swap_limit_supported():
        hc["MemorySwap"] = 2 * hc["Memory"]
    if isinstance(hc.get("PidsLimit"), int) and hc["PidsLimit"] <= 0:
        hc["PidsLimit"] = None
    if hc.get("MemorySwappiness") == -1:
        hc["MemorySwappiness"] = None
    if not hc.get("Privileged"):
        if hc.get("MaskedPaths") is None:
            hc["MaskedPaths"] = list(MASKED_PATHS)
        if hc.get("ReadonlyPaths") is None:
            hc["ReadonlyPaths"] = list(READONLY_PATHS)
