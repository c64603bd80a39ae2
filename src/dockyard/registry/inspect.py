"""GET /distribution/{name}/json: the descriptor a reference resolves to on its registry
and the platforms it offers, straight from the registry."""

from __future__ import annotations

import json
from typing import Any

from dockyard.common.reference import Reference

from .endpoints import pull_endpoints
from .errors import NoBasicCredentials, RegistryError, translate_pull
from .manifests import parse, platform_doc, sha256
from .remote import RegistrySettings, endpoint_credentials, net


def inspect_remote(
    ref: Reference, auth: dict[str, Any] | None, settings: RegistrySettings
) -> dict[str, Any]:
    if ref.is_name_only:
        ref = ref.with_tag("latest")
    Registry, Repository, Session = net()
    session = Session()
    last: RegistryError | None = None
    try:
        for ep in pull_endpoints(ref.domain, settings.mirrors, settings.insecure):
            creds = endpoint_credentials(ep, auth, ref.domain)
            repo = Repository(Registry(session, ep, creds), ref.path, "pull")
            try:
                raw, ctype, _ = repo.get_manifest(ref.digest or ref.tag or "latest")
                man = parse(raw, ctype, ref.familiar())
                if man.is_index:
                    platforms = [platform_doc(d.platform or {}) for d in man.manifests]
                else:
                    config = repo.read_blob(man.config.digest, 32 << 20)
                    try:
                        platforms = [platform_doc(json.loads(config))]
                    except ValueError:
                        platforms = []
                descriptor = {
                    "mediaType": man.media_type,
                    "digest": sha256(raw),
                    "size": len(raw),
                }
                return {"Descriptor": descriptor, "Platforms": platforms}
            except NoBasicCredentials as exc:
                last = RegistryError(f"{exc.where}: no basic auth credentials")
                if not ep.mirror:
                    raise last from None
            except RegistryError as exc:
                last = exc
                if not (exc.fallback or ep.mirror):
                    raise translate_pull(exc, ref) from None
        assert last is not None
        raise translate_pull(last, ref)
    finally:
        session.close()
