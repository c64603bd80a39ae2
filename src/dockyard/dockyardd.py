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

from .daemon.config import DEFAULT_CONFIG_FILE, ConfigError, DaemonConfig, load, validate

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
    return p.parse_args(argv)


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
    try:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=config.tlscacert)
        ctx.load_cert_chain(config.tlscert or "", config.tlskey)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"could not load the TLS files (tlscacert {config.tlscacert}, tlscert "
            f"{config.tlscert}, tlskey {config.tlskey}): {exc}"
        ) from None
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


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


async def serve(config: DaemonConfig, tls: ssl.SSLContext | None) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from .api.app import build_server
    from .daemon.core import Daemon

    loop = asyncio.get_running_loop()
    # Service calls block (runc, mounts, tar); the default pool of cpu+4 threads is too
    # small for 100 concurrent `run -d`.
    loop.set_default_executor(ThreadPoolExecutor(max_workers=64, thread_name_prefix="svc"))
    daemon = Daemon(config)
    await asyncio.to_thread(daemon.open)
    daemon.events.bind_loop(loop)
    server = build_server(daemon)
    sockets: list[str] = []
    try:
        for host in config.hosts:
            if host.startswith("unix://"):
                path = host[len("unix://") :]
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                await server.listen_unix(path)
                sockets.append(path)
            elif host.startswith("tcp://"):
                await server.listen_tcp(*tcp_address(host), ssl=tls)
        await daemon.services.containers.start_background()
        if config.pidfile:
            config.pidfile.write_text(str(os.getpid()))
        log.info("dockyardd %s listening on %s", os.getpid(), ", ".join(config.hosts))
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
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
    args = parse_args(argv)
    try:
        config = build_config(args)
        check_listeners(config)
        tls = tls_context(config)
    except ConfigError as exc:
        print(f"dockyardd: {exc}", file=sys.stderr)
        return 1
    setup_logging(config, args.log_file)
    from .daemon.core import AlreadyRunning
    from .daemon.hostclaims import OwnershipConflict

    try:
        return asyncio.run(serve(config, tls))
    except (AlreadyRunning, OwnershipConflict) as exc:
        print(f"dockyardd: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"dockyardd: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
