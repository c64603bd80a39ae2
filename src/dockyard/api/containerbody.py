"""Container create and update bodies checked field by field against the Engine API's types
before any work starts, with dockerd's wording (Go's json.UnmarshalTypeError behind moby's
"invalid JSON: " prefix). Unknown fields are ignored, as Go ignores them."""

from __future__ import annotations

from typing import Any

from .bodycheck import Table, check, table
from .decode import json_object
from .resourcebodies import ENDPOINT_NESTED

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
    **ENDPOINT_NESTED,
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
# container.Config alone: the body of POST /commit.
CONFIG = {k: v for k, v in CREATE.items() if k not in ("HostConfig", "NetworkingConfig")}


def check_create(body: Any) -> dict[str, Any]:
    """The create body (container.CreateRequest), or InvalidParameter naming the bad field."""
    body = json_object(body)
    check(body, CREATE, "CreateRequest", NESTED)
    return body


def check_update(body: Any) -> dict[str, Any]:
    """The update body (container.UpdateConfig), or InvalidParameter naming the bad field."""
    body = json_object(body)
    check(body, UPDATE, "UpdateConfig", NESTED)
    return body


def check_config(body: Any) -> dict[str, Any] | None:
    """The commit body (container.Config; null or absent: None), checked like create's."""
    if body is None:
        return None
    body = json_object(body)
    check(body, CONFIG, "Config", NESTED)
    return body
