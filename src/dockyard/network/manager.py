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
from .rows import Rows
from .store import Change, StateStore

__all__ = ["IFNAMSIZ", "PREDEFINED", "NetworkConfig", "NetworkManager"]

log = logging.getLogger(__name__)


class NetworkManager(NetworkTable, Endpoints, Resolution, Firewall):
    def __init__(
        self,
        config: NetworkConfig,
        store: StateStore,
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
        self.networks = Rows()
        self.endpoints = Rows()  # "<cid>/<netid>" -> record
        self.sandboxes = Rows()  # cid -> {"path", "owned", "dns"}
        # cid -> kernel work of its endpoints left for Endpoints.plumb (start in progress)
        self._plumbing: dict[str, list[Callable[[], Any]]] = {}
        # host veth -> when the namespace holding its peer was dropped: the kernel removes
        # the pair once the namespace is gone, asynchronously (network/leftovers.py waits)
        self.departing: dict[str, float] = {}
        self.published = Rows()  # cid -> port records
        self._compat_bridges: list[str] | None = None
        # table -> key -> JSON last written to the store (rows looked up are compared)
        self._written: dict[str, dict[str, str]] = {}
        self._dns_ports: dict[str, int] = {}  # network id -> port our DNS listens on
        self._load()
        self._watchdog_stop = threading.Event()
        self._watchdog: threading.Thread | None = None

    def _check_names(self) -> None:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,63}", self.cfg.nft_table):
            raise InvalidParameter(f"invalid nftables table name: {self.cfg.nft_table!r}")
        for name in (self.cfg.bridge, self.cfg.bridge_prefix + "x"):
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,15}", name):
                raise InvalidParameter(f"invalid interface name: {name!r}")

    # ------------------------------------------------------------------ persistence

    def _tables(self) -> tuple[tuple[str, Rows], ...]:
        return (
            ("networks", self.networks),
            ("endpoints", self.endpoints),
            ("sandboxes", self.sandboxes),
            ("ports", self.published),
        )

    def _load(self) -> None:
        tables = self.store.load()
        self.networks = Rows(tables.get("networks"))
        self.endpoints = Rows(tables.get("endpoints"))
        self.sandboxes = Rows(tables.get("sandboxes"))
        self.published = Rows(tables.get("ports"))
        self.ipam.load_rows(tables.get("ipam") or {}, tables.get("addresses") or {})
        self._written = {
            name: {k: json.dumps(v, sort_keys=True) for k, v in rows.items()}
            for name, rows in self._tables()
        }

    def _save(self) -> None:
        """Write the rows that changed since the last write, in one transaction: those set,
        removed or looked up (and then perhaps changed in place), compared with what was
        written; and the addresses allocated or released."""
        changes: list[Change] = []
        texts: list[tuple[str, str, str | None]] = []
        flushed: list[tuple[Rows, list[str]]] = []
        for name, rows in self._tables():
            written = self._written[name]
            keys = list(rows.touched)  # a copy: lookups outside the lock add to it
            flushed.append((rows, keys))
            for key in keys:
                doc = dict.get(rows, key)  # a plain read: not a touch
                text = None if doc is None else json.dumps(doc, sort_keys=True)
                if written.get(key) != text:
                    changes.append((name, key, doc))
                    texts.append((name, key, text))
        changes += self.ipam.pending()
        if changes:
            self.store.apply(changes)
        self.ipam.written()
        for rows, keys in flushed:
            rows.flushed(keys)
        for name, key, text in texts:
            if text is None:
                self._written[name].pop(key, None)
            else:
                self._written[name][key] = text

    # ------------------------------------------------------------------ lifecycle

    def restore(self, running: set[str] | None = None) -> None:
        """After a daemon restart: bridges, DNS listeners, port reservations and rules
        for the containers still running; the rest of the recorded state is released.
        `running` None keeps every container whose namespace still exists."""
        # here, not at construction: a new data root's default bridge takes a subnet no
        # host route has, and reading the routes needs netlink (the daemon answers
        # /_ping before)
        self._ensure_predefined()
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
            self.networks.touch_all()  # _bring_up notes in the records what it found
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
            for _, rows in self._tables():
                rows.clear()
            for net_id in {*self.ipam.networks, *self.ipam.networks6}:
                self.ipam.remove(net_id)
            self._save()
            self._loop.stop()
