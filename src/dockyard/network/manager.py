"""NetworkManager: the network service the container service calls.

Synchronous and thread-safe (one lock); it is meant to be called from worker threads,
never from the daemon's event loop thread itself (DNS listeners run on that loop and are
started from here with run_coroutine_threadsafe).

Kernel objects are named from the config so a test daemon never meets an installed one:
bridges `<bridge>` (default network) and `<bridge_prefix><network id>` (user networks,
cut to 15 characters), nft table `<nft_table>`, namespaces under `<exec_root>/netns/`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
from collections.abc import Callable
from typing import Any

from dockyard.errors import InvalidParameter

from . import bridge as br
from . import dockercompat, leftovers, netns, nftables, sandbox
from .dns import DnsServer, LoopThread
from .endpoints import Endpoints
from .firewall import Firewall
from .ipam import Ipam
from .netconfig import IFNAMSIZ, PREDEFINED, NetworkConfig
from .networks import NetworkTable
from .portmap import PortReserver, ipv6_wildcard_available
from .resolution import Resolution
from .store import KVStore

__all__ = ["IFNAMSIZ", "PREDEFINED", "NetworkConfig", "NetworkManager"]

log = logging.getLogger(__name__)


class NetworkManager(NetworkTable, Endpoints, Resolution, Firewall):
    def __init__(
        self,
        config: NetworkConfig,
        store: KVStore,
        loop: Any = None,
        routes: Any = None,
    ) -> None:
        self.cfg = config
        self._check_names()
        self.store = store
        self.lock = threading.RLock()
        self.ipam = Ipam(config.pools, routes or self._foreign_routes)
        self._host_routes = routes or self._routes_elsewhere
        # networks not brought up at restore because someone else uses their subnet now:
        # no rules for them either (they would match the other owner's traffic)
        self.left_down: set[str] = set()
        self.ports = PortReserver(config.port_range)
        self.ipv6_ports = ipv6_wildcard_available()  # publish on [::] too, as Docker does
        self.host_resolv = sandbox.read_host_resolv(config.resolv_conf)
        upstreams = config.dns_upstreams
        if upstreams is None:
            upstreams = [(ns, 53) for ns in self.host_resolv.nameservers]
        self.dns = DnsServer(self._dns_lookup, self._dns_reverse, upstreams, self._dns_upstreams)
        self._container_dns: dict[str, list[str]] = {}  # cid -> its --dns servers
        self._loop = LoopThread(loop)
        self.networks: dict[str, dict[str, Any]] = {}
        self.endpoints: dict[str, dict[str, Any]] = {}  # "<cid>/<netid>" -> record
        self.sandboxes: dict[str, dict[str, Any]] = {}  # cid -> {"path", "owned"}
        # cid -> kernel work of its endpoints left for Endpoints.plumb (start in progress)
        self._plumbing: dict[str, list[Callable[[], Any]]] = {}
        self.published: dict[str, list[dict[str, Any]]] = {}  # cid -> port records
        self._compat_bridges: list[str] | None = None
        self._written: dict[str, str] = {}  # key -> JSON last written to the store
        self._dns_ports: dict[str, int] = {}  # network id -> port our DNS listens on
        self._load()
        self._ensure_predefined()
        self._watchdog_stop = threading.Event()
        self._watchdog: threading.Thread | None = None

    def _check_names(self) -> None:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,63}", self.cfg.nft_table):
            raise InvalidParameter(f"invalid nftables table name: {self.cfg.nft_table!r}")
        for name in (self.cfg.bridge, self.cfg.bridge_prefix + "x"):
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,15}", name):
                raise InvalidParameter(f"invalid interface name: {name!r}")

    # ------------------------------------------------------------------ persistence

    def _load(self) -> None:
        self.networks = self.store.get("networks") or {}
        self.ipam.load(self.store.get("ipam") or {})
        self.endpoints = self.store.get("endpoints") or {}
        self.sandboxes = self.store.get("sandboxes") or {}
        self.published = self.store.get("ports") or {}

    def _save(self) -> None:
        """Write the keys whose content changed since the last write (each is a DB write)."""
        for key, value in (
            ("networks", self.networks),
            ("ipam", self.ipam.to_dict()),
            ("endpoints", self.endpoints),
            ("sandboxes", self.sandboxes),
            ("ports", self.published),
        ):
            text = json.dumps(value, sort_keys=True)
            if self._written.get(key) != text:
                self.store.put(key, value)
                self._written[key] = text

    # ------------------------------------------------------------------ lifecycle

    def restore(self, running: set[str] | None = None) -> None:
        """After a daemon restart: bridges, DNS listeners, port reservations and rules
        for the containers still running; the rest of the recorded state is released.
        `running` None keeps every container whose namespace still exists."""
        with self.lock:
            for rec in self.networks.values():
                try:
                    self._check_subnet_free(rec)
                    self._bring_up(rec)
                    self.left_down.discard(rec["Id"])
                except Exception as exc:  # one broken network must not stop the daemon
                    log.error("network %s: %s", rec["Name"], exc)
                    self.left_down.add(rec["Id"])
            for cid, sb in list(self.sandboxes.items()):
                alive = netns.exists(sb["path"]) and (running is None or cid in running)
                if not alive:
                    self.release_sandbox(cid)
            for e in self.endpoints.values():
                rec = self.networks.get(e["network_id"])
                if e["host_veth"] and rec and rec["bridge"]:
                    try:
                        br.ensure_port(e["host_veth"], rec["bridge"])
                    except OSError as exc:
                        log.warning("re-plugging %s: %s", e["host_veth"], exc)
            for cid in list(self.published):
                if cid not in self.sandboxes:
                    self.unpublish_ports(cid)
                    continue
                for p in self.published[cid]:
                    self.ports.adopt(
                        p["proto"], p["host_ip"], p["host_port"], (p["container_ip"], p["container_port"])
                    )
            for resource, problem, fix in leftovers.find(self, table=False):
                log.warning("restore: %s: %s: released", resource, problem)
                fix()
            self._save()
            self._sync_firewall()
            for bridge, addrs in self.stray_addresses().items():
                log.warning(
                    "bridge %s has addresses that belong to none of this daemon's networks: "
                    "%s (left alone: `dockyard system check --repair` removes them)",
                    bridge,
                    ", ".join(addrs),
                )
        self._start_watchdog()

    def commit(self) -> None:
        """Write the state and render the firewall from it."""
        with self.lock:
            self._save()
            self._sync_firewall()

    def close(self) -> None:
        """Daemon shutdown with live restore: stop serving, leave kernel state alone."""
        self._stop_watchdog()
        with self.lock:
            with contextlib.suppress(Exception):
                self._loop.run(self.dns.close())
            self.ports.release_all()
            self._loop.stop()

    def teardown(self) -> None:
        """Remove everything of ours: endpoints, namespaces, bridges, rules, state."""
        self._stop_watchdog()
        with self.lock:
            for cid in list(self.sandboxes):
                with contextlib.suppress(Exception):
                    self.release_sandbox(cid)
            for key, e in list(self.endpoints.items()):
                self._detach(key, e)
            for rec in self.networks.values():
                with contextlib.suppress(Exception):
                    self._tear_down_network(rec)
            with contextlib.suppress(Exception):
                self._loop.run(self.dns.close())
            self.ports.release_all()
            nftables.remove(self.cfg.nft_table)
            if self.cfg.docker_compat:
                dockercompat.cleanup(self._compat_tag)
            netns.release_dir(str(self.cfg.netns_dir))
            for key in ("networks", "ipam", "endpoints", "sandboxes", "ports"):
                self.store.delete(key)
            self._written.clear()
            self.networks, self.endpoints, self.sandboxes, self.published = {}, {}, {}, {}
            self.ipam.load({})
            self._loop.stop()
