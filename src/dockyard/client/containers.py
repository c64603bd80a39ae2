"""Containers: one method per Engine API call under /containers (and /commit).

Every method raises `APIError` (the daemon's status and message) when the daemon refuses,
and `DaemonUnreachable` when it does not answer. Streaming calls send the request at once
(so errors surface at the call) and return an iterator over the answer.
"""

from __future__ import annotations

from ..common import leanjson as json
from .api import APIError, Client, PendingRequest, Response, quote_ref

TYPE_CHECKING = False  # typing and socket cost milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from collections.abc import Iterator
    from socket import socket
    from typing import Any, BinaryIO

    Filters = dict[str, Any]


def decode_path_stat(value: str | None) -> dict[str, Any] | None:
    """The X-Docker-Container-Path-Stat header (base64url JSON: name, size, mode, ...)."""
    import base64

    if not value:
        return None
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    return json.loads(raw)


class Containers:
    def __init__(self, transport: Client) -> None:
        self._t = transport

    def _path(self, ref: str, action: str = "") -> str:
        return f"/containers/{quote_ref(ref)}" + (f"/{action}" if action else "")

    # --- listing and inspecting ---------------------------------------------------------

    def list(
        self,
        all: bool = False,
        limit: int | None = None,
        size: bool = False,
        filters: Filters | None = None,
    ) -> list[dict[str, Any]]:
        """GET /containers/json.

        Args:
            all: include stopped containers.
            limit: only the n most recently created (None: no limit).
            size: compute SizeRw / SizeRootFs.
            filters: {"name": {"web": True}, ...} as the docker CLI sends them.
        Returns:
            The container summaries, newest first.
        """
        params = {"all": all or None, "limit": limit, "size": size or None, "filters": filters}
        return self._t.get("/containers/json", params) or []

    def inspect(self, ref: str, size: bool = False) -> dict[str, Any]:
        """GET /containers/{id}/json.

        Args:
            ref: name, ID or ID prefix.
            size: also compute SizeRw / SizeRootFs.
        Returns:
            The inspect document.
        Raises:
            APIError: 404 when there is no such container.
        """
        return self._t.get(self._path(ref, "json"), {"size": True} if size else None)

    def top(self, ref: str, ps_args: str | None = None) -> dict[str, Any]:
        """GET /containers/{id}/top. Returns {"Titles": [...], "Processes": [[...], ...]}."""
        return self._t.get(self._path(ref, "top"), {"ps_args": ps_args} if ps_args else None)

    def changes(self, ref: str) -> list[dict[str, Any]]:
        """GET /containers/{id}/changes. Returns [{"Path": ..., "Kind": 0|1|2}, ...]."""
        return self._t.get(self._path(ref, "changes")) or []

    def stats(self, ref: str) -> dict[str, Any]:
        """GET /containers/{id}/stats?stream=0: one sample (with precpu_stats)."""
        return self._t.get(self._path(ref, "stats"), {"stream": False})

    def stats_stream(self, ref: str) -> Iterator[dict[str, Any]]:
        """GET /containers/{id}/stats: one sample a second until the iterator is dropped."""
        return self._t.request("GET", self._path(ref, "stats"), {"stream": True}).iter_json()

    # --- creation and lifecycle -----------------------------------------------------------

    def create(self, body: dict[str, Any], name: str = "", platform: str = "") -> dict[str, Any]:
        """POST /containers/create.

        Args:
            body: the container Config with its HostConfig and NetworkingConfig
                (common.apishapes builds their zero values).
            name: the container's name ("" lets the daemon pick one).
            platform: "os[/arch[/variant]]" of the image to use.
        Returns:
            {"Id": ..., "Warnings": [...]}.
        Raises:
            APIError: 404 "No such image" when the image is missing; 409 on a name clash.
        """
        params: dict[str, str] = {}
        if name:
            params["name"] = name
        if platform:
            params["platform"] = platform
        return self._t.post("/containers/create", params, body)

    def start(self, ref: str) -> None:
        """POST /containers/{id}/start."""
        self._t.post(self._path(ref, "start"))

    def stop(self, ref: str, signal: str = "", timeout: int | None = None) -> None:
        """POST /containers/{id}/stop: signal, then SIGKILL after `timeout` seconds."""
        self._stop_like("stop", ref, signal, timeout)

    def restart(self, ref: str, signal: str = "", timeout: int | None = None) -> None:
        """POST /containers/{id}/restart."""
        self._stop_like("restart", ref, signal, timeout)

    def _stop_like(self, verb: str, ref: str, signal: str, timeout: int | None) -> None:
        params: dict[str, Any] = {}
        if signal:
            params["signal"] = signal
        if timeout is not None:
            params["t"] = timeout
        self._t.request("POST", self._path(ref, verb), params).read()

    def kill(self, ref: str, signal: str = "") -> None:
        """POST /containers/{id}/kill (SIGKILL unless `signal` names another)."""
        params = {"signal": signal} if signal else None
        self._t.request("POST", self._path(ref, "kill"), params).read()

    def pause(self, ref: str) -> None:
        """POST /containers/{id}/pause."""
        self._t.request("POST", self._path(ref, "pause")).read()

    def unpause(self, ref: str) -> None:
        """POST /containers/{id}/unpause."""
        self._t.request("POST", self._path(ref, "unpause")).read()

    def remove(
        self, ref: str, force: bool = False, volumes: bool = False, link: bool = False
    ) -> None:
        """DELETE /containers/{id}.

        Args:
            ref: the container; "/" is kept as is, so `--link` removal can name "/a/b".
            force: kill a running container first.
            volumes: remove its anonymous volumes too.
            link: remove the link `ref` instead of a container.
        """
        params = {"force": force, "v": volumes, "link": link}
        self._t.request("DELETE", f"/containers/{quote_ref(ref, safe='/')}", params).read()

    def rename(self, ref: str, name: str) -> None:
        """POST /containers/{id}/rename."""
        self._t.request("POST", self._path(ref, "rename"), {"name": name}).read()

    def update(self, ref: str, resources: dict[str, Any]) -> dict[str, Any]:
        """POST /containers/{id}/update with HostConfig resource fields and RestartPolicy.

        Returns:
            {"Warnings": [...]}.
        """
        return self._t.post(self._path(ref, "update"), body=resources) or {}

    def wait(self, ref: str, condition: str = "") -> dict[str, Any]:
        """POST /containers/{id}/wait; blocks until the condition is met.

        Args:
            condition: "not-running" (default), "next-exit" or "removed".
        Returns:
            {"StatusCode": n, "Error": {"Message": ...} | None}.
        """
        return self._t.post(self._path(ref, "wait"), {"condition": condition or None}) or {}

    def wait_pending(self, ref: str, condition: str) -> PendingRequest:
        """POST /containers/{id}/wait sent now, answered when the condition is met
        (`run` asks before it starts the container so no exit goes unseen)."""
        return self._t.send_only("POST", self._path(ref, "wait"), {"condition": condition})

    def prune(self, filters: Filters | None = None) -> dict[str, Any]:
        """POST /containers/prune. Returns {"ContainersDeleted": [...], "SpaceReclaimed": n}."""
        return self._t.post("/containers/prune", {"filters": filters}) or {}

    # --- streams --------------------------------------------------------------------------

    def logs(
        self,
        ref: str,
        stdout: bool = True,
        stderr: bool = True,
        follow: bool = False,
        since: str | None = None,
        until: str | None = None,
        timestamps: bool = False,
        details: bool = False,
        tail: str = "all",
    ) -> Iterator[bytes]:
        """GET /containers/{id}/logs.

        Args:
            since, until: unix timestamps ("1700000000.000000000") as the API takes them.
            tail: "all" or a number of lines.
        Returns:
            The raw bytes: stdcopy frames, or plain bytes when the container has a TTY.
        """
        params = {
            "stdout": stdout,
            "stderr": stderr,
            "follow": follow or None,
            "since": since,
            "until": until,
            "timestamps": timestamps or None,
            "details": details or None,
            "tail": tail,
        }
        return self._t.request("GET", self._path(ref, "logs"), params).iter_chunks()

    def attach(
        self,
        ref: str,
        stdin: bool = False,
        stdout: bool = True,
        stderr: bool = True,
        detach_keys: str = "",
        logs: bool = False,
    ) -> socket:
        """POST /containers/{id}/attach, hijacked.

        Returns:
            The raw socket: write stdin to it, read stdcopy frames (or TTY bytes) from it.
        """
        params: dict[str, Any] = {"stream": True, "stdin": stdin, "stdout": stdout}
        params["stderr"] = stderr
        if logs:
            params["logs"] = True
        if detach_keys:
            params["detachKeys"] = detach_keys
        return self._t.hijack(self._path(ref, "attach"), params)

    def resize(self, ref: str, height: int, width: int) -> None:
        """POST /containers/{id}/resize: the TTY's rows and columns."""
        self._t.post(self._path(ref, "resize"), {"h": height, "w": width})

    def export(self, ref: str) -> Iterator[bytes]:
        """GET /containers/{id}/export. Returns the root filesystem as a tar stream."""
        return self._t.request("GET", self._path(ref, "export")).iter_chunks()

    # --- archive (cp) ---------------------------------------------------------------------

    def stat_path(self, ref: str, path: str) -> dict[str, Any] | None:
        """HEAD /containers/{id}/archive.

        Returns:
            The path's stat (name, size, mode as Go's FileMode, mtime, linkTarget), or None
            when the path does not exist.
        Raises:
            APIError: for any other failure (no such container, ...).
        """
        try:
            resp = self._t.request("HEAD", self._path(ref, "archive"), {"path": path})
        except APIError as exc:
            if exc.status == 404:
                return None
            raise
        resp.read()
        return decode_path_stat(resp.headers.get("X-Docker-Container-Path-Stat"))

    def get_archive(self, ref: str, path: str) -> tuple[dict[str, Any], Response]:
        """GET /containers/{id}/archive.

        Returns:
            (the path's stat, the response: iter_chunks() yields the tar, read() drains it).
        """
        resp = self._t.request("GET", self._path(ref, "archive"), {"path": path})
        return decode_path_stat(resp.headers.get("X-Docker-Container-Path-Stat")) or {}, resp

    def put_archive(
        self,
        ref: str,
        path: str,
        data: BinaryIO | Iterator[bytes],
        no_overwrite_dir_non_dir: bool = True,
        copy_uid_gid: bool = False,
    ) -> None:
        """PUT /containers/{id}/archive: extract a tar stream into the directory `path`."""
        params = {
            "path": path,
            "noOverwriteDirNonDir": no_overwrite_dir_non_dir,
            "copyUIDGID": copy_uid_gid or None,
        }
        self._t.request("PUT", self._path(ref, "archive"), params, body=data).read()

    # --- commit ---------------------------------------------------------------------------

    def commit(
        self,
        ref: str,
        repo: str | None = None,
        tag: str = "",
        comment: str = "",
        author: str = "",
        pause: bool = True,
        changes: list[str] | None = None,
    ) -> dict[str, Any]:
        """POST /commit: a new image from the container's changes.

        Args:
            repo: the repository to tag the image into (None: leave it untagged).
            changes: Dockerfile instructions applied to the config ("CMD ls", ...).
        Returns:
            {"Id": "sha256:..."}.
        """
        items: list[tuple[str, Any]] = [("container", ref)]
        if repo is not None:
            items += [("repo", repo), ("tag", tag)]
        items += [("comment", comment), ("author", author), ("pause", pause)]
        items += [("changes", c) for c in changes or []]
        return self._t.request("POST", "/commit", items, body={}).json()
