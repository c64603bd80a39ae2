"""Swarm-mode routes, answered as Docker answers on a node that is not in a swarm.

dockyard has no swarm mode (multi-host work goes to Kubernetes). Every route checks its
request the way moby's swarm router does before it reaches the cluster (body, version,
flags), then fails with the cluster's own error (moby daemon/cluster/errors.go and
Cluster.errNoManager in daemon/cluster/cluster.go). Init and join are the two routes where
Docker would form or join a swarm; there we answer 501 instead of pretending to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import DockyardError, InvalidParameter, Unavailable
from .http import Request, Response
from .jsonbody import read_json_object
from .router import Router, version_at_least

if TYPE_CHECKING:
    from ..daemon.core import Daemon

NOT_MANAGER = (
    'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" '
    "to connect this node to swarm and try again."
)
NOT_IN_SWARM = "This node is not part of a swarm"
NO_CLUSTER_VOLUMES = "volume update only valid for cluster volumes, but swarm is unavailable"


class SwarmNotSupported(DockyardError):
    status = 501


def not_supported(action: str) -> SwarmNotSupported:
    return SwarmNotSupported(
        f"dockyard does not support swarm mode: this node cannot {action} a swarm. "
        'For multi-host work use Kubernetes ("dockyard kube generate").'
    )


def go_parse_bool(value: str) -> bool | None:
    """Go's strconv.ParseBool; None when the text is not a boolean."""
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


def go_parse_uint_error(raw: str) -> str | None:
    """The error text of Go's strconv.ParseUint(raw, 10, 64), or None when it parses."""
    if raw.isascii() and raw.isdigit():
        if int(raw) < 1 << 64:
            return None
        return f'strconv.ParseUint: parsing "{raw}": value out of range'
    return f'strconv.ParseUint: parsing "{raw}": invalid syntax'


def check_version(req: Request, what: str, detailed: bool = True) -> None:
    raw = req.q("version") or ""
    err = go_parse_uint_error(raw)
    if err is not None:
        raise InvalidParameter(
            f"invalid {what} version '{raw}': {err}" if detailed else f"invalid {what} version"
        )


def check_bool(req: Request, name: str, wrapped: bool = False) -> None:
    value = req.q(name) or ""
    if value and go_parse_bool(value) is None:
        if wrapped:
            raise InvalidParameter(
                f'invalid value for {name}: {value}: strconv.ParseBool: parsing "{value}": '
                "invalid syntax"
            )
        raise InvalidParameter(f"invalid value for {name}: {value}")


def check_log_streams(req: Request) -> None:
    if not (req.q_bool("stdout") or req.q_bool("stderr")):
        raise InvalidParameter("must specify at least one of 'stdout' or 'stderr'")


def register(router: Router, daemon: Daemon) -> None:
    async def no_manager(req: Request, **_: str) -> Response:
        raise Unavailable(NOT_MANAGER)

    async def listed(req: Request) -> Response:
        req.q_filters()
        raise Unavailable(NOT_MANAGER)

    def body_then_no_manager(go_type: str, version_of: str = "", detailed: bool = True):  # noqa: ANN202
        async def handler(req: Request, **_: str) -> Response:
            await read_json_object(req, go_type)
            if version_of:
                check_version(req, version_of, detailed)
            raise Unavailable(NOT_MANAGER)

        return handler

    # /swarm (moby daemon/server/router/swarm/cluster_routes.go)
    @router.route("POST", "/swarm/init")
    async def init(req: Request) -> Response:
        await read_json_object(req, "swarm.InitRequest")
        raise not_supported("initialize")

    @router.route("POST", "/swarm/join")
    async def join(req: Request) -> Response:
        await read_json_object(req, "swarm.JoinRequest")
        raise not_supported("join")

    @router.route("POST", "/swarm/leave")
    async def leave(req: Request) -> Response:
        raise Unavailable(NOT_IN_SWARM)

    @router.route("POST", "/swarm/update")
    async def update(req: Request) -> Response:
        await read_json_object(req, "swarm.Spec")
        check_version(req, "swarm")
        for name in ("rotateWorkerToken", "rotateManagerToken", "rotateManagerUnlockKey"):
            check_bool(req, name)
        raise Unavailable(NOT_MANAGER)

    router.add("GET", "/swarm", no_manager)
    router.add("GET", "/swarm/unlockkey", no_manager)
    router.add("POST", "/swarm/unlock", body_then_no_manager("swarm.UnlockRequest"))

    # services
    @router.route("GET", "/services")
    async def services(req: Request) -> Response:
        req.q_filters()
        if version_at_least(req, "1.41"):
            check_bool(req, "status", wrapped=True)
        raise Unavailable(NOT_MANAGER)

    @router.route("GET", "/services/{id}")
    async def service(req: Request, id: str) -> Response:
        check_bool(req, "insertDefaults", wrapped=True)
        raise Unavailable(NOT_MANAGER)

    @router.route("POST", "/services/{id}/update")
    async def service_update(req: Request, id: str) -> Response:
        await read_json_object(req, "swarm.serviceWithLegacy")
        check_version(req, "service")
        source = req.q("registryAuthFrom") or ""
        if source and source not in ("spec", "previous-spec"):
            raise InvalidParameter(f"invalid registryAuthFrom '{source}'")
        raise Unavailable(NOT_MANAGER)

    async def logs(req: Request, id: str) -> Response:
        check_log_streams(req)
        raise Unavailable(NOT_MANAGER)

    router.add("POST", "/services/create", body_then_no_manager("swarm.serviceWithLegacy"))
    router.add("DELETE", "/services/{id}", no_manager)
    router.add("GET", "/services/{id}/logs", logs)

    # nodes and tasks
    router.add("GET", "/nodes", listed)
    router.add("GET", "/nodes/{id}", no_manager)
    router.add("DELETE", "/nodes/{id}", no_manager)
    router.add("POST", "/nodes/{id}/update", body_then_no_manager("swarm.NodeSpec", "node"))
    router.add("GET", "/tasks", listed)
    router.add("GET", "/tasks/{id}", no_manager)
    router.add("GET", "/tasks/{id}/logs", logs)

    # secrets and configs: the same five routes each
    for kind, go_type in (("secret", "swarm.SecretSpec"), ("config", "swarm.ConfigSpec")):
        base = f"/{kind}s"
        router.add("GET", base, listed)
        router.add("POST", f"{base}/create", _create_handler(kind, go_type))
        router.add("GET", base + "/{id}", no_manager)
        router.add("DELETE", base + "/{id}", no_manager)
        router.add(
            "POST", base + "/{id}/update", body_then_no_manager(go_type, kind, detailed=False)
        )

    # cluster volumes (moby daemon/server/router/volume/volume_routes.go putVolumesUpdate)
    @router.route("PUT", "/volumes/{name}")
    async def volume_update(req: Request, name: str) -> Response:
        raise Unavailable(NO_CLUSTER_VOLUMES)


def _create_handler(kind: str, go_type: str):  # noqa: ANN202
    async def handler(req: Request) -> Response:
        spec = await read_json_object(req, go_type)
        if spec.get("Templating") is not None and not version_at_least(req, "1.37"):
            raise InvalidParameter(
                f"{kind} templating is not supported on the specified API version: "
                f"{req.api_version}"
            )
        raise Unavailable(NOT_MANAGER)

    return handler
