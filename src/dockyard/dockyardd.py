"""dockyardd: parse flags, load daemon.json, open the state, serve the Engine API."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import ssl
import sys
from pathlib import Path

from .daemon.config import (
    DEFAULT_CONFIG_FILE,
    DEFAULT_SOCKET_GROUP,
    ConfigError,
    DaemonConfig,
    insecure_tcp,
    load,
    validate,
)

log = logging.getLogger("dockyardd")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="dockyardd", description="dockyard container engine daemon")
    p.add_argument("--config-file", type=Path, default=DEFAULT_CONFIG_FILE)
    p.add_argument("--data-root", type=Path)
    p.add_argument("--exec-root", type=Path)
    p.add_argument("-H", "--host", action="append", dest="hosts")
    p.add_argument("--pidfile", type=Path)
    p.add_argument("-b", "--bridge", help="the default bridge network's interface")
    p.add_argument("--log-file", type=Path, help="write the daemon's log here")
    p.add_argument("-D", "--debug", action="store_true")
    p.add_argument("-G", "--group", help="group of the unix socket (default: dockyard)")
    p.add_argument(
        "--seccomp-profile",
        help='path to seccomp profile; "unconfined" disables the default seccomp profile',
    )
    # Go-style booleans: `--tls`, `--tls=true`, `--tls=false` (the explicit insecure opt-in).
    for flag in ("--tls", "--tlsverify"):
        p.add_argument(flag, nargs="?", const=True, default=None, type=_go_bool)
    for flag in ("--tlscacert", "--tlscert", "--tlskey"):
        p.add_argument(flag)
    return p.parse_args(argv)


def _go_bool(text: str) -> bool:
    value = text.lower()
    if value in ("1", "t", "true"):
        return True
    if value in ("0", "f", "false"):
        return False
    raise argparse.ArgumentTypeError(f"parse error: invalid boolean value {text!r}")


def build_config(args: argparse.Namespace) -> DaemonConfig:
    """daemon.json with the flags on top, validated as a whole before anything is done."""
    config = load(args.config_file)
    # Flags win over daemon.json, as with dockerd (dockerd refuses conflicts; we keep it simple).
    if args.data_root:
        config.data_root = args.data_root.absolute()
    if args.exec_root:
        config.exec_root = args.exec_root.absolute()
    if args.hosts:
        config.hosts = args.hosts
    if args.pidfile:
        config.pidfile = args.pidfile.absolute()
    if args.bridge:
        config.bridge = args.bridge
    if args.debug:
        config.debug = True
    for key in ("group", "tls", "tlsverify", "tlscacert", "tlscert", "tlskey", "seccomp_profile"):
        if getattr(args, key) is not None:
            setattr(config, key, getattr(args, key))
    return validate(config, "flags")


def setup_logging(config: DaemonConfig, log_file: Path | None) -> None:
    level = (
        logging.DEBUG
        if config.debug
        else getattr(
            logging,
            config.log_level.upper().replace("WARN", "WARNING").replace("FATAL", "CRITICAL"),
        )
    )
    handler: logging.Handler
    if log_file:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_file)
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)


def tls_context(config: DaemonConfig) -> ssl.SSLContext | None:
    """The TCP listeners' TLS, loaded before the daemon touches anything (None: no TCP)."""
    if not any(h.startswith("tcp://") for h in config.hosts):
        return None
    if not (config.tls or config.tlsverify):
        return None  # plain HTTP: validate() let it through only with the explicit opt-in
    try:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=config.tlscacert)
        ctx.load_cert_chain(config.tlscert or "", config.tlskey)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"could not load the TLS files (tlscacert {config.tlscacert}, tlscert "
            f"{config.tlscert}, tlskey {config.tlskey}): {exc}"
        ) from None
    ctx.verify_mode = ssl.CERT_REQUIRED if config.tlsverify else ssl.CERT_NONE
    return ctx


def warn_insecure_tcp(config: DaemonConfig) -> None:
    """dockerd's warnings (and its one-second pause) for TCP served without client
    verification, which the user asked for explicitly (validate() refuses it otherwise)."""
    import time

    insecure = [h for h in config.hosts if h.startswith("tcp://") and not config.tlsverify]
    for host in insecure:
        log.warning(
            "Binding to IP address without --tlsverify is insecure and gives root access on "
            "this machine to everyone who has access to your network. host=%s",
            host,
        )
        log.warning(
            "Binding to an IP address, even on localhost, can also give access to scripts "
            "run in a browser. Be safe out there! host=%s",
            host,
        )
    if insecure and insecure_tcp(config):
        time.sleep(1)


def socket_gid(group: str) -> int:
    """The unix socket's group id. As dockerd: a missing default group falls back to the
    daemon's own group with a warning; a missing group the user named refuses the start."""
    import grp

    try:
        return grp.getgrnam(group).gr_gid if not group.isdigit() else int(group)
    except KeyError:
        if group != DEFAULT_SOCKET_GROUP:
            raise ConfigError(f"group {group!r} not found (the -G/--group of the socket)") from None
        log.warning("could not change the socket's group to %s: group not found", group)
        return os.getgid()


def check_listeners(config: DaemonConfig) -> None:
    """A socket another daemon serves is not ours to take: refuse before anything is done
    (a unix socket left behind by a daemon that died answers nobody and is replaced)."""
    import socket

    for host in config.hosts:
        if host.startswith("unix://"):
            path = host[len("unix://") :]
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.settimeout(2)
                try:
                    probe.connect(path)
                except OSError:
                    continue
            raise ConfigError(
                f"{host} is served by another daemon: choose another with -H "
                "(or 'hosts' in daemon.json)"
            )
        if host.startswith("tcp://"):
            addr = tcp_address(host)
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(addr)
                except OSError as exc:
                    raise ConfigError(
                        f"cannot listen on {host}: {exc.strerror or exc}: choose another with -H "
                        "(or 'hosts' in daemon.json)"
                    ) from None


def tcp_address(host: str) -> tuple[str, int]:
    h, _, port = host[len("tcp://") :].rpartition(":")
    try:
        return h or "127.0.0.1", int(port)
    except ValueError:
        raise ConfigError(f"invalid value for 'hosts': {host!r} (tcp://HOST:PORT)") from None


async def serve(config: DaemonConfig, tls: ssl.SSLContext | None, gid: int) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from .api.app import StartingApi
    from .daemon.core import Daemon
    from .daemon.memory import trim_after_bursts

    loop = asyncio.get_running_loop()
    # Service calls block (runc, mounts, tar); the default pool of cpu+4 threads is too
    # small for 100 concurrent `run -d`.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=64, thread_name_prefix="svc"))
    daemon = Daemon(config)
    await asyncio.to_thread(daemon.open)
    daemon.events.bind_loop(loop)
    ready = asyncio.Event()
    api = StartingApi(daemon, ready)
    server = api.server
    sockets: list[str] = []
    try:
        for host in config.hosts:
            if host.startswith("unix://"):
                path = host[len("unix://") :]
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                await server.listen_unix(path, gid=gid)
                sockets.append(path)
            elif host.startswith("tcp://"):
                await server.listen_tcp(*tcp_address(host), ssl=tls)
        # The services (their records loaded), the routes and recovery after the listeners
        # are up: clients can connect (and /_ping) meanwhile; their requests wait for all
        # three (StartingApi).
        await asyncio.to_thread(daemon.load)
        await asyncio.to_thread(api.load_routes)
        try:
            await asyncio.to_thread(daemon.recover)
        finally:
            ready.set()
        await daemon.services.containers.start_background()
        trimmer = asyncio.create_task(trim_after_bursts())
        if config.pidfile:
            config.pidfile.write_text(str(os.getpid()))
        log.info("dockyardd %s listening on %s", os.getpid(), ", ".join(config.hosts))
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        trimmer.cancel()
        log.info("shutting down (containers keep running)")
    finally:
        await server.close()
        await asyncio.to_thread(daemon.close)
        for path in sockets:
            try:
                os.unlink(path)
            except OSError:
                pass
        if config.pidfile:
            try:
                config.pidfile.unlink()
            except OSError:
                pass
    return 0


def main(argv: list[str] | None = None) -> int:
    from .daemon.memory import limit_arenas

    limit_arenas()  # before any thread allocates
    args = parse_args(argv)
    try:
        config = build_config(args)
        check_listeners(config)
        tls = tls_context(config)
    except ConfigError as exc:
        print(f"dockyardd: {exc}", file=sys.stderr)
        return 1
    setup_logging(config, args.log_file)
    try:
        gid = socket_gid(config.group)
    except ConfigError as exc:
        print(f"dockyardd: {exc}", file=sys.stderr)
        return 1
    warn_insecure_tcp(config)
    from .daemon.core import AlreadyRunning
    from .daemon.hostclaims import OwnershipConflict

    try:
        return asyncio.run(serve(config, tls, gid))
    except (AlreadyRunning, OwnershipConflict) as exc:
        print(f"dockyardd: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"dockyardd: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
