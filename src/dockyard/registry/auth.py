"""Registry authentication: WWW-Authenticate challenges, bearer tokens (anonymous, basic
credentials, or an OAuth2 refresh token), and basic auth."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

from .credentials import Credentials
from .errors import NoBasicCredentials, ResponseError, describe
from .transport import Session, method_word

CLIENT_ID = "dockyard"
_PARAM_RE = re.compile(r'\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?')


@dataclass
class Challenge:
    scheme: str  # lower case: "bearer" or "basic"
    params: dict[str, str] = field(default_factory=dict)


def parse_challenges(values: list[str]) -> list[Challenge]:
    """WWW-Authenticate header values -> challenges (RFC 7235, as registries send them)."""
    out: list[Challenge] = []
    for value in values:
        rest = value.strip()
        while rest:
            m = re.match(r"([A-Za-z][A-Za-z0-9_-]*)\s*", rest)
            if m is None:
                break
            scheme = m.group(1).lower()
            rest = rest[m.end() :]
            params: dict[str, str] = {}
            while True:
                pm = _PARAM_RE.match(rest)
                if pm is None or not pm.group(0).strip():
                    break
                raw = pm.group(2)
                params[pm.group(1).lower()] = (
                    re.sub(r"\\(.)", r"\1", raw) if raw is not None else pm.group(3)
                )
                rest = rest[pm.end() :]
            out.append(Challenge(scheme, params))
            rest = rest.lstrip(", ")
    return out


def basic_header(creds: Credentials) -> str:
    raw = f"{creds.username}:{creds.password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def repository_scope(path: str, actions: str) -> str:
    return f"repository:{path}:{actions}"


class Authorizer:
    """Authorization for one registry endpoint; tokens are cached per scope set."""

    def __init__(self, session: Session, creds: Credentials) -> None:
        self.session = session
        self.creds = creds
        self.challenge: Challenge | None = None
        self._tokens: dict[tuple[str, ...], tuple[str, float]] = {}
        self._lock = threading.Lock()
        self.refresh_token = ""  # a new identity token the token server handed out

    def set_challenge(self, values: list[str]) -> None:
        for ch in parse_challenges(values):
            if ch.scheme in ("bearer", "basic"):
                self.challenge = ch
                return

    def header(self, scopes: tuple[str, ...]) -> str | None:
        ch = self.challenge
        if ch is None:
            return None
        if ch.scheme == "basic":
            if not self.creds.has_basic:
                raise NoBasicCredentials()
            return basic_header(self.creds)
        if self.creds.registry_token:
            return "Bearer " + self.creds.registry_token
        with self._lock:
            cached = self._tokens.get(scopes)
            if cached and cached[1] > time.monotonic():
                return "Bearer " + cached[0]
        token, expires = self.fetch_token(ch, scopes)
        with self._lock:
            self._tokens[scopes] = (token, time.monotonic() + max(expires - 10, 5))
        return "Bearer " + token

    def forget(self, scopes: tuple[str, ...]) -> None:
        with self._lock:
            self._tokens.pop(scopes, None)

    def fetch_token(
        self, ch: Challenge, scopes: tuple[str, ...], offline: bool = False
    ) -> tuple[str, float]:
        realm = ch.params.get("realm") or ""
        if not realm:
            raise ResponseError("bearer challenge without a realm", 401, "UNAUTHORIZED")
        service = ch.params.get("service") or ""
        creds = self.creds
        if creds.identity_token:
            form = {
                "grant_type": "refresh_token",
                "refresh_token": creds.identity_token,
                "client_id": CLIENT_ID,
            }
            if service:
                form["service"] = service
            if scopes:
                form["scope"] = " ".join(scopes)
            body = urllib.parse.urlencode(form).encode()
            resp = self.session.request(
                "POST",
                realm,
                {"Content-Type": "application/x-www-form-urlencoded"},
                body,
            )
            method = "POST"
            url = realm
        else:
            query: list[tuple[str, str]] = []
            if service:
                query.append(("service", service))
            query.extend(("scope", s) for s in scopes)
            if offline and creds.has_basic:
                query += [("offline_token", "true"), ("client_id", CLIENT_ID)]
            sep = "&" if "?" in realm else "?"
            url = realm + (sep + urllib.parse.urlencode(query) if query else "")
            headers = {"Authorization": basic_header(creds)} if creds.has_basic else {}
            resp = self.session.request("GET", url, headers)
            method = "GET"
        data = resp.read(1 << 20)
        if resp.status != 200:
            text, code = describe(resp.status, resp.reason, data)
            raise ResponseError(f'{method_word(method)} "{url}": {text}', resp.status, code)
        try:
            doc = json.loads(data)
        except ValueError:
            raise ResponseError("token server answered no JSON", 502) from None
        token = doc.get("token") or doc.get("access_token") or ""
        if not token:
            raise ResponseError("token server answered no token", 502)
        if doc.get("refresh_token"):
            self.refresh_token = str(doc["refresh_token"])
        try:
            expires = float(doc.get("expires_in") or 60)
        except (TypeError, ValueError):
            expires = 60.0
        return str(token), expires
