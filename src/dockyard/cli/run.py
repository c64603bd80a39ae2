"""`run` and `create`: Docker's flags -> the POST /containers/create body, then run it.

The body matches what the docker CLI 28 sends field for field (zero values included), so
the daemon sees one shape whichever client created the container.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from .common import APIError, ArgumentParser, CLIError, Context, StatusExit

# --- pflag-style argument splitting -------------------------------------------------------

_TRUE = ("1", "t", "T", "true", "TRUE", "True")
_FALSE = ("0", "f", "F", "false", "FALSE", "False")


def split_args(
    p: argparse.ArgumentParser, argv: list[str], interspersed: bool = False
) -> tuple[list[str], list[str], dict[str, bool]]:
    """Split like pflag with SetInterspersed(false): flags stop at the first positional.

    Returns (flags normalised to `--long=value` for argparse, positionals, bool flags set
    explicitly with `--flag=false`/`=true`). Values may then start with "-" safely.
    """
    actions = p._option_string_actions  # argparse keeps no public lookup table
    flags: list[str] = []
    rest: list[str] = []
    bools: dict[str, bool] = {}
    i = 0

    def long_name(action: argparse.Action) -> str:
        longs = [s for s in action.option_strings if s.startswith("--")]
        return longs[0] if longs else action.option_strings[0]

    def put(action: argparse.Action, value: str | None, shown: str) -> None:
        if action.nargs == 0:
            if value is None or value in _TRUE:
                flags.append(long_name(action))
                bools[action.dest] = True
            elif value in _FALSE:
                bools[action.dest] = False
            else:
                p.error(
                    f'invalid argument "{value}" for "{shown}" flag: strconv.ParseBool: '
                    f'parsing "{value}": invalid syntax'
                )
        else:
            flags.append(f"{long_name(action)}={value}")

    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            rest.extend(argv[i:])
            break
        if not arg.startswith("-") or arg == "-":
            rest.append(arg)
            if interspersed:
                continue
            rest.extend(argv[i:])
            break
        if arg.startswith("--"):
            name, eq, value = arg.partition("=")
            action = actions.get(name)
            if action is None:
                p.error(f"unknown flag: {name}")
            if action.nargs == 0 or eq:
                put(action, value if eq else None, name)
            elif i < len(argv):
                put(action, argv[i], name)
                i += 1
            else:
                p.error(f"flag needs an argument: {name}")
            continue
        j = 1
        while j < len(arg):
            c = arg[j]
            action = actions.get("-" + c)
            if action is None:
                if c in ("h",):
                    p.print_help()
                    raise SystemExit(0)
                p.error(f"unknown shorthand flag: '{c}' in {arg}")
            if action.nargs == 0:
                if arg[j + 1 : j + 2] == "=":
                    put(action, arg[j + 2 :], "-" + c)
                    break
                put(action, None, "-" + c)
                j += 1
                continue
            value = arg[j + 1 :]
            if value.startswith("="):
                value = value[1:]
            if not value:
                if i >= len(argv):
                    p.error(f"flag needs an argument: '{c}' in -{c}")
                value = argv[i]
                i += 1
            put(action, value, "-" + c)
            break
    return flags, rest, bools


def parse_with(
    p: argparse.ArgumentParser, argv: list[str], interspersed: bool = False
) -> tuple[argparse.Namespace, list[str]]:
    flags, rest, bools = split_args(p, argv, interspersed)
    ns = p.parse_args(flags)
    for dest, value in bools.items():
        setattr(ns, dest, value)
    ns._explicit = set(bools)
    for item in flags:
        name = item.split("=", 1)[0]
        action = p._option_string_actions.get(name)
        if action is not None:
            ns._explicit.add(action.dest)
    return ns, rest


# --- flags ----------------------------------------------------------------------------


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
    a("--help", action="help")
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
    # -h is --hostname here, so the parser gets no automatic help flag
    p = ArgumentParser(
        prog=f"dockyard {command}",
        usage=f"dockyard {command} [OPTIONS] IMAGE [COMMAND] [ARG...]",
        add_help=False,
    )
    add_create_flags(p)
    if command == "run":
        p.add_argument("-d", "--detach", action="store_true")
        p.add_argument("--detach-keys", default="")
        p.add_argument("--sig-proxy", action="store_true", default=True)
    return p


# --- value parsing ------------------------------------------------------------------------


class FlagError(Exception):
    """A bad flag value; reported like pflag: invalid argument "v" for "-x, --y" flag: why."""


def _flag_error(p: argparse.ArgumentParser, flag: str, value: str, why: str) -> None:
    p.error(f'invalid argument "{value}" for "{flag}" flag: {why}')


def ram_in_bytes(value: str) -> int:
    """go-units RAMInBytes with its error texts."""
    import re

    m = re.fullmatch(r"(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?", value)
    if m is None:
        suffix = re.match(r"[\d.]*\s?(.*)", value)
        tail = suffix.group(1) if suffix else value
        if not re.match(r"\d", value):
            raise FlagError(f"invalid size: '{value}'")
        raise FlagError(f"invalid suffix: '{tail}'")
    mult = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
    return int(float(m.group(1)) * mult[(m.group(2) or "").lower()])


def parse_duration_ns(value: str) -> int:
    """Go's time.ParseDuration -> nanoseconds."""
    import re

    if value in ("0", ""):
        return 0
    units = {"ns": 1, "us": 1000, "µs": 1000, "ms": 10**6, "s": 10**9, "m": 60 * 10**9}
    units["h"] = 3600 * 10**9
    parts = re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)", value)
    if not parts or "".join(n + u for n, u in parts) != value.lstrip("+"):
        raise FlagError(f'time: invalid duration "{value}"')
    return int(sum(float(n) * units[u] for n, u in parts))


def read_kv_file(path: str) -> list[str]:
    """--env-file / --label-file lines: comments and blanks skipped, bare names looked up."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
    except OSError as exc:
        raise CLIError(f"open {path}: {(exc.strerror or str(exc)).lower()}", 125) from None
    out = []
    for line in text.splitlines():
        line = line.lstrip(" \t")
        if not line or line.startswith("#"):
            continue
        name, eq, value = line.partition("=")
        if any(c in name for c in " \t\n\v\f\r"):
            raise CLIError(f"variable '{name}' contains whitespaces", 125)
        if not name:
            raise CLIError(f"no variable name on line '{line}'", 125)
        if eq:
            out.append(f"{name}={value}")
        elif name in os.environ:
            # a bare name takes its value from our environment, or is dropped (both files)
            out.append(f"{name}={os.environ[name]}")
    return out


def env_value(value: str) -> str:
    name, eq, _ = value.partition("=")
    if name == "":
        raise FlagError(f"invalid environment variable: {value}")
    if not eq and name in os.environ:
        return f"{name}={os.environ[name]}"
    return value


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
    from dockyard.client.shapes import endpoint_settings

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
    timing = {
        "Interval": o.health_interval,
        "Timeout": o.health_timeout,
        "StartPeriod": o.health_start_period,
        "StartInterval": o.health_start_interval,
    }
    if o.no_healthcheck:
        if o.health_cmd or any(timing.values()) or o.health_retries:
            p.error("--no-healthcheck conflicts with --health-* options")
        return {"Test": ["NONE"]}
    if not (o.health_cmd or any(timing.values()) or o.health_retries):
        return None
    hc: dict[str, Any] = {}
    if o.health_cmd:
        hc["Test"] = ["CMD-SHELL", o.health_cmd]
    for key, value in timing.items():
        if value:
            flag = "--health-" + {
                "StartPeriod": "start-period",
                "StartInterval": "start-interval",
            }.get(key, key.lower())
            try:
                ns = parse_duration_ns(value)
            except FlagError as exc:
                _flag_error(p, flag, value, str(exc))
            if ns < 0:
                p.error(f"{flag} cannot be negative")
            hc[key] = ns
    if o.health_retries:
        hc["Retries"] = o.health_retries
    return hc


def _attach_flags(p: argparse.ArgumentParser, o: argparse.Namespace) -> tuple[bool, bool, bool]:
    streams = set()
    for s in o.attach:
        if s.lower() not in ("stdin", "stdout", "stderr"):
            _flag_error(p, "-a, --attach", s, "valid streams are STDIN, STDOUT and STDERR")
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
        _flag_error(p, flag, value, str(exc))
    return 0


def build_create(
    p: argparse.ArgumentParser, o: argparse.Namespace, image: str, cmd: list[str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Parsed flags -> (POST /containers/create body, query params)."""
    from dockyard.client.shapes import host_config
    from dockyard.common.mountspec import parse_mount_flag, parse_tmpfs_flag, split_volume_flags
    from dockyard.common.ports import parse_expose, parse_publish

    try:
        env = [x for f in o.env_file for x in read_kv_file(f)]
        for value in o.env:
            try:
                env.append(env_value(value))
            except FlagError as exc:
                _flag_error(p, "-e, --env", value, str(exc))
        labels: dict[str, str] = {}
        for item in [x for f in o.label_file for x in read_kv_file(f)] + o.label:
            key, _, val = item.partition("=")
            labels[key] = val
        exposed, bindings = parse_publish(o.publish)
        exposed.update(parse_expose(o.expose))
        binds, volumes = split_volume_flags(o.volume)
        mounts = [omitempty(parse_mount_flag(m)) for m in o.mount]
        tmpfs = dict(parse_tmpfs_flag(t) for t in o.tmpfs)
    except Exception as exc:  # the parsing helpers raise dockyard.errors types
        msg = getattr(exc, "message", None) or str(exc)
        if isinstance(exc, CLIError):
            raise
        p.error(msg)
    if o.rm and o.restart and o.restart != "no":
        p.error("conflicting options: cannot specify both --restart and --rm")
    attach_in, attach_out, attach_err = _attach_flags(p, o)
    nano_cpus = 0
    if o.cpus:
        try:
            nano_cpus = round(float(o.cpus) * 1e9)
        except ValueError:
            _flag_error(p, "--cpus", o.cpus, f"failed to parse {o.cpus} as a rational number")
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
            _flag_error(p, "--sysctl", item, f"sysctl '{item}' is not allowed")
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


# --- run / create -------------------------------------------------------------------------


def _start_error_code(message: str) -> int:
    """Docker's exit status for a failed start: 127 not found, 126 not executable."""
    if (
        "executable file not found" in message
        or "no such file or directory" in message
        or "system cannot find the file specified" in message
    ):
        return 127
    if "permission denied" in message or "is a directory" in message:
        return 126
    return 125


def _fail(ctx: Context, message: str, code: int = 125) -> StatusExit:
    print(f"dockyard: {message}\n{ctx.usage_hint()}", file=sys.stderr)
    return StatusExit(code)


def pull_image(ctx: Context, image: str, platform: str, quiet: bool, out: Any) -> None:
    from .images import pull_stream

    pull_stream(ctx, image, platform=platform, quiet=quiet, out=out)


def _image_tagged(image: str) -> str:
    from dockyard.common.reference import InvalidReference, parse_normalized

    try:
        return parse_normalized(image).familiar()
    except InvalidReference:
        return image


def create_container(
    ctx: Context, body: dict[str, Any], params: dict[str, str], pull: str, quiet: bool
) -> str:
    """POST /containers/create, pulling first when the image is missing (per --pull)."""
    image = body["Image"]
    if pull not in ("missing", "always", "never"):
        raise _fail(
            ctx, f'invalid pull option: \'{pull}\': must be one of "always", "missing" or "never"'
        )
    if pull == "always":
        _pull_for_create(ctx, image, params, quiet)
    try:
        resp = ctx.api.containers.create(body, **params)
    except APIError as exc:
        if exc.status != 404 or pull == "never" or "No such image" not in exc.message:
            raise _fail(ctx, f"Error response from daemon: {exc.message}") from None
        print(f"Unable to find image '{_image_tagged(image)}' locally", file=sys.stderr)
        _pull_for_create(ctx, image, params, quiet)
        try:
            resp = ctx.api.containers.create(body, **params)
        except APIError as exc2:
            raise _fail(ctx, f"Error response from daemon: {exc2.message}") from None
    for warning in resp.get("Warnings") or []:
        print(f"WARNING: {warning}", file=sys.stderr)
    return resp["Id"]


def _pull_for_create(ctx: Context, image: str, params: dict[str, str], quiet: bool) -> None:
    try:
        pull_image(ctx, image, params.get("platform", ""), quiet, sys.stderr)
    except APIError as exc:
        raise _fail(ctx, f"Error response from daemon: {exc.message}") from None
    except CLIError as exc:
        raise _fail(ctx, exc.message) from None


def _parse(
    ctx: Context, command: str, argv: list[str]
) -> tuple[Any, argparse.Namespace, list[str]]:
    p = create_parser(command)
    o, rest = parse_with(p, argv)
    if not rest:
        p.error(f'"{command}" requires at least 1 argument.')
    return p, o, rest


def _console_size() -> list[int]:
    try:
        size = os.get_terminal_size(sys.stdout.fileno())
        return [size.lines, size.columns]
    except OSError:
        return [0, 0]


def _write_cidfile(path: str, cid: str) -> None:
    if not path:
        return
    if os.path.exists(path):
        raise CLIError(
            f"dockyard: container ID file found, make sure the other container isn't running or delete {path}",
            125,
        )
    with open(path, "w") as f:
        f.write(cid)


def create(ctx: Context, argv: list[str]) -> int:
    p, o, rest = _parse(ctx, "create", argv)
    body, params = build_create(p, o, rest[0], rest[1:])
    if o.tty and sys.stdout.isatty():
        body["HostConfig"]["ConsoleSize"] = _console_size()
    if o.cidfile and os.path.exists(o.cidfile):
        raise _fail(
            ctx,
            f"container ID file found, make sure the other container isn't running or delete {o.cidfile}",
        )
    cid = create_container(ctx, body, params, o.pull, o.quiet)
    _write_cidfile(o.cidfile, cid)
    print(cid)
    return 0


def run(ctx: Context, argv: list[str]) -> int:
    p, o, rest = _parse(ctx, "run", argv)
    if o.detach and o.attach:
        p.error("conflicting options: cannot specify both --attach and --detach")
    body, params = build_create(p, o, rest[0], rest[1:])
    if o.detach:
        body["AttachStdin"] = body["AttachStdout"] = body["AttachStderr"] = False
        body["StdinOnce"] = False
    tty = o.tty
    if tty and not o.detach and o.interactive and not sys.stdin.isatty():
        raise CLIError("the input device is not a TTY", 1)
    if tty and sys.stdout.isatty():
        body["HostConfig"]["ConsoleSize"] = _console_size()
    detach_keys = o.detach_keys
    if detach_keys:
        from .streams import parse_detach_keys

        try:
            parse_detach_keys(detach_keys)
        except ValueError as exc:
            raise _fail(ctx, str(exc)) from None
    if o.cidfile and os.path.exists(o.cidfile):
        raise _fail(
            ctx,
            f"container ID file found, make sure the other container isn't running or delete {o.cidfile}",
        )
    cid = create_container(ctx, body, params, o.pull, o.quiet)
    _write_cidfile(o.cidfile, cid)
    if o.detach:
        try:
            ctx.api.containers.start(cid)
        except APIError as exc:
            print(cid)
            raise _fail(
                ctx, f"Error response from daemon: {exc.message}", _start_error_code(exc.message)
            ) from None
        print(cid)
        return 0
    return _run_attached(ctx, cid, body, o, detach_keys)


def _run_attached(
    ctx: Context, cid: str, body: dict[str, Any], o: argparse.Namespace, detach_keys: str
) -> int:
    from . import streams

    containers = ctx.api.containers
    stdin, stdout, stderr = body["AttachStdin"], body["AttachStdout"], body["AttachStderr"]
    session = None
    if stdin or stdout or stderr:
        try:
            sock = containers.attach(cid, stdin, stdout, stderr, detach_keys)
        except APIError as exc:
            raise _fail(ctx, f"Error response from daemon: {exc.message}") from None
        session = streams.Session(
            sock,
            tty=o.tty,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            detach_keys=detach_keys,
            resize=streams.container_resizer(containers, cid) if o.tty else None,
        )
    waiter = streams.Waiter(containers, cid, "removed" if o.rm else "next-exit")
    try:
        containers.start(cid)
    except APIError as exc:
        if session is not None:
            session.close()
        waiter.close()
        raise _fail(
            ctx, f"Error response from daemon: {exc.message}", _start_error_code(exc.message)
        ) from None
    if session is not None:
        # a daemon that misses the exit must not leave us attached forever
        waiter.watch(session.hang_up_later)
    proxy = None
    if o.sig_proxy and not o.tty:
        proxy = streams.SignalProxy(containers, cid)
    try:
        detached = session.run() if session is not None else False
    finally:
        if proxy is not None:
            proxy.stop()
    if detached:
        waiter.close()
        return 0
    status, error = waiter.result()
    if error:
        print(f"dockyard: Error response from daemon: {error}", file=sys.stderr)
        return 125 if status == 0 else status
    return status
