"""Container create and update bodies checked field by field against the Engine API's types
before any work starts, with dockerd's wording (Go's json.UnmarshalTypeError behind moby's
"invalid JSON: " prefix). Unknown fields are ignored, as Go ignores them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import InvalidParameter
from .decode import json_object

Check = Callable[[Any], bool]

# Go's int64 range; larger numbers do not fit the struct fields.
_I64 = 2**63


def _go_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return f"number {value}" if isinstance(value, float) or abs(value) >= _I64 else "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "value")


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -_I64 <= value < _I64


def _str(value: Any) -> bool:
    return isinstance(value, str)


def _bool(value: Any) -> bool:
    return isinstance(value, bool)


def _obj(value: Any) -> bool:
    return isinstance(value, dict)


def _objs(value: Any) -> bool:
    return isinstance(value, list) and all(v is None or isinstance(v, dict) for v in value)


def _strs(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _strslice(value: Any) -> bool:
    """strslice.StrSlice: a string or a list of strings."""
    return isinstance(value, str) or _strs(value)


def _str_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def _port_map(value: Any) -> bool:
    return isinstance(value, dict) and all(v is None or _objs(v) for v in value.values())


def _obj_map(value: Any) -> bool:
    return isinstance(value, dict) and all(v is None or isinstance(v, dict) for v in value.values())


def _pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(_int(v) and v >= 0 for v in value)


# (check, Go type) per field; nested objects are checked by their own table.
Table = Mapping[str, tuple[Check, str]]

RESTART_POLICY: Table = {"Name": (_str, "string"), "MaximumRetryCount": (_int, "int")}
LOG_CONFIG: Table = {"Type": (_str, "string"), "Config": (_str_map, "map[string]string")}
HEALTHCHECK: Table = {
    "Test": (_strs, "[]string"),
    "Interval": (_int, "time.Duration"),
    "Timeout": (_int, "time.Duration"),
    "StartPeriod": (_int, "time.Duration"),
    "StartInterval": (_int, "time.Duration"),
    "Retries": (_int, "int"),
}
NESTED: dict[str, Table] = {
    "RestartPolicy": RESTART_POLICY,
    "LogConfig": LOG_CONFIG,
    "Healthcheck": HEALTHCHECK,
}

CONFIG: Table = {
    **{
        k: (_str, "string")
        for k in (
            "Hostname",
            "Domainname",
            "User",
            "Image",
            "WorkingDir",
            "MacAddress",
            "StopSignal",
        )
    },
    **{
        k: (_bool, "bool")
        for k in (
            "AttachStdin",
            "AttachStdout",
            "AttachStderr",
            "Tty",
            "OpenStdin",
            "StdinOnce",
            "ArgsEscaped",
            "NetworkDisabled",
        )
    },
    **{k: (_strslice, "strslice.StrSlice") for k in ("Cmd", "Entrypoint", "Shell")},
    "Env": (_strs, "[]string"),
    "OnBuild": (_strs, "[]string"),
    "Labels": (_str_map, "map[string]string"),
    "ExposedPorts": (_obj, "nat.PortSet"),
    "Volumes": (_obj, "map[string]struct {}"),
    "StopTimeout": (_int, "int"),
    "Healthcheck": (_obj, "container.HealthConfig"),
}

RESOURCES: Table = {
    **{
        k: (_int, "int64")
        for k in (
            "Memory",
            "MemoryReservation",
            "MemorySwap",
            "KernelMemory",
            "KernelMemoryTCP",
            "NanoCpus",
            "CpuShares",
            "CpuPeriod",
            "CpuQuota",
            "CpuRealtimePeriod",
            "CpuRealtimeRuntime",
            "PidsLimit",
            "MemorySwappiness",
            "CpuCount",
            "CpuPercent",
            "IOMaximumIOps",
            "IOMaximumBandwidth",
        )
    },
    "BlkioWeight": (_int, "uint16"),
    "CpusetCpus": (_str, "string"),
    "CpusetMems": (_str, "string"),
    "CgroupParent": (_str, "string"),
    "OomKillDisable": (_bool, "bool"),
    "Init": (_bool, "bool"),
    "DeviceCgroupRules": (_strs, "[]string"),
    **{k: (_objs, "[]*blkiodev.WeightDevice") for k in ("BlkioWeightDevice",)},
    **{
        k: (_objs, "[]*blkiodev.ThrottleDevice")
        for k in (
            "BlkioDeviceReadBps",
            "BlkioDeviceWriteBps",
            "BlkioDeviceReadIOps",
            "BlkioDeviceWriteIOps",
        )
    },
    "Devices": (_objs, "[]container.DeviceMapping"),
    "DeviceRequests": (_objs, "[]container.DeviceRequest"),
    "Ulimits": (_objs, "[]*units.Ulimit"),
}

HOST_CONFIG: Table = {
    **RESOURCES,
    **{
        k: (_strs, "[]string")
        for k in (
            "Binds",
            "Dns",
            "DnsOptions",
            "DnsSearch",
            "ExtraHosts",
            "GroupAdd",
            "SecurityOpt",
            "VolumesFrom",
            "Links",
            "MaskedPaths",
            "ReadonlyPaths",
        )
    },
    "CapAdd": (_strslice, "strslice.StrSlice"),
    "CapDrop": (_strslice, "strslice.StrSlice"),
    **{
        k: (_str, "string")
        for k in (
            "NetworkMode",
            "IpcMode",
            "PidMode",
            "UTSMode",
            "UsernsMode",
            "CgroupnsMode",
            "Cgroup",
            "Runtime",
            "Isolation",
            "VolumeDriver",
            "ContainerIDFile",
        )
    },
    **{
        k: (_bool, "bool")
        for k in (
            "Privileged",
            "PublishAllPorts",
            "ReadonlyRootfs",
            "AutoRemove",
        )
    },
    "ShmSize": (_int, "int64"),
    "OomScoreAdj": (_int, "int"),
    "ConsoleSize": (_pair, "[2]uint"),
    "PortBindings": (_port_map, "nat.PortMap"),
    "RestartPolicy": (_obj, "container.RestartPolicy"),
    "LogConfig": (_obj, "container.LogConfig"),
    "Tmpfs": (_str_map, "map[string]string"),
    "Sysctls": (_str_map, "map[string]string"),
    "StorageOpt": (_str_map, "map[string]string"),
    "Annotations": (_str_map, "map[string]string"),
    "Mounts": (_objs, "[]mount.Mount"),
}

NETWORKING: Table = {
    "EndpointsConfig": (_obj_map, "map[string]*network.EndpointSettings"),
}
CREATE: Table = {
    **CONFIG,
    "HostConfig": (_obj, "container.HostConfig"),
    "NetworkingConfig": (_obj, "network.NetworkingConfig"),
}
NESTED.update(HostConfig=HOST_CONFIG, NetworkingConfig=NETWORKING)

UPDATE: Table = {**RESOURCES, "RestartPolicy": (_obj, "container.RestartPolicy")}


def _check(body: Mapping[str, Any], table: Table, struct: str, prefix: str = "") -> None:
    for key, (ok, go_type) in table.items():
        value = body.get(key)
        if value is None:
            continue  # null leaves a Go field at its zero value
        path = f"{prefix}{key}"
        if not ok(value):
            raise InvalidParameter(
                f"invalid JSON: json: cannot unmarshal {_go_kind(value)} into Go struct field "
                f"{struct}.{path} of type {go_type}"
            )
        if key in NESTED:
            _check(value, NESTED[key], struct, f"{path}.")


def check_create(body: Any) -> dict[str, Any]:
    """The create body (container.CreateRequest), or InvalidParameter naming the bad field."""
    body = json_object(body)
    _check(body, CREATE, "CreateRequest")
    return body


def check_update(body: Any) -> dict[str, Any]:
    """The update body (container.UpdateConfig), or InvalidParameter naming the bad field."""
    body = json_object(body)
    _check(body, UPDATE, "UpdateConfig")
    return body
