"""A small in-memory Distribution v2 registry (with optional basic or bearer auth) for the
registry client's unit tests; it listens on 127.0.0.1 only. Also checks itself."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
import tarfile
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import zstandard

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def make_layer(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mode = 0o755
            tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


class FakeRegistry:
    def __init__(self, auth: str | None = None, users: dict[str, str] | None = None) -> None:
        self.auth = auth  # None, "basic" or "bearer"
        self.users = users or {}
        self.blobs: dict[str, bytes] = {}
        self.manifests: dict[tuple[str, str], tuple[bytes, str]] = {}
        self.uploads: dict[str, bytearray] = {}
        self.links: set[tuple[str, str]] = set()  # (repository, blob digest)
        self.corrupt: set[str] = set()
        self.redirect_blobs = False  # answer blob GETs with 307 to /storage/<digest>
        self.requests: list[tuple[str, str, str]] = []  # method, path, authorization
        self.tokens: dict[str, tuple[str, set[str]]] = {}  # token -> (user, scopes)
        self.refresh_tokens: dict[str, str] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeRegistry:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- content ---
    def add_blob(self, data: bytes, repo: str | None = None) -> str:
        d = sha(data)
        self.blobs[d] = data
        if repo is not None:
            self.links.add((repo, d))
        return d

    def add_image(
        self,
        repo: str,
        tag: str | None,
        layers: list[bytes],
        compression: str = "gzip",
        oci: bool = False,
        arch: str = "amd64",
        cmd: list[str] | None = None,
        labels: dict[str, str] | None = None,
    ) -> tuple[str, str, bytes]:
        """(manifest digest, image id, manifest bytes) of a new image."""
        config = json.dumps(
            {
                "architecture": arch,
                "os": "linux",
                "config": {"Cmd": cmd or ["sh"], **({"Labels": labels} if labels else {})},
                "rootfs": {"type": "layers", "diff_ids": [sha(x) for x in layers]},
                "history": [{"created_by": f"layer {i}"} for i in range(len(layers))],
            }
        ).encode()
        descs = []
        for raw in layers:
            if compression == "gzip":
                blob = gzip.compress(raw, mtime=0)
                mt = (
                    "application/vnd.oci.image.layer.v1.tar+gzip"
                    if oci
                    else "application/vnd.docker.image.rootfs.diff.tar.gzip"
                )
            elif compression == "zstd":
                blob = zstandard.ZstdCompressor().compress(raw)
                mt = "application/vnd.oci.image.layer.v1.tar+zstd"
            else:
                blob = raw
                mt = "application/vnd.oci.image.layer.v1.tar"
            descs.append({"mediaType": mt, "size": len(blob), "digest": self.add_blob(blob, repo)})
        cfg_type = (
            "application/vnd.oci.image.config.v1+json"
            if oci
            else "application/vnd.docker.container.image.v1+json"
        )
        media = OCI_MANIFEST if oci else DOCKER_MANIFEST
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": media,
                "config": {
                    "mediaType": cfg_type,
                    "size": len(config),
                    "digest": self.add_blob(config, repo),
                },
                "layers": descs,
            },
            indent=3,
        ).encode()
        digest = sha(manifest)
        self.manifests[(repo, digest)] = (manifest, media)
        if tag:
            self.manifests[(repo, tag)] = (manifest, media)
        return digest, sha(config), manifest

    def add_index(
        self, repo: str, tag: str, entries: list[tuple[str, bytes, str]], oci: bool = False
    ) -> str:
        """entries: (manifest digest, manifest bytes, "os/arch[/variant]")."""
        items = []
        for digest, raw, plat in entries:
            parts = plat.split("/")
            p = {"os": parts[0], "architecture": parts[1]}
            if len(parts) > 2:
                p["variant"] = parts[2]
            items.append(
                {
                    "mediaType": OCI_MANIFEST if oci else DOCKER_MANIFEST,
                    "size": len(raw),
                    "digest": digest,
                    "platform": p,
                }
            )
        media = OCI_INDEX if oci else DOCKER_LIST
        body = json.dumps({"schemaVersion": 2, "mediaType": media, "manifests": items}).encode()
        digest = sha(body)
        self.manifests[(repo, tag)] = (body, media)
        self.manifests[(repo, digest)] = (body, media)
        return digest

    # --- HTTP ---
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        reg = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(
                self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                if "Content-Length" not in (headers or {}):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _error(
                self, status: int, code: str, message: str, headers: dict[str, str] | None = None
            ) -> None:
                body = json.dumps(
                    {"errors": [{"code": code, "message": message, "detail": None}]}
                ).encode()
                self._send(status, body, {"Content-Type": "application/json", **(headers or {})})

            def _body(self) -> bytes:
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _user(self) -> str | None:
                h = self.headers.get("Authorization") or ""
                if h.startswith("Basic "):
                    user, _, pw = base64.b64decode(h[6:]).decode().partition(":")
                    if reg.users.get(user) == pw:
                        return user
                return None

            def _authorized(self, scope: str | None) -> bool:
                if reg.auth is None:
                    return True
                if reg.auth == "basic":
                    if self._user() is not None:
                        return True
                    self._error(
                        401,
                        "UNAUTHORIZED",
                        "authentication required",
                        {"WWW-Authenticate": 'Basic realm="fake"'},
                    )
                    return False
                h = self.headers.get("Authorization") or ""
                token = reg.tokens.get(h[7:]) if h.startswith("Bearer ") else None
                if token is not None and (scope is None or scope in token[1]):
                    return True
                challenge = f'Bearer realm="http://{reg.host}/token",service="fake"'
                if scope:
                    challenge += f',scope="{scope}"'
                self._error(
                    401, "UNAUTHORIZED", "authentication required", {"WWW-Authenticate": challenge}
                )
                return False

            def _token(self, form: dict[str, list[str]]) -> None:
                user = self._user()
                if self.headers.get("Authorization") and user is None:
                    self._send(
                        401, json.dumps({"details": "incorrect username or password"}).encode()
                    )
                    return
                if form.get("grant_type") == ["refresh_token"]:
                    user = reg.refresh_tokens.get((form.get("refresh_token") or [""])[0])
                    if user is None:
                        self._send(401, json.dumps({"details": "invalid refresh token"}).encode())
                        return
                scopes: set[str] = set()
                for s in form.get("scope") or []:
                    for one in s.split(" "):
                        m = re.match(r"repository:([^:]+):(.*)", one)
                        if m is None:
                            continue
                        for action in m.group(2).split(","):
                            if action == "push" and user is None:
                                continue  # anonymous users may only pull
                            scopes.add(f"repository:{m.group(1)}:{action}")
                token = uuid.uuid4().hex
                reg.tokens[token] = (user or "", scopes)
                doc: dict[str, Any] = {"token": token, "expires_in": 300}
                if (
                    form.get("offline_token") == ["true"]
                    or form.get("grant_type") == ["refresh_token"]
                ) and user:
                    rt = "refresh-" + uuid.uuid4().hex
                    reg.refresh_tokens[rt] = user
                    doc["refresh_token"] = rt
                self._send(200, json.dumps(doc).encode(), {"Content-Type": "application/json"})

            def _route(self) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(parsed.query)
                path = parsed.path
                with reg.lock:
                    reg.requests.append(
                        (self.command, self.path, self.headers.get("Authorization") or "")
                    )
                if path == "/token":
                    if self.command == "POST":
                        form = urllib.parse.parse_qs(self._body().decode())
                        self._token(form)
                    else:
                        self._token(query)
                    return
                if path.startswith("/storage/"):
                    data = reg.blobs.get(path[len("/storage/") :])
                    if data is None or self.headers.get("Authorization"):
                        self._send(400 if data is not None else 404, b"")
                        return
                    self._send(200, data, {"Content-Type": "application/octet-stream"})
                    return
                if path == "/v2/":
                    if self._authorized(None):
                        self._send(200, b"{}", {"Content-Type": "application/json"})
                    return
                if path == "/v2/_catalog":
                    if self._authorized(None):
                        names = sorted({r for r, _ in reg.manifests})
                        self._send(200, json.dumps({"repositories": names}).encode())
                    return
                t = re.match(r"^/v2/(.+)/tags/list$", path)
                if t is not None:
                    if self._authorized(f"repository:{t.group(1)}:pull"):
                        tags = sorted(
                            r
                            for n, r in reg.manifests
                            if n == t.group(1) and not r.startswith("sha256:")
                        )
                        self._send(200, json.dumps({"name": t.group(1), "tags": tags}).encode())
                    return
                m = re.match(r"^/v2/(.+)/(manifests|blobs)/(.+)$", path)
                if m is None:
                    self._error(404, "NOT_FOUND", "not found")
                    return
                name, kind, rest = m.groups()
                write = self.command in ("POST", "PUT", "PATCH")
                scope = f"repository:{name}:{'push' if write else 'pull'}"
                if not self._authorized(scope):
                    return
                if kind == "manifests":
                    if self.command == "PUT":
                        body = self._body()
                        media = self.headers.get("Content-Type") or ""
                        reg.manifests[(name, rest)] = (body, media)
                        reg.manifests[(name, sha(body))] = (body, media)
                        self._send(
                            201,
                            b"",
                            {
                                "Docker-Content-Digest": sha(body),
                                "Location": f"/v2/{name}/manifests/{sha(body)}",
                            },
                        )
                        return
                    found = reg.manifests.get((name, rest))
                    if found is None:
                        if not any(r == name for r, _ in reg.manifests):
                            self._error(
                                404, "NAME_UNKNOWN", "repository name not known to registry"
                            )
                        else:
                            self._error(404, "MANIFEST_UNKNOWN", "manifest unknown")
                        return
                    self._send(
                        200,
                        found[0],
                        {"Content-Type": found[1], "Docker-Content-Digest": sha(found[0])},
                    )
                    return
                if rest.startswith("uploads/"):
                    self._upload(name, rest[len("uploads/") :], query)
                    return
                data = reg.blobs.get(rest) if (name, rest) in reg.links else None
                if data is None:
                    self._error(404, "BLOB_UNKNOWN", "blob unknown to registry")
                    return
                if reg.redirect_blobs and self.command == "GET":
                    # another "host" (localhost vs 127.0.0.1): credentials must not follow
                    port = reg.server.server_address[1]
                    self._send(307, b"", {"Location": f"http://localhost:{port}/storage/{rest}"})
                    return
                if rest in reg.corrupt:
                    data = data[:-1] + bytes([data[-1] ^ 1])
                self._send(
                    200,
                    data,
                    {"Content-Type": "application/octet-stream", "Docker-Content-Digest": rest},
                )

            def _upload(self, name: str, uid: str, query: dict[str, list[str]]) -> None:
                if self.command == "POST":
                    self._body()
                    mount = (query.get("mount") or [""])[0]
                    source = (query.get("from") or [""])[0]
                    if mount and (source, mount) in reg.links:
                        reg.links.add((name, mount))
                        self._send(201, b"", {"Location": f"/v2/{name}/blobs/{mount}"})
                        return
                    uid = uuid.uuid4().hex
                    reg.uploads[uid] = bytearray()
                    self._send(
                        202,
                        b"",
                        {"Location": f"/v2/{name}/blobs/uploads/{uid}?_state=x", "Range": "0-0"},
                    )
                    return
                buf = reg.uploads.get(uid)
                if buf is None:
                    self._error(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
                    return
                buf += self._body()
                if self.command == "PATCH":
                    self._send(
                        202,
                        b"",
                        {
                            "Location": f"/v2/{name}/blobs/uploads/{uid}?_state=y",
                            "Range": f"0-{len(buf) - 1}",
                        },
                    )
                    return
                digest = (query.get("digest") or [""])[0]
                if sha(bytes(buf)) != digest:
                    self._error(
                        400, "DIGEST_INVALID", "provided digest did not match uploaded content"
                    )
                    return
                reg.blobs[digest] = bytes(buf)
                reg.links.add((name, digest))
                del reg.uploads[uid]
                self._send(
                    201,
                    b"",
                    {"Location": f"/v2/{name}/blobs/{digest}", "Docker-Content-Digest": digest},
                )

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = _route

        return Handler
