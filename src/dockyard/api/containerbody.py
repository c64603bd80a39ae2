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

# The check for each Go type the tables name; other types are objects ([]T: lists of them).
CHECKS: dict[str, Check] = {
    "string": _str,
    "bool": _bool,
    "int": _int,
    "int64": _int,
    "uint16": _int,
    "time.Duration": _int,
    "[]string": _strs,
    "strslice.StrSlice": _strslice,
    "map[string]string": _str_map,
    "nat.PortMap": _port_map,
    "[2]uint": _pair,
    "map[string]*network.EndpointSettings": _obj_map,
}


def table(spec: str) -> Table:
    """Lines of `GoType: Field Field ...` (the Engine API's types for those fields)."""
    out: dict[str, tuple[Check, str]] = {}
    for line in spec.strip().splitlines():
        go_type, _, names = line.strip().rpartition(": ")
        check = CHECKS.get(go_type) or (_objs if go_type.startswith("[]") else _obj)
        out.update({name: (check, go_type) for name in names.split()})
    return out


RESOURCES = table("""
    int64: Memory MemoryReservation MemorySwap KernelMemory KernelMemoryTCP NanoCpus CpuShares
    int64: CpuPeriod CpuQuota CpuRealtimePeriod CpuRealtimeRuntime PidsLimit MemorySwappiness
    int64: CpuCount CpuPercent IOMaximumIOps IOMaximumBandwidth
    uint16: BlkioWeight
    string: CpusetCpus CpusetMems CgroupParent
    bool: OomKillDisable Init
    []string: DeviceCgroupRules
    []*blkiodev.WeightDevice: BlkioWeightDevice
    []*blkiodev.ThrottleDevice: BlkioDeviceReadBps BlkioDeviceWriteBps
    []*blkiodev.ThrottleDevice: BlkioDeviceReadIOps BlkioDeviceWriteIOps
    []container.DeviceMapping: Devices
    []container.DeviceRequest: DeviceRequests
    []*units.Ulimit: Ulimits
""")
RESTART_POLICY = table("""
    container.RestartPolicy: RestartPolicy
""")
NESTED: dict[str, Table] = {
    "RestartPolicy": table("string: Name\nint: MaximumRetryCount"),
    "LogConfig": table("string: Type\nmap[string]string: Config"),
    "Healthcheck": table("""
        []string: Test
        time.Duration: Interval Timeout StartPeriod StartInterval
        int: Retries
    """),
    "NetworkingConfig": table("map[string]*network.EndpointSettings: EndpointsConfig"),
    "HostConfig": {
        **RESOURCES,
        **RESTART_POLICY,
        **table("""
            []string: Binds Dns DnsOptions DnsSearch ExtraHosts GroupAdd SecurityOpt VolumesFrom
            []string: Links MaskedPaths ReadonlyPaths
            strslice.StrSlice: CapAdd CapDrop
            string: NetworkMode IpcMode PidMode UTSMode UsernsMode CgroupnsMode Cgroup Runtime
            string: Isolation VolumeDriver ContainerIDFile
            bool: Privileged PublishAllPorts ReadonlyRootfs AutoRemove
            int64: ShmSize
            int: OomScoreAdj
            [2]uint: ConsoleSize
            nat.PortMap: PortBindings
            container.LogConfig: LogConfig
            map[string]string: Tmpfs Sysctls StorageOpt Annotations
            []mount.Mount: Mounts
        """),
    },
}
CREATE = table("""
    string: Hostname Domainname User Image WorkingDir MacAddress StopSignal
    bool: AttachStdin AttachStdout AttachStderr Tty OpenStdin StdinOnce ArgsEscaped
    bool: NetworkDisabled
    strslice.StrSlice: Cmd Entrypoint Shell
    []string: Env OnBuild
    map[string]string: Labels
    nat.PortSet: ExposedPorts
    map[string]struct {}: Volumes
    int: StopTimeout
    container.HealthConfig: Healthcheck
    container.HostConfig: HostConfig
    network.NetworkingConfig: NetworkingConfig
""")
UPDATE = {**RESOURCES, **RESTART_POLICY}


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
