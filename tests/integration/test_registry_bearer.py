"""Bearer-token auth against the real docker-registry: its `auth: token` config trusts a
certificate of ours, and a small token server here (http.server on 127.0.0.1) hands out
RS256 JWTs signed with openssl. Anonymous users may pull; alice may push."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from testing.registry_server import REGISTRY_BIN, RegistryServer, ok, run  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI"),
    pytest.mark.skipif(not os.path.exists(REGISTRY_BIN), reason="needs docker-registry"),
    pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl"),
]

SERVICE = "dockyard-test"
ISSUER = "dockyard-test-issuer"
USERS = {"alice": "s3cret"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def libtrust_key_id(spki_der: bytes) -> str:
    """The key ID docker-registry derives from a trusted certificate's public key."""
    b32 = base64.b32encode(hashlib.sha256(spki_der).digest()[:30]).decode().rstrip("=")
    return ":".join(b32[i : i + 4] for i in range(0, len(b32), 4))


class TokenServer:
    def __init__(self, base: Path) -> None:
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        self.key = base / "key.pem"
        self.cert = base / "cert.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(self.key),
             "-out", str(self.cert), "-days", "2", "-subj", "/CN=dockyard-test-token"],
            check=True, capture_output=True,
        )  # fmt: skip
        spki = subprocess.run(
            ["openssl", "x509", "-in", str(self.cert), "-pubkey", "-noout"],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
        der = subprocess.run(
            ["openssl", "pkey", "-pubin", "-outform", "DER"],
            input=spki,
            check=True,
            capture_output=True,
        ).stdout
        self.kid = libtrust_key_id(der)
        self.issued: list[dict[str, Any]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.realm = f"http://127.0.0.1:{self.server.server_address[1]}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def sign(self, claims: dict[str, Any]) -> str:
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        signing_input = (
            f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        )
        sig = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(self.key)],
            input=signing_input.encode(), check=True, capture_output=True,
        ).stdout  # fmt: skip
        return f"{signing_input}.{b64url(sig)}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        ts = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                user = ""
                auth = self.headers.get("Authorization") or ""
                if auth.startswith("Basic "):
                    name, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
                    if USERS.get(name) != pw:
                        body = json.dumps({"details": "incorrect username or password"}).encode()
                        self.send_response(401)
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                        return
                    user = name
                access = []
                for scope in query.get("scope") or []:
                    kind, _, rest = scope.partition(":")
                    name, _, actions = rest.rpartition(":")
                    allowed = [
                        a for a in actions.split(",") if a == "pull" or (a == "push" and user)
                    ]
                    access.append({"type": kind, "name": name, "actions": allowed})
                now = int(time.time())
                claims = {
                    "iss": ISSUER, "sub": user, "aud": (query.get("service") or [""])[0],
                    "exp": now + 300, "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex,
                    "access": access,
                }  # fmt: skip
                ts.issued.append({"user": user, "access": access})
                body = json.dumps({"token": ts.sign(claims), "expires_in": 300}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


@pytest.fixture
def token_registry(tmp_path: Path) -> Iterator[RegistryServer]:
    tokens = TokenServer(tmp_path / "tokens")
    reg: RegistryServer | None = None
    try:
        token_auth = (
            "auth:\n  token:\n"
            f"    realm: {tokens.realm}\n    service: {SERVICE}\n"
            f"    issuer: {ISSUER}\n    rootcertbundle: {tokens.cert}\n"
        )
        reg = RegistryServer(tmp_path / "treg", extra_yaml=token_auth).start()
        reg.tokens = tokens  # type: ignore[attr-defined]
        yield reg
    finally:
        if reg is not None:
            reg.stop()
        tokens.close()


def test_bearer_push_pull(daemon: Any, token_registry: Any, tmp_path: Path) -> None:
    env = daemon.env
    env["DOCKER_CONFIG"] = str(tmp_path / "docker-config")
    docker = lambda *a: run(["docker", *a], env)  # noqa: E731
    host = token_registry.host
    name = f"{host}/team/bb:7"
    ok(docker("tag", "busybox", name))
    # anonymous: a token without push rights
    proc = docker("push", name)
    assert proc.returncode != 0
    assert "unauthorized: authentication required" in proc.stderr or "denied" in proc.stderr, (
        proc.stderr
    )
    cfg = Path(env["DOCKER_CONFIG"])
    cfg.mkdir(parents=True, exist_ok=True)
    auth = base64.b64encode(b"alice:s3cret").decode()
    (cfg / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    out = ok(docker("push", name))
    assert "7: digest: sha256:" in out
    assert any(
        t["user"] == "alice" and "push" in t["access"][0]["actions"]
        for t in token_registry.tokens.issued
        if t["access"]
    )
    ok(docker("rmi", name))
    # anonymous pull works with an anonymous token
    (cfg / "config.json").unlink()
    out = ok(docker("pull", name))
    assert (
        f"Status: Downloaded newer image for {name}" in out
        or f"Image is up to date for {name}" in out
    )
    assert ok(docker("run", "--rm", name, "echo", "bearer-ok")).strip() == "bearer-ok"
    ok(docker("rmi", name))


def test_bearer_login_check(token_registry: Any) -> None:
    from dockyard.registry.errors import LoginFailed
    from dockyard.registry.login import login

    host = token_registry.host
    doc = login({"username": "alice", "password": "s3cret", "serveraddress": host}, [])
    assert doc == {"Status": "Login Succeeded", "IdentityToken": ""}
    with pytest.raises(LoginFailed) as e:
        login({"username": "alice", "password": "nope", "serveraddress": host}, [])
    assert e.value.status == 401
    assert str(e.value) == f'Get "http://{host}/v2/": unauthorized: incorrect username or password'
