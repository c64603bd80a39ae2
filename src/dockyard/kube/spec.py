"""What `kube generate` knows about an application, whatever it was read from.

Running containers (`from_inspect`) and compose services (`from_compose`) both become these
records; `manifests` renders them as Kubernetes objects. Keeping one shape in between means
the two sources cannot drift apart in how they map to Kubernetes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Port:
    container_port: int
    protocol: str = "TCP"  # "TCP" | "UDP" | "SCTP"
    host_port: int | None = None  # published on the host (None: only exposed)


@dataclass
class Mount:
    """One volume mounted into a container.

    kind: "volume" (named: a PersistentVolumeClaim), "bind" (hostPath), "anonymous" and
    "tmpfs" (emptyDir), "config" (a ConfigMap file), "secret" (a Secret file).
    """

    kind: str
    target: str
    source: str = ""  # volume name, host path, config or secret name
    read_only: bool = False
    size: int | None = None  # tmpfs size in bytes
    sub_path: str = ""  # one file of a config or secret


@dataclass
class Health:
    """Docker's Healthcheck, with durations in seconds."""

    test: list[str]  # ["CMD", ...] | ["CMD-SHELL", "..."]
    interval: float = 30.0
    timeout: float = 30.0
    retries: int = 3
    start_period: float = 0.0


@dataclass
class Container:
    name: str
    image: str
    command: list[str] | None = None  # the image's ENTRYPOINT replaced
    args: list[str] | None = None  # the image's CMD replaced
    env: dict[str, str] = field(default_factory=dict)
    env_from: list[str] = field(default_factory=list)  # ConfigMaps (from env_file)
    working_dir: str = ""
    user: str = ""
    ports: list[Port] = field(default_factory=list)
    memory: int = 0  # bytes
    nano_cpus: int = 0
    cap_add: list[str] = field(default_factory=list)
    cap_drop: list[str] = field(default_factory=list)
    privileged: bool = False
    read_only: bool = False
    mounts: list[Mount] = field(default_factory=list)
    health: Health | None = None
    tty: bool = False
    stdin_open: bool = False


@dataclass
class Workload:
    """One Deployment / Pod / DaemonSet / Job with the objects it needs."""

    name: str
    containers: list[Container]
    restart: str = ""  # Docker's: "" (not given), "no", "always", "unless-stopped", "on-failure"
    max_retries: int = 0  # on-failure:N
    replicas: int = 1
    stop_grace: int | None = None  # seconds
    labels: dict[str, str] = field(default_factory=dict)
    project: str = ""
    depends_on: list[str] = field(default_factory=list)
    hostname: str = ""


@dataclass
class ConfigData:
    """A ConfigMap (env_file, compose config) or a Secret (compose secret)."""

    name: str
    data: dict[str, str]
    secret: bool = False


@dataclass
class Application:
    workloads: list[Workload]
    configs: list[ConfigData] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
