"""The daemon's network service: NetworkManager on the daemon's database and event bus,
plus what the container service needs at create, start, stop and remove.

Its peers are explicit constructor arguments: the network config, the database, the event
publisher, who else owns an interface name, and the container directory (as a callable:
the container service is built after this one, because containers need networks).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import Conflict, InvalidParameter, NotFound
from ..state.db import Database
from . import views
from .attachment import Attachment, Wiring
from .dbstore import DatabaseStore
from .netconfig import NetworkConfig
from .options import CreateOptions

if TYPE_CHECKING:
    from .manager import NetworkManager

log = logging.getLogger(__name__)

_NETWORK_ALIASES = {"default": "bridge"}

# (type, action, actor id, attributes): the daemon's event bus.
Publish = Callable[[str, str, str, dict[str, str]], object]


class StateRef(Protocol):
    pid: int


class ContainerRef(Protocol):
    """What the network service reads of a container."""

    id: str
    name: str
    state: StateRef

    @property
    def running(self) -> bool: ...

    def attachment(self) -> Attachment: ...


class ContainerDirectory(Protocol):
    """The container service, as the network service sees it."""

    def get(self, ref: str) -> ContainerRef: ...

    def all(self) -> Iterable[ContainerRef]: ...


class NetworkService:
    def __init__(
        self,
        config: NetworkConfig,
        db: Database,
        publish: Publish,
        interface_owner: Callable[[str], str | None],
        containers: Callable[[], ContainerDirectory],
    ) -> None:
        """`interface_owner(name)` says which other daemon owns an interface name, if any;
        `containers()` is the container service (asked at use, never at construction)."""
        self.config = config
        self._db = db
        self._manager: NetworkManager | None = None
        self._manager_lock = threading.Lock()
        self._publish = publish
        self._interface_owner = interface_owner
        self._containers = containers

    @property
    def containers(self) -> ContainerDirectory:
        return self._containers()

    @property
    def manager(self) -> NetworkManager:
        """Built at first use, which is recover() at daemon start: the manager's imports
        (pyroute2) and its state come after the daemon's socket answers."""
        if self._manager is None:
            with self._manager_lock:
                if self._manager is None:
                    from .manager import NetworkManager

                    self._manager = NetworkManager(self.config, DatabaseStore(self._db))
        return self._manager

    # ------------------------------------------------------------------ daemon hooks
    def recover(self) -> None:
        # Containers' own recovery calls restore() per container; rebuild shared state here.
        self.manager.restore({c.id for c in self.containers.all() if c.running})

    def shutdown(self) -> None:
        if self._manager is not None:
            self._manager.close()

    def check(self, repair: bool) -> list[dict[str, Any]]:
        """What on the host is not as this daemon's networks want it (`system check`):
        addresses on our bridges that belong to none of our networks, and what no
        container owns any more (network/leftovers.py); fixed on `repair`."""
        found = self.manager.remove_stray_addresses() if repair else self.manager.stray_addresses()
        problems = [
            {
                "Resource": f"bridge {bridge}",
                "Problem": f"address {addr} belongs to none of this daemon's networks",
                "Repaired": repair,
            }
            for bridge, addrs in found.items()
            for addr in addrs
        ]
        from . import leftovers

        with self.manager.lock:
            for resource, problem, fix in leftovers.find(self.manager):
                if repair:
                    fix()
                problems.append({"Resource": resource, "Problem": problem, "Repaired": repair})
        return problems

    # ------------------------------------------------------------------ API
    def create(self, opts: CreateOptions) -> dict[str, Any]:
        self._check_bridge_name(opts.options.get("com.docker.network.bridge.name") or "")
        rec = self.manager.create_network(
            opts.name,
            driver=opts.driver,
            internal=opts.internal,
            attachable=opts.attachable,
            ipam=opts.ipam,
            options=opts.options,
            labels=opts.labels,
            enable_ipv6=opts.enable_ipv6,
        )
        rec = self.manager.inspect_network(rec["Id"])
        self._publish("network", "create", rec["Id"], {"name": rec["Name"], "type": rec["Driver"]})
        return {"Id": rec["Id"], "Warning": ""}

    def _check_bridge_name(self, name: str) -> None:
        """A bridge named by the user must not be one of ours or another daemon's."""
        if not name:
            return
        cfg = self.config
        if name == cfg.bridge or name.startswith(cfg.bridge_prefix):
            raise Conflict(
                f"bridge name {name} is reserved for this daemon's own bridges "
                f"(bridge {cfg.bridge}, prefix {cfg.bridge_prefix})"
            )
        owner = self._interface_owner(name)
        if owner:
            raise Conflict(f"bridge name {name} is not this daemon's to use: {owner}")

    def remove(self, ref: str) -> None:
        rec = self.manager.inspect_network(ref)
        self.manager.remove_network(ref)
        self._publish("network", "destroy", rec["Id"], {"name": rec["Name"], "type": rec["Driver"]})

    def inspect(self, ref: str, verbose: bool = False) -> dict[str, Any]:
        doc = self.manager.inspect_network(ref, verbose)
        return self._with_container_names(doc)

    def list(self, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
        return [self._with_container_names(d) for d in self.manager.list_networks(filters)]

    def prune(self, filters: dict[str, list[str]]) -> list[str]:
        return self.manager.prune_networks(filters)

    def _with_container_names(self, doc: dict[str, Any]) -> dict[str, Any]:
        containers = self.containers
        for cid, entry in (doc.get("Containers") or {}).items():
            with contextlib.suppress(NotFound):
                entry["Name"] = containers.get(cid).name
        return doc

    # ------------------------------------------------------------------ connect / disconnect
    # The container service calls these under the container's lock and records the result
    # in its own record (as podman's Container.NetworkConnect): this service never edits a
    # container's record.
    def network(self, ref: str) -> dict[str, Any]:
        """The network named or identified by `ref` (Id, Name, Driver, ...); NotFound else.
        Without its Containers: every start and stop asks (events), a scan of every endpoint."""
        return self.manager.inspect_network(ref, with_containers=False)

    def join(self, att: Attachment, network: str, cfg: dict[str, Any]) -> dict[str, Any]:
        """Connect a running container to `network`; its endpoint settings."""
        return self._connect_one(att, network, cfg)

    def planned_endpoint(self, network: str, cfg: dict[str, Any]) -> dict[str, Any]:
        """The endpoint settings a stopped container shows until it starts."""
        return self._planned_endpoint(network, cfg)

    def leave(self, cid: str, network: str, force: bool) -> None:
        """Disconnect a running container from `network`."""
        self.manager.disconnect(cid, network, force)

    def refresh_etc(self, att: Attachment) -> None:
        """Rewrite a running container's /etc/hosts and resolv.conf (its networks changed)."""
        hosts, resolv = self.etc_files(att)
        Path(att.hosts_path).write_text(hosts)
        Path(att.resolv_conf_path).write_text(resolv)

    # ------------------------------------------------------------------ container hooks
    def validate_mode(self, mode: str, networking: dict[str, Any]) -> None:
        if mode in ("default", "bridge", "host", "none"):
            return
        if mode.startswith("container:"):
            containers = self.containers
            containers.get(mode.split(":", 1)[1])
            return
        self.network(mode)  # NotFound: "network x not found"

    @staticmethod
    def _primary(mode: str) -> str:
        return _NETWORK_ALIASES.get(mode or "default", mode or "bridge")

    def _planned_endpoint(self, network: str, cfg: dict[str, Any]) -> dict[str, Any]:
        return views.planned_endpoint(cfg)

    def planned_networks(
        self, mode: str, endpoints: dict[str, dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """The networks a new container will join (inspect shows them before start)."""
        if mode.startswith("container:"):
            return {}
        primary = self._primary(mode)
        nets: dict[str, Any] = {}
        nets[primary] = self._planned_endpoint(
            primary, endpoints.get(primary) or endpoints.get(mode) or {}
        )
        for name, cfg in endpoints.items():
            if name not in (primary, mode):
                self.network(name)
                nets[name] = self._planned_endpoint(name, cfg or {})
        return nets

    def _links(self, att: Attachment) -> list[str]:
        containers = self.containers
        out = []
        for link in att.links:
            target, _, alias = link.partition(":")
            try:
                other = containers.get(target.lstrip("/"))
            except NotFound:
                continue
            out.append(f"{other.name}:{alias.rsplit('/', 1)[-1] or other.name}")
        return out

    def _connect_one(
        self, att: Attachment, network: str, cfg: dict[str, Any], defer: bool = False
    ) -> dict[str, Any]:
        ipam = cfg.get("IPAMConfig") or {}
        aliases = list(cfg.get("Aliases") or [])
        settings = self.manager.connect(
            att.id,
            att.name,
            network,
            aliases=aliases or None,
            ip=ipam.get("IPv4Address") or None,
            links=self._links(att) if network == "bridge" else list(cfg.get("Links") or []) or None,
            hostname=att.hostname,
            mac=cfg.get("MacAddress") or att.mac_address or None,
            link_local=list(ipam.get("LinkLocalIPs") or []),
            ip6=ipam.get("IPv6Address") or None,
            defer=defer,
        )
        # dockerd shows the IPAMConfig and DriverOpts a request carried, empty ones included
        if cfg.get("IPAMConfig") is not None and settings.get("IPAMConfig") is None:
            settings["IPAMConfig"] = {}
        if cfg.get("DriverOpts") is not None:
            settings["DriverOpts"] = dict(cfg["DriverOpts"])
        return settings

    def setup(self, att: Attachment, planned: dict[str, dict[str, Any]]) -> Wiring:
        """At start: the container's network namespace and endpoints; `planned` are the
        endpoints its record shows (from create and connect while stopped). The kernel
        side of the endpoints of a new namespace waits for plumb()."""
        mode = att.network_mode or "default"
        cid = att.id
        if mode == "host":
            return Wiring("host", networks={"host": self._planned_endpoint("host", {})})
        if mode.startswith("container:"):
            containers = self.containers
            other = containers.get(mode.split(":", 1)[1])
            if not other.running:
                raise InvalidParameter(
                    f"cannot join network namespace of a non running container: {other.id}"
                )
            path = self.manager.sandbox_path(other.id)
            if path is None:
                return Wiring(f"/proc/{other.state.pid}/ns/net")
            return Wiring(self.manager.create_sandbox(cid, path))
        try:
            fresh = self.manager.sandbox_path(cid) is None
            path = self.manager.create_sandbox(cid)
            nets = dict(planned)
            if not nets:
                nets = {self._primary(mode): self._planned_endpoint(self._primary(mode), {})}
            for name in list(nets):
                cfg = dict(att.endpoints_config.get(name) or {})
                wanted = nets[name] or {}
                for key in ("Aliases", "IPAMConfig", "Links"):
                    if wanted.get(key) and not cfg.get(key):
                        cfg[key] = wanted[key]
                nets[name] = self._connect_one(att, name, cfg, defer=fresh)
            bindings = self._port_bindings(att)
            ports = self.manager.publish_ports(cid, bindings) if bindings else {}
            for key in att.exposed_ports:
                ports.setdefault(key, None)
            return Wiring(path, networks=nets, ports=ports, sandbox_key=path)
        except BaseException:
            with contextlib.suppress(Exception):
                self.manager.release_sandbox(cid)
            raise

    def plumb(self, cid: str) -> None:
        """The kernel side of what setup() recorded (veths, addresses, routes): run it
        while the runtime creates the container, before the container starts."""
        self.manager.plumb(cid)

    def _port_bindings(self, att: Attachment) -> dict[str, Any]:
        bindings = dict(att.port_bindings)
        if att.publish_all_ports:
            for key in att.exposed_ports:
                bindings.setdefault(key, [{"HostIp": "", "HostPort": ""}])
        return bindings

    def teardown(self, cid: str) -> None:
        """The container stopped: its sandbox goes (its record clears its endpoints)."""
        self.manager.release_sandbox(cid)

    def on_remove(self, cid: str) -> None:
        with contextlib.suppress(Exception):
            self.manager.release_sandbox(cid)

    def etc_files(self, att: Attachment) -> tuple[str, str]:
        if att.network_mode.startswith("container:"):
            # As Docker: a container in another's network namespace shares its /etc/hosts
            # and resolv.conf (its DNS server, the names of its networks).
            att = self.containers.get(att.network_mode.split(":", 1)[1]).attachment()
        files = self.manager.sandbox_files(
            att.id,
            att.hostname or att.id[:12],
            att.domainname,
            extra_hosts=att.extra_hosts,
            dns=att.dns,
            dns_search=att.dns_search,
            dns_options=att.dns_options,
            host_network=(att.network_mode == "host"),
        )
        return files["hosts"], files["resolv.conf"]

    def interface_stats(self, cid: str) -> dict[str, dict[str, int]]:
        """Docker's stats `networks`: per container interface, read from the host veth
        (whose receive is the container's transmit)."""
        out: dict[str, dict[str, int]] = {}
        for ep in list(self.manager.endpoints.values()):
            if ep["cid"] != cid or not ep.get("host_veth"):
                continue
            base = Path("/sys/class/net") / ep["host_veth"] / "statistics"

            def read(name: str, base: Path = base) -> int:
                try:
                    return int((base / name).read_text())
                except (OSError, ValueError):
                    return 0

            out[ep.get("ifname") or "eth0"] = {
                "rx_bytes": read("tx_bytes"),
                "rx_packets": read("tx_packets"),
                "rx_errors": read("tx_errors"),
                "rx_dropped": read("tx_dropped"),
                "tx_bytes": read("rx_bytes"),
                "tx_packets": read("rx_packets"),
                "tx_errors": read("rx_errors"),
                "tx_dropped": read("rx_dropped"),
            }
        return out
