"""`run`/`create` flags -> the POST /containers/create body.

The body matches what the docker CLI 28 sends field for field (zero values included), so
the daemon sees one shape whichever client created the container.
"""

from __future__ import annotations

from ..common import dockerconfig
from ..common.timefmt import parse_go_duration
from .errors import CLIError
from .flags import FlagError, env_value, flag_error, ram_in_bytes, read_kv_file

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    import argparse
    from typing import Any


def add_create_flags(p: argparse.ArgumentParser) -> None:
    a = p.add_argument
    multi = {"action": "append", "default": []}
    a("-a", "--attach", **multi)
    a("--add-host", **multi)
    a("--blkio-weight", type=int, default=0)
    a("--cap-add", **multi)
    a("--cap-drop", **multi)
    a("--cgroup-parent", default="")
    a("--cgroupns", default="")
    a("--cidfile", default="")
    a("--cpu-period", type=int, default=0)
    a("--cpu-quota", type=int, default=0)
    a("--cpu-rt-period", type=int, default=0)
    a("--cpu-rt-runtime", type=int, default=0)
    a("-c", "--cpu-shares", type=int, default=0)
    a("--cpus", default="")
    a("--cpuset-cpus", default="")
    a("--cpuset-mems", default="")
    a("--device", **multi)
    a("--device-cgroup-rule", **multi)
    a("--dns", **multi)
    a("--dns-option", "--dns-opt", **multi)
    a("--dns-search", **multi)
    a("--domainname", default="")
    a("--entrypoint", default=None)
    a("-e", "--env", **multi)
    a("--env-file", **multi)
    a("--expose", **multi)
    a("--gpus", default="")
    a("--group-add", **multi)
    a("--health-cmd", default="")
    a("--health-interval", default="")
    a("--health-retries", type=int, default=0)
    a("--health-start-interval", default="")
    a("--health-start-period", default="")
    a("--health-timeout", default="")
    a("-h", "--hostname", default="")
    a("--init", action="store_true", default=None)
    a("-i", "--interactive", action="store_true")
    a("--ip", default="")
    a("--ip6", default="")
    a("--ipc", default="")
    a("--isolation", default="")
    a("--kernel-memory", default="")
    a("-l", "--label", **multi)
    a("--label-file", **multi)
    a("--link", **multi)
    a("--link-local-ip", **multi)
    a("--log-driver", default="")
    a("--log-opt", **multi)
    a("--mac-address", default="")
    a("-m", "--memory", default="")
    a("--memory-reservation", default="")
    a("--memory-swap", default="")
    a("--memory-swappiness", type=int, default=-1)
    a("--mount", **multi)
    a("--name", default="")
    a("--network", "--net", **multi)
    a("--network-alias", "--net-alias", **multi)
    a("--no-healthcheck", action="store_true")
    a("--oom-kill-disable", action="store_true")
    a("--oom-score-adj", type=int, default=0)
    a("--pid", default="")
    a("--pids-limit", type=int, default=0)
    a("--platform", default="")
    a("--privileged", action="store_true")
    a("-p", "--publish", **multi)
    a("-P", "--publish-all", action="store_true")
    a("--pull", default="missing")
    a("-q", "--quiet", action="store_true")
    a("--read-only", action="store_true")
    a("--restart", default="")
    a("--rm", action="store_true")
    a("--runtime", default="")
    a("--security-opt", **multi)
    a("--shm-size", default="")
    a("--stop-signal", default="")
    a("--stop-timeout", type=int, default=None)
    a("--storage-opt", **multi)
    a("--sysctl", **multi)
    a("--tmpfs", **multi)
    a("-t", "--tty", action="store_true")
    a("--ulimit", **multi)
    a("-u", "--user", default="")
    a("--userns", default="")
    a("--uts", default="")
    a("-v", "--volume", **multi)
    a("--volume-driver", default="")
    a("--volumes-from", **multi)
    a("-w", "--workdir", default="")


def create_parser(command: str) -> argparse.ArgumentParser:
    from .common import ArgumentParser

    # -h is --hostname here, so the parser gets no automatic help flag
    p = ArgumentParser(
        prog=f"dockyard {command}",
        usage=f"dockyard {command} [OPTIONS] IMAGE [COMMAND] [ARG...]",
        add_help=False,
    )
    add_create_flags(p)
    if command == "run":
        _add_run_flags(p)
    return p


def _add_run_flags(p: Any) -> None:
    p.add_argument("-d", "--detach", action="store_true")
    p.add_argument("--detach-keys", default=dockerconfig.detach_keys())
    p.add_argument("--sig-proxy", action="store_true", default=True)


class Options:
    """The parsed flags of a quick line: argparse.Namespace's attributes, without argparse."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


class _Defaults:
    """What add_create_flags registers, kept as each flag's dest and default."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add_argument(self, *names: str, **kw: Any) -> None:
        longs = [n for n in names if n.startswith("--")]
        dest = kw.get("dest") or (longs[0] if longs else names[0]).lstrip("-").replace("-", "_")
        if "default" in kw:
            self.values[dest] = kw["default"]
        else:
            self.values[dest] = False if kw.get("action") == "store_true" else None


_QUICK_SWITCHES = {"--rm": "rm", "-d": "detach", "--detach": "detach", "-i": "interactive",
                   "--interactive": "interactive", "-t": "tty", "--tty": "tty"}  # fmt: skip


def quick_args(command: str, argv: list[str]) -> tuple[Options, list[str]] | None:
    """`run [--rm] [-d] [-i] [-t] [--name N] IMAGE [COMMAND...]` read without argparse (its
    import and this parser cost ~12 ms of every `run`): the options as argparse would give
    them, and IMAGE COMMAND...; None for any other line (argparse reads it, errors and all)."""
    given: dict[str, Any] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--name" and i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            given["name"] = argv[i + 1]
            i += 2
            continue
        if arg.startswith("--name=") and len(arg) > 7:
            given["name"] = arg[7:]
        elif arg in _QUICK_SWITCHES:
            given[_QUICK_SWITCHES[arg]] = True
        elif (
            arg.startswith("-")
            and all(f"-{ch}" in _QUICK_SWITCHES for ch in arg[1:])
            and len(arg) > 1
        ):
            given.update((_QUICK_SWITCHES[f"-{ch}"], True) for ch in arg[1:])
        elif arg.startswith("-"):
            return None
        else:
            break
        i += 1
    rest = argv[i:]
    if not rest or ("detach" in given and command != "run"):
        return None
    defaults = _Defaults()
    add_create_flags(defaults)  # type: ignore[arg-type]
    if command == "run":
        _add_run_flags(defaults)
    options = Options({**defaults.values, **given})
    options._explicit = set(given)  # type: ignore[attr-defined]
    return options, rest


def parse_ulimit(value: str) -> dict[str, Any]:
    name, eq, limits = value.partition("=")
    if not eq:
        raise FlagError(f"invalid ulimit argument: {value}")
    soft_s, _, hard_s = limits.partition(":")
    try:
        soft = int(soft_s)
        hard = int(hard_s) if hard_s else soft
    except ValueError:
        raise FlagError(f"invalid ulimit argument: {value}") from None
    if soft > hard and hard != -1:
        raise FlagError(
            f"ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
        )
    return {"Name": name, "Hard": hard, "Soft": soft}


def parse_device(value: str) -> dict[str, str]:
    parts = value.split(":")
    src = parts[0]
    dst = src
    perms = "rwm"
    if len(parts) == 2:
        if all(c in "rwm" for c in parts[1]) and parts[1]:
            perms = parts[1]
        else:
            dst = parts[1]
    elif len(parts) == 3:
        dst, perms = parts[1], parts[2]
        if not perms or any(c not in "rwm" for c in perms):
            raise FlagError(f"bad mode specified: {perms}")
    elif len(parts) > 3:
        raise FlagError(f"invalid device specification: {value}")
    return {"PathOnHost": src, "PathInContainer": dst, "CgroupPermissions": perms}


def normalize_caps(caps: list[str]) -> list[str] | None:
    if not caps:
        return None
    out = set()
    for cap in caps:
        up = cap.strip().upper()
        if up == "ALL":
            out.add("ALL")
        elif up:
            out.add(up if up.startswith("CAP_") else "CAP_" + up)
    return sorted(out)


def parse_restart(value: str) -> dict[str, Any]:
    name, _, count = value.partition(":")
    retries = 0
    if count:
        try:
            retries = int(count)
        except ValueError:
            raise FlagError(
                f"invalid restart policy format: maximum retry count must be an integer: {count}"
            ) from None
    return {"Name": name or "no", "MaximumRetryCount": retries}


def parse_security_opts(values: list[str]) -> list[str] | None:
    """`seccomp=profile.json` sends the profile itself, as the docker CLI does."""
    if not values:
        return None
    out = []
    for value in values:
        key, eq, arg = value.partition("=")
        if not eq and ":" in value:
            key, _, arg = value.partition(":")
            eq = "="
        if key == "seccomp" and arg not in ("unconfined", "builtin", ""):
            import json  # only for a profile file: `run` starts faster without it

            try:
                with open(arg, "rb") as f:
                    profile = json.loads(f.read())
            except (OSError, ValueError) as exc:
                raise CLIError(f"opening seccomp profile ({arg}) failed: {exc}", 125) from None
            out.append("seccomp=" + json.dumps(profile, separators=(",", ":")))
        else:
            out.append(value)
    return out


def omitempty(value: Any) -> Any:
    """Drop zero-valued fields recursively, like Go's `omitempty` on the Mount struct."""
    if isinstance(value, dict):
        cleaned = {k: omitempty(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, False, "", {}, [], 0)}
    return value


def _user_defined(mode: str) -> bool:
    return mode not in ("default", "bridge", "host", "none") and not mode.startswith("container:")


def _networking(p: argparse.ArgumentParser, o: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """(HostConfig.NetworkMode, NetworkingConfig.EndpointsConfig)."""
    from dockyard.common.apishapes import endpoint_settings

    networks = o.network or ["default"]
    endpoints: dict[str, Any] = {}
    user = [n for n in networks if _user_defined(n)]
    if user and len(user) != len(networks):
        p.error(
            "conflicting options: cannot attach both user-defined and non-user-defined network-modes"
        )
    for i, net in enumerate(networks):
        if net in endpoints:
            p.error(f'network "{net}" is specified multiple times')
        fields: dict[str, Any] = {}
        if i == 0:
            ipam: dict[str, Any] = {}
            if o.ip:
                ipam["IPv4Address"] = o.ip
            if o.ip6:
                ipam["IPv6Address"] = o.ip6
            if o.link_local_ip:
                ipam["LinkLocalIPs"] = o.link_local_ip
            if ipam:
                fields["IPAMConfig"] = ipam
            if o.network_alias:
                if not _user_defined(net):
                    p.error("network-scoped aliases are only supported for user-defined networks")
                fields["Aliases"] = o.network_alias
            if o.link and _user_defined(net):
                fields["Links"] = o.link
            if o.mac_address:
                fields["MacAddress"] = o.mac_address
        # a lone built-in network without options needs no endpoint settings
        if len(networks) == 1 and not fields and net != "default" and not _user_defined(net):
            continue
        endpoints[net] = endpoint_settings(**fields)
    return networks[0], endpoints


def _healthcheck(p: argparse.ArgumentParser, o: argparse.Namespace) -> dict[str, Any] | None:
    flags = {
        "Interval": "--health-interval",
        "Timeout": "--health-timeout",
        "StartPeriod": "--health-start-period",
        "StartInterval": "--health-start-interval",
    }
    timing: dict[str, int] = {}
    for key, flag in flags.items():
        value = getattr(o, flag[2:].replace("-", "_"))
        try:
            timing[key] = parse_go_duration(value) if value else 0
        except ValueError as exc:
            flag_error(p, flag, value, str(exc))
    if o.no_healthcheck:
        if o.health_cmd or any(timing.values()) or o.health_retries:
            p.error("--no-healthcheck conflicts with --health-* options")
        return {"Test": ["NONE"]}
    if not (o.health_cmd or any(timing.values()) or o.health_retries):
        return None
    # the docker CLI's order of checks
    for key in ("Interval", "Timeout", "Retries", "StartPeriod", "StartInterval"):
        value = o.health_retries if key == "Retries" else timing[key]
        if value < 0:
            p.error(f"{flags.get(key, '--health-retries')} cannot be negative")
    hc: dict[str, Any] = {}
    if o.health_cmd:
        hc["Test"] = ["CMD-SHELL", o.health_cmd]
    hc.update({key: ns for key, ns in timing.items() if ns})
    if o.health_retries:
        hc["Retries"] = o.health_retries
    return hc


def _attach_flags(p: argparse.ArgumentParser, o: argparse.Namespace) -> tuple[bool, bool, bool]:
    streams = set()
    for s in o.attach:
        if s.lower() not in ("stdin", "stdout", "stderr"):
            flag_error(p, "-a, --attach", s, "valid streams are STDIN, STDOUT and STDERR")
        streams.add(s.lower())
    stdin = "stdin" in streams or o.interactive
    if not streams:
        return stdin, True, True
    return stdin, "stdout" in streams, "stderr" in streams


def _size(p: argparse.ArgumentParser, flag: str, value: str) -> int:
    if not value:
        return 0
    try:
        return ram_in_bytes(value)
    except FlagError as exc:
        flag_error(p, flag, value, str(exc))
    return 0


def build_create(
    p: argparse.ArgumentParser, o: argparse.Namespace, image: str, cmd: list[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Parsed flags -> (POST /containers/create body, query params)."""
    from dockyard.common.apishapes import host_config
    from dockyard.common.mountspec import parse_mount_flag, parse_tmpfs_flag, split_volume_flags

    try:
        env = [x for f in o.env_file for x in read_kv_file(f)]
        for value in o.env:
            try:
                env.append(env_value(value))
            except FlagError as exc:
                flag_error(p, "-e, --env", value, str(exc))
        labels: dict[str, str] = {}
        for item in [x for f in o.label_file for x in read_kv_file(f)] + o.label:
            key, _, val = item.partition("=")
            labels[key] = val
        exposed: dict[str, Any] = {}
        bindings: dict[str, Any] = {}
        if o.publish or o.expose:  # ports (ipaddress, typing) loads only when asked for
            from dockyard.common.ports import parse_expose, parse_publish

            exposed, bindings = parse_publish(o.publish)
            exposed.update(parse_expose(o.expose))
        binds, volumes = split_volume_flags(o.volume)
        mounts = [omitempty(parse_mount_flag(m)) for m in o.mount]
        tmpfs = dict(parse_tmpfs_flag(t) for t in o.tmpfs)
    except Exception as exc:  # the parsing helpers raise dockyard.errors types
        msg = getattr(exc, "message", None) or str(exc)
        if isinstance(exc, CLIError):
            raise
        # docker reports a bad value found after flag parsing without the usage line
        raise CLIError(f"dockyard: {msg}\n\nRun '{p.prog} --help' for more information", 125) from None
    if o.rm and o.restart and o.restart != "no":
        p.error("conflicting options: cannot specify both --restart and --rm")
    attach_in, attach_out, attach_err = _attach_flags(p, o)
    nano_cpus = 0
    if o.cpus:
        try:
            nano_cpus = round(float(o.cpus) * 1e9)
        except ValueError:
            flag_error(p, "--cpus", o.cpus, f"failed to parse {o.cpus} as a rational number")
    memory_swap = -1 if o.memory_swap == "-1" else _size(p, "--memory-swap", o.memory_swap)
    ulimits, devices, sysctls, log_opts = [], [], {}, {}
    try:
        ulimits = [parse_ulimit(u) for u in o.ulimit]
        devices = [parse_device(d) for d in o.device]
        restart = parse_restart(o.restart)
    except FlagError as exc:
        p.error(str(exc))
    for item in o.sysctl:
        key, eq, val = item.partition("=")
        if not eq:
            flag_error(p, "--sysctl", item, f"sysctl '{item}' is not allowed")
        sysctls[key] = val
    for item in o.log_opt:
        key, _, val = item.partition("=")
        log_opts[key] = val
    network_mode, endpoints = _networking(p, o)
    entrypoint = None if o.entrypoint is None else [o.entrypoint]

    config: dict[str, Any] = {
        "Hostname": o.hostname,
        "Domainname": o.domainname,
        "User": o.user,
        "AttachStdin": attach_in,
        "AttachStdout": attach_out,
        "AttachStderr": attach_err,
    }
    if exposed:
        config["ExposedPorts"] = exposed
    config.update(
        {
            "Tty": o.tty,
            "OpenStdin": o.interactive,
            "StdinOnce": o.interactive and attach_in,
            "Env": env or None,
            "Cmd": cmd or None,
        }
    )
    healthcheck = _healthcheck(p, o)
    if healthcheck is not None:
        config["Healthcheck"] = healthcheck
    config.update(
        {
            "Image": image,
            "Volumes": volumes,
            "WorkingDir": o.workdir,
            "Entrypoint": entrypoint,
            "OnBuild": None,
            "Labels": labels,
        }
    )
    if o.stop_signal:
        config["StopSignal"] = o.stop_signal
    if o.stop_timeout is not None:
        config["StopTimeout"] = o.stop_timeout

    host = host_config(
        Binds=binds or None,
        LogConfig={"Type": o.log_driver, "Config": log_opts},
        NetworkMode=network_mode,
        PortBindings=bindings,
        RestartPolicy=restart,
        AutoRemove=o.rm,
        VolumeDriver=o.volume_driver,
        VolumesFrom=o.volumes_from or None,
        CapAdd=normalize_caps(o.cap_add),
        CapDrop=normalize_caps(o.cap_drop),
        CgroupnsMode=o.cgroupns,
        Dns=o.dns,
        DnsOptions=o.dns_option,
        DnsSearch=o.dns_search,
        ExtraHosts=o.add_host or None,
        GroupAdd=o.group_add or None,
        IpcMode=o.ipc,
        Links=o.link or None,
        OomScoreAdj=o.oom_score_adj,
        PidMode=o.pid,
        Privileged=o.privileged,
        PublishAllPorts=o.publish_all,
        ReadonlyRootfs=o.read_only,
        SecurityOpt=parse_security_opts(o.security_opt),
        UTSMode=o.uts,
        UsernsMode=o.userns,
        ShmSize=_size(p, "--shm-size", o.shm_size),
        Isolation=o.isolation,
        CpuShares=o.cpu_shares,
        Memory=_size(p, "-m, --memory", o.memory),
        NanoCpus=nano_cpus,
        CgroupParent=o.cgroup_parent,
        BlkioWeight=o.blkio_weight,
        CpuPeriod=o.cpu_period,
        CpuQuota=o.cpu_quota,
        CpuRealtimePeriod=o.cpu_rt_period,
        CpuRealtimeRuntime=o.cpu_rt_runtime,
        CpusetCpus=o.cpuset_cpus,
        CpusetMems=o.cpuset_mems,
        Devices=devices,
        DeviceCgroupRules=o.device_cgroup_rule or None,
        MemoryReservation=_size(p, "--memory-reservation", o.memory_reservation),
        MemorySwap=memory_swap,
        MemorySwappiness=o.memory_swappiness,
        OomKillDisable=o.oom_kill_disable,
        PidsLimit=o.pids_limit,
        Ulimits=ulimits,
    )
    if o.storage_opt:
        host["StorageOpt"] = dict(s.partition("=")[::2] for s in o.storage_opt)
    if tmpfs:
        host["Tmpfs"] = tmpfs
    if sysctls:
        host["Sysctls"] = sysctls
    if o.runtime:
        host["Runtime"] = o.runtime
    if mounts:
        host["Mounts"] = mounts
    if o.init is not None:
        host["Init"] = o.init
    body = dict(config)
    body["HostConfig"] = host
    body["NetworkingConfig"] = {"EndpointsConfig": endpoints}
    params: dict[str, str] = {}
    if o.name:
        params["name"] = o.name
    if o.platform:
        params["platform"] = o.platform
    return body, params
