"""Where a build cache lives: a registry reference or a local OCI layout directory (the
`registry` and `local` backends). Each store reads and writes the cache manifest and the
blobs it names; cacheformat knows what they mean."""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from dockyard.common.reference import parse_normalized

from ..distribution.fetch import BlobStream, verification_failed
from ..errors import InvalidParameter
from ..registry import credentials as credmod
from ..registry.progress import Emit, short
from ..registry.remote import RegistrySettings, connect, net
from ..registry.upload import push_layer
from .cacheformat import CacheFormatError, sha256_of
from .cachespec import CacheSpec

if TYPE_CHECKING:
    from ..registry.client import Repository
    from ..registry.transport import Session

Opener = Callable[[], BinaryIO]
_REF_NAME = "org.opencontainers.image.ref.name"


def _sha_file(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


class RegistryStore:
    """A cache manifest under a tag of a registry repository."""

    def __init__(
        self,
        spec: CacheSpec,
        auth: dict[str, Any] | None,
        settings: RegistrySettings,
        push: bool,
        progress: Emit,
    ) -> None:
        ref = parse_normalized(spec.ref)
        self.tag = ref.tag or "latest"
        self.progress = progress
        _, repository, session = net()
        self.session: Session = session()
        try:
            reg = connect(
                ref.domain, credmod.resolve(auth, ref.domain), self.session, settings.insecure
            )
            self.repo: Repository = repository(reg, ref.path, "pull,push" if push else "pull")
        except BaseException:
            self.session.close()
            raise

    def close(self) -> None:
        self.session.close()

    def manifest(self) -> bytes:
        return self.repo.get_manifest(self.tag)[0]

    def blob(self, digest: str, limit: int) -> bytes:
        return self.repo.read_blob(digest, limit)

    def opener(self, digest: str, size: int, tempfile: Callable[[], BinaryIO]) -> Opener:
        def open_blob() -> BinaryIO:
            f = tempfile()
            h = hashlib.sha256()
            stream = BlobStream(self.repo, digest, size, threading.Event(), self.progress, short(digest))
            with stream:
                while chunk := stream.read():
                    f.write(chunk)
                    h.update(chunk)
            if "sha256:" + h.hexdigest() != digest:  # the stream checked the size only
                raise verification_failed(digest)
            f.seek(0)
            return f

        return open_blob

    def put_blob(self, digest: str, size: int, f: BinaryIO, ident: str) -> None:
        push_layer(self.repo, ident, digest, size, f, [], self.progress)

    def put_small(self, digest: str, data: bytes) -> None:
        if self.repo.blob_size(digest) is None:
            location = self.repo.start_upload()
            assert location is not None
            self.repo.upload(location, io.BytesIO(data), len(data), digest)

    def put_manifest(self, raw: bytes, media: str) -> None:
        self.repo.put_manifest(self.tag, raw, media)


class LocalStore:
    """An OCI image layout directory: index.json names the cache manifest by tag
    (`org.opencontainers.image.ref.name`), blobs/sha256/ holds everything."""

    def __init__(self, spec: CacheSpec, push: bool) -> None:
        self.root = Path(spec.path)
        self.tag = spec.tag
        self.digest = spec.digest
        if push:
            try:
                (self.root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InvalidParameter(f"failed to create cache directory: {exc}") from None

    def close(self) -> None:
        pass

    def _path(self, digest: str) -> Path:
        algo, _, hexa = digest.partition(":")
        if algo != "sha256" or len(hexa) != 64 or not all(c in "0123456789abcdef" for c in hexa):
            raise CacheFormatError(f"invalid digest {digest}")
        return self.root / "blobs" / "sha256" / hexa

    def _index(self) -> dict[str, Any]:
        try:
            doc = json.loads((self.root / "index.json").read_text())
        except FileNotFoundError:
            return {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": []}  # fmt: skip
        except ValueError:
            raise CacheFormatError(f"{self.root}/index.json: not JSON") from None
        return doc if isinstance(doc, dict) else {"schemaVersion": 2, "manifests": []}

    def manifest(self) -> bytes:
        if not (self.root / "index.json").is_file():
            raise CacheFormatError(f"could not read {self.root}/index.json: no such file")
        digest = self.digest
        if not digest:
            entries = [m for m in self._index().get("manifests") or [] if isinstance(m, dict)]
            tagged = [m for m in entries if (m.get("annotations") or {}).get(_REF_NAME) == self.tag]
            if not tagged:
                raise CacheFormatError(f"tag {self.tag} not found in {self.root}/index.json")
            digest = str(tagged[-1].get("digest"))
        return self.blob(digest, 4 << 20)

    def blob(self, digest: str, limit: int) -> bytes:
        path = self._path(digest)
        with open(path, "rb") as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise CacheFormatError(f"blob {digest} is too large")
        return data

    def opener(self, digest: str, size: int, tempfile: Callable[[], BinaryIO]) -> Opener:
        path = self._path(digest)
        return lambda: open(path, "rb")

    def put_blob(self, digest: str, size: int, f: BinaryIO, ident: str) -> None:
        path = self._path(digest)
        if path.is_file() and path.stat().st_size == size:
            return
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as out:
            while chunk := f.read(1 << 20):
                out.write(chunk)
        if _sha_file(tmp) != digest:
            tmp.unlink()
            raise CacheFormatError(f"blob {digest} changed while it was written")
        os.replace(tmp, path)

    def put_small(self, digest: str, data: bytes) -> None:
        self.put_blob(digest, len(data), io.BytesIO(data), short(digest))

    def put_manifest(self, raw: bytes, media: str) -> None:
        digest = sha256_of(raw)
        self.put_small(digest, raw)
        index = self._index()
        keep = [
            m
            for m in index.get("manifests") or []
            if isinstance(m, dict) and (m.get("annotations") or {}).get(_REF_NAME) != self.tag
        ]
        keep.append(
            {"mediaType": media, "digest": digest, "size": len(raw),
             "annotations": {_REF_NAME: self.tag}}
        )  # fmt: skip
        index["manifests"] = keep
        index.setdefault("mediaType", "application/vnd.oci.image.index.v1+json")
        (self.root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        tmp = self.root / "index.json.tmp"
        tmp.write_text(json.dumps(index, separators=(",", ":")))
        os.replace(tmp, self.root / "index.json")
