"""Registry errors with the texts Docker prints, and the HTTP status the API answers with."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import DockyardError, InvalidParameter, NotFound, Unauthorized

if TYPE_CHECKING:
    from dockyard.common.reference import Reference


class NoRegistry(InvalidParameter):
    """No registry is reachable; Docker answers these with 500."""

    status = 500


class RegistryError(DockyardError):
    """A registry answered with an error (or could not be reached); Docker answers 500."""

    status = 500
    # May the next endpoint (a mirror, or http after https) be tried?
    fallback = False
    # The registry's first error code (MANIFEST_UNKNOWN, UNAUTHORIZED, ...), if any.
    code: str | None = None


class ConnectError(NoRegistry, RegistryError):
    """The endpoint could not be reached at all: always worth trying the next one."""

    status = 500
    fallback = True


class ResponseError(RegistryError):
    """An HTTP error status from the registry, with its `errors` body parsed."""

    def __init__(self, text: str, http_status: int, code: str | None = None) -> None:
        super().__init__(text)
        self.http_status = http_status
        self.code = code


class NoBasicCredentials(RegistryError):
    """A registry wants basic auth and we have no credentials; `where` names the request
    (Go's url.Error prefix, e.g. `Get "http://host/v2/x/manifests/1"`)."""

    def __init__(self, where: str = "") -> None:
        super().__init__("no basic auth credentials")
        self.where = where


class VerificationError(RegistryError):
    pass


class PullNotFound(NotFound):
    pass


class PullDenied(NotFound):
    pass


class LoginFailed(Unauthorized):
    pass


class BadManifest(InvalidParameter):
    pass


def describe(status: int, reason: str, body: bytes) -> tuple[str, str | None]:
    """(Docker's text, first error code) for an error response of a registry.

    A Distribution `{"errors": [{"code", "message"}]}` body reads "<code in words>:
    <message>" (errcode.Error); anything else is described by its status."""
    doc: Any = None
    try:
        doc = json.loads(body or b"null")
    except ValueError:
        doc = None
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        texts = []
        for e in errors:
            if not isinstance(e, dict):
                continue
            code = str(e.get("code") or "UNKNOWN")
            texts.append(f"{code.lower().replace('_', ' ')}: {e.get('message') or ''}".rstrip())
        first = str(errors[0].get("code") or "UNKNOWN")
        if len(texts) == 1:
            return texts[0], first
        return "errors:\n" + "".join(t + "\n" for t in texts), first
    if isinstance(doc, dict) and isinstance(doc.get("details"), str):  # token servers
        return f"unauthorized: {doc['details']}", "UNAUTHORIZED"
    if status == 401:
        return "unauthorized: authentication required", "UNAUTHORIZED"
    if status == 403:
        return "denied: requested access to the resource is denied", "DENIED"
    if status == 429:
        return "toomanyrequests: too many requests", "TOOMANYREQUESTS"
    return f"received unexpected HTTP status: {status} {reason}", None


def translate_pull(exc: RegistryError, ref: Reference) -> DockyardError:
    """Docker's TranslatePullError: missing things become 404 with its wording."""
    if isinstance(exc, ResponseError):
        if exc.code == "MANIFEST_UNKNOWN":
            return PullNotFound(f"manifest for {ref.familiar()} not found: {exc.message}")
        if exc.code == "NAME_UNKNOWN":
            return PullNotFound(f"repository {ref.familiar_name} not found: {exc.message}")
        if exc.code == "DENIED":
            return PullDenied(
                f"pull access denied for {ref.familiar_name}, repository does not exist or "
                f"may require 'docker login': {exc.message}"
            )
        if exc.http_status == 404:
            return PullNotFound(f"manifest for {ref.familiar()} not found: {exc.message}")
    return exc
