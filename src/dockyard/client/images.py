"""Images: one method per Engine API call under /images.

Pull, push, load and import answer with a stream of JSON progress messages ({"status",
"id", "progressDetail", ...}, {"aux": ...}, or {"error", "errorDetail"} for a failure
inside the stream); they return an iterator over those messages. `registry_auth` is the
X-Registry-Auth header value (base64url JSON, see common.dockerconfig).
"""

from __future__ import annotations

from .api import Client, quote_ref

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, BinaryIO

    Filters = dict[str, Any]


def _auth(registry_auth: str | None) -> dict[str, str] | None:
    return {"X-Registry-Auth": registry_auth} if registry_auth is not None else None


class Images:
    def __init__(self, transport: Client) -> None:
        self._t = transport

    def list(self, all: bool = False, filters: Filters | None = None) -> list[dict[str, Any]]:
        """GET /images/json.

        Args:
            all: include intermediate images.
            filters: {"reference": {"nginx": True}, "dangling": {"true": True}, ...}.
        Returns:
            The image summaries.
        """
        return self._t.get("/images/json", {"all": all or None, "filters": filters}) or []

    def inspect(self, ref: str) -> dict[str, Any]:
        """GET /images/{name}/json. Raises APIError 404 when there is no such image."""
        return self._t.get(f"/images/{quote_ref(ref)}/json")

    def history(self, ref: str) -> list[dict[str, Any]]:
        """GET /images/{name}/history. Returns the layers, newest first."""
        return self._t.get(f"/images/{quote_ref(ref)}/history") or []

    def tag(self, ref: str, repo: str, tag: str = "latest") -> None:
        """POST /images/{name}/tag: give the image `ref` the name repo:tag."""
        self._t.request("POST", f"/images/{quote_ref(ref)}/tag", {"repo": repo, "tag": tag}).read()

    def remove(self, ref: str, force: bool = False, noprune: bool = False) -> list[dict[str, Any]]:
        """DELETE /images/{name}.

        Returns:
            [{"Untagged": ...} | {"Deleted": ...}, ...].
        Raises:
            APIError: 409 when a container uses the image (and not `force`).
        """
        params = {"force": force or None, "noprune": noprune or None}
        return self._t.delete(f"/images/{quote_ref(ref)}", params) or []

    def prune(self, filters: Filters | None = None) -> dict[str, Any]:
        """POST /images/prune. Returns {"ImagesDeleted": [...], "SpaceReclaimed": n}."""
        return self._t.post("/images/prune", {"filters": filters}) or {}

    def pull(
        self,
        name: str,
        tag: str | None = None,
        platform: str = "",
        registry_auth: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """POST /images/create?fromImage=...: pull from a registry.

        Args:
            name: the repository, normalized ("docker.io/library/busybox").
            tag: a tag or a digest; None pulls every tag.
            platform: "os[/arch[/variant]]".
        Returns:
            The progress messages.
        """
        params: dict[str, Any] = {"fromImage": name}
        return self._progress("/images/create", params, tag, platform, registry_auth)

    def push(
        self,
        name: str,
        tag: str | None = None,
        platform: str = "",
        registry_auth: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """POST /images/{name}/push of `name`, the familiar repository ("localhost:5000/app");
        `tag` None pushes every tag, `platform` is a JSON OCI platform ('{"os":"linux"}').
        Returns the progress messages."""
        path = f"/images/{quote_ref(name, safe='/:')}/push"
        return self._progress(path, {}, tag, platform, registry_auth)

    def _progress(
        self,
        path: str,
        params: dict[str, Any],
        tag: str | None,
        platform: str,
        registry_auth: str | None,
    ) -> Iterator[dict[str, Any]]:
        if tag is not None:
            params["tag"] = tag
        if platform:
            params["platform"] = platform
        headers = _auth(registry_auth)
        return self._t.request("POST", path, params, headers=headers).iter_json()

    def save(self, names: list[str]) -> Iterator[bytes]:
        """GET /images/get?names=...: the images as one docker-archive tar stream."""
        params = [("names", n) for n in names]
        return self._t.request("GET", "/images/get", params).iter_chunks()

    def load(self, data: BinaryIO, quiet: bool = False) -> Iterator[dict[str, Any]]:
        """POST /images/load: a docker-archive or OCI layout tar.

        Returns:
            The progress messages ("Loaded image: ..." as {"stream": ...}).
        """
        headers = {"Content-Type": "application/x-tar"}
        return self._t.request(
            "POST", "/images/load", {"quiet": quiet}, body=data, headers=headers
        ).iter_json()

    def import_(
        self,
        source: str = "-",
        data: BinaryIO | None = None,
        repo: str | None = None,
        tag: str = "",
        message: str = "",
        platform: str = "",
        changes: list[str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """POST /images/create?fromSrc=...: an image from a root filesystem tarball.

        Args:
            source: "-" to send `data`, or a URL the daemon downloads.
            repo: the repository to tag the image into (None: untagged).
            changes: Dockerfile instructions applied to the config.
        Returns:
            The progress messages (the last status is the image ID).
        """
        items: list[tuple[str, Any]] = [("fromSrc", source)]
        if repo is not None:
            items += [("repo", repo), ("tag", tag)]
        if message:
            items.append(("message", message))
        if platform:
            items.append(("platform", platform))
        items += [("changes", c) for c in changes or []]
        return self._t.request("POST", "/images/create", items, body=data).iter_json()

    def search(
        self,
        term: str,
        limit: int | None = None,
        filters: Filters | None = None,
        registry_auth: str | None = None,
    ) -> list[dict[str, Any]]:
        """GET /images/search. Returns [{"name", "description", "star_count", ...}, ...]."""
        params = {"term": term, "limit": limit, "filters": filters}
        resp = self._t.request("GET", "/images/search", params, headers=_auth(registry_auth))
        return resp.json() or []

    def distribution(self, name: str, registry_auth: str | None = None) -> dict[str, Any]:
        """GET /distribution/{name}/json: what the registry holds for a reference, without
        pulling it.

        Returns:
            {"Descriptor": {"mediaType", "digest", "size"}, "Platforms": [...]}.
        Raises:
            APIError: 401/404 from the registry, 400 for a malformed reference.
        """
        path = f"/distribution/{quote_ref(name, safe='/:@')}/json"
        return self._t.request("GET", path, headers=_auth(registry_auth)).json()
