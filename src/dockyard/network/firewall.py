"""Our nftables table (and Docker's DOCKER-USER accepts) rendered from the state, and the
watchdog that re-asserts them."""

from __future__ import annotations

import logging
import threading

from . import dockercompat, nftables
from .netconfig import opt_true

log = logging.getLogger(__name__)


class Firewall:
    """Mixed into NetworkManager: works on its state (cfg, lock, store, ipam, ports, dns,
    networks, endpoints, sandboxes, published) under its lock."""

    def _sync_firewall(self, force_compat: bool = False) -> None:
        nets, bridges = [], []
        for rec in self.networks.values():
            if rec["Driver"] != "bridge" or rec["Id"] in self.left_down:
                continue
            alloc = self.ipam.networks[rec["Id"]]
            nets.append(
                nftables.NetRules(
                    rec["bridge"],
                    str(alloc.subnet),
                    str(alloc.gateway),
                    rec["Internal"],
                    self._dns_ports.get(rec["Id"], 53),
                    opt_true(rec["Options"], "com.docker.network.bridge.enable_icc"),
                    opt_true(rec["Options"], "com.docker.network.bridge.enable_ip_masquerade"),
                )
            )
            bridges.append(rec["bridge"])
        ports = [
            nftables.PortRule(
                p["proto"],
                p["host_ip"],
                p["host_port"],
                p["container_ip"],
                p["container_port"],
                p["bridge"],
            )
            for plist in self.published.values()
            for p in plist
        ]
        nftables.apply(nftables.Ruleset(self.cfg.nft_table, nets, ports))
        # DOCKER-USER costs several iptables runs: only when our set of bridges changed
        if self.cfg.docker_compat and (force_compat or bridges != self._compat_bridges):
            self._compat_bridges = bridges
            try:
                dockercompat.sync(bridges, self._compat_tag)
            except OSError as exc:
                log.warning("DOCKER-USER rules: %s", exc)

    @property
    def _compat_tag(self) -> str:
        return f"dockyard:{self.cfg.nft_table}"

    def reconcile(self) -> None:
        """Re-assert firewall state (e.g. periodically, or after Docker restarted)."""
        with self.lock:
            self._sync_firewall(force_compat=True)

    def _start_watchdog(self) -> None:
        if self.cfg.watchdog_interval <= 0 or self._watchdog is not None:
            return

        def loop() -> None:
            while not self._watchdog_stop.wait(self.cfg.watchdog_interval):
                try:
                    with self.lock:
                        if not nftables.exists(self.cfg.nft_table):
                            log.warning("nft table %s vanished: restoring it", self.cfg.nft_table)
                        self._sync_firewall(force_compat=True)
                except Exception as exc:  # keep watching
                    log.warning("network watchdog: %s", exc)

        self._watchdog_stop.clear()
        self._watchdog = threading.Thread(target=loop, name="net-watchdog", daemon=True)
        self._watchdog.start()

    def _stop_watchdog(self) -> None:
        self._watchdog_stop.set()
        if self._watchdog is not None:
            self._watchdog.join(5)
            self._watchdog = None
