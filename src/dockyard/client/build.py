"""Build: POST /build, the classic builder's Dockerfile build."""

from __future__ import annotations

from .api import Client

TYPE_CHECKING = False  # typing, json and base64 cost milliseconds on every `build`
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, BinaryIO


def _compact(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"))


def _b64_json(value: dict[str, str]) -> str:
    import base64

    return base64.urlsafe_b64encode(_compact(value).encode()).decode()


class Build:
    def __init__(self, transport: Client) -> None:
        self._t = transport

    def build(
        self,
        context: BinaryIO | bytes | None,
        dockerfile: str = "Dockerfile",
        tags: list[str] | None = None,
        remote: str = "",
        buildargs: dict[str, str | None] | None = None,
        labels: dict[str, str] | None = None,
        target: str = "",
        nocache: bool = False,
        pull: bool = False,
        quiet: bool = False,
        forcerm: bool = False,
        rm: bool = True,
        platform: str = "",
        networkmode: str = "",
        extrahosts: list[str] | None = None,
        cachefrom: list[str] | None = None,
        cacheto: list[str] | None = None,
        memory: int | None = None,
        shmsize: int | None = None,
        cpushares: int | None = None,
        registry_config: str = "",
        secrets: dict[str, bytes] | None = None,
        ssh: dict[str, str] | None = None,
        check: bool = False,
        buildcontexts: dict[str, str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """POST /build.

        Args:
            context: the build context as a tar, bytes or a stream (None with `remote`).
            dockerfile: the Dockerfile's path inside the context.
            remote: a Git or tarball URL the daemon fetches instead of `context`.
            buildargs: ARG values; None takes the ARG's default.
            registry_config: the X-Registry-Config header (base64url JSON of credentials
                per registry) for pulling FROM images.
            secrets: `--secret` values by id, sent in dockyard's X-Dockyard-Build-Secrets
                header (never in the query).
            buildcontexts: named contexts, {"name": "local" | "docker-image://REF"};
                local ones travel in `context` under .dockyard-contexts/<index>/ in sorted
                name order (dockyard's `buildcontexts` query parameter).
            check: lint the Dockerfile with BuildKit's rules instead of building
                (dockyard's `check` query parameter).
            ssh: `--ssh` agent socket paths by id (X-Dockyard-Build-Ssh; the daemon must
                run on this host to reach them).
        Returns:
            The progress messages: {"stream": ...} lines, {"aux": {"ID": ...}} for the
            image, {"error", "errorDetail"} when a step fails.
        """
        params: list[tuple[str, Any]] = []
        if remote:
            params.append(("remote", remote))
        params += [("t", t) for t in tags or []]
        params.append(("dockerfile", dockerfile))
        if buildargs:
            params.append(("buildargs", _compact(buildargs)))
        if labels:
            params.append(("labels", _compact(labels)))
        if target:
            params.append(("target", target))
        for flag, key in ((nocache, "nocache"), (pull, "pull"), (quiet, "q"), (forcerm, "forcerm")):
            if flag:
                params.append((key, "1"))
        if not rm:
            params.append(("rm", "0"))
        if platform:
            params.append(("platform", platform))
        if networkmode:
            params.append(("networkmode", networkmode))
        if extrahosts:
            params.append(("extrahosts", ",".join(extrahosts)))
        if cachefrom:
            params.append(("cachefrom", _compact(cachefrom)))
        if cacheto:
            params.append(("cacheto", _compact(cacheto)))  # dockyard's: see docs/build.md
        for value, key in ((memory, "memory"), (shmsize, "shmsize"), (cpushares, "cpushares")):
            if value is not None:
                params.append((key, str(value)))
        if check:
            params.append(("check", "1"))
        if buildcontexts:
            params.append(("buildcontexts", _compact(buildcontexts)))
        params.append(("version", "1"))
        headers = {"Content-Type": "application/x-tar"}
        if registry_config:
            headers["X-Registry-Config"] = registry_config
        if secrets:
            import base64

            values = {k: base64.b64encode(v).decode() for k, v in secrets.items()}
            headers["X-Dockyard-Build-Secrets"] = _b64_json(values)
        if ssh:
            headers["X-Dockyard-Build-Ssh"] = _b64_json(ssh)
        return self._t.request("POST", "/build", params, body=context, headers=headers).iter_json()

    def prune(
        self, filters: dict[str, Any] | None = None, all: bool = False, keep_storage: int = 0
    ) -> dict[str, Any]:
        """POST /build/prune. Returns {"CachesDeleted": [...], "SpaceReclaimed": n}."""
        params = {"all": all or None, "filters": filters, "keep-storage": keep_storage or None}
        return self._t.post("/build/prune", params) or {}
