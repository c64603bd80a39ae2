"""Carry out a play plan through the Engine API, and take it down again.

Everything `play` creates is recorded as it goes; when a step fails, what was created is
removed again (newest first) before the error is reported, so a failed play leaves the
host as it found it. `down` finds its objects by the labels `play` put on them.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..client.api import APIError
from ..common import dockerconfig
from ..common.reference import InvalidReference, parse_normalized
from . import names
from .podspec import ContainerPlan, PodPlan
from .yamlio import ManifestError

if TYPE_CHECKING:
    from ..client.engine import Engine
    from .plan import Plan

Say = Callable[[str], None]


@dataclass
class Created:
    """What one play created, newest last (rolled back newest first)."""

    steps: list[tuple[str, str]] = field(default_factory=list)  # (kind, name)

    def add(self, kind: str, name: str) -> None:
        self.steps.append((kind, name))


def _tar(files: dict[str, bytes]) -> bytes:
    """The files as a tar to extract at "/" (with their parent directories)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        dirs: set[str] = set()
        for path in sorted(files):
            parts = path.strip("/").split("/")
            for i in range(1, len(parts)):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    info = tarfile.TarInfo(d)
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
            info = tarfile.TarInfo("/".join(parts))
            info.size, info.mode = len(files[path]), 0o644
            tar.addfile(info, io.BytesIO(files[path]))
    return buf.getvalue()


class Player:
    def __init__(self, engine: Engine, say: Say) -> None:
        self.engine = engine
        self.say = say
        self.created = Created()

    def play(self, plan: Plan) -> None:
        try:
            self._network(plan.network)
            for claim in plan.claims:
                self._volume(claim, {names.OWNER: f"PersistentVolumeClaim/{claim}"})
            for pod in plan.pods:
                self._pod(pod)
        except BaseException:
            self.rollback()
            raise

    def rollback(self) -> None:
        for kind, name in reversed(self.created.steps):
            try:
                if kind == "container":
                    self.engine.containers.remove(name, force=True, volumes=True)
                elif kind == "volume":
                    self.engine.volumes.remove(name, force=True)
                else:
                    self.engine.networks.remove(name)
            except APIError:
                pass  # already gone, or still in use by something not ours
        self.created.steps.clear()

    def _network(self, name: str) -> None:
        try:
            self.engine.networks.inspect(name)
            return
        except APIError as exc:
            if exc.status != 404:
                raise
        body = {"Name": name, "Driver": "bridge", "Labels": {names.OWNER: f"Network/{name}"}}
        self.engine.networks.create(body)
        self.created.add("network", name)

    def _volume(self, name: str, labels: dict[str, str]) -> None:
        try:
            self.engine.volumes.inspect(name)
            return  # an existing volume is used, never taken over
        except APIError as exc:
            if exc.status != 404:
                raise
        self.engine.volumes.create(name=name, labels=labels)
        self.created.add("volume", name)

    def _pod(self, pod: PodPlan) -> None:
        for volume in pod.volumes:
            self._volume(volume, {names.OWNER: pod.owner, names.POD: pod.name})
        self._create(pod.infra, pod.pull_auths)
        self.engine.containers.start(pod.infra.name)
        for c in pod.init:
            self._create(c, pod.pull_auths)
            self.engine.containers.start(c.name)
            status = self.engine.containers.wait(c.name).get("StatusCode", 0)
            if status != 0:
                raise ManifestError(
                    f"pod {pod.name}: init container {c.name} exited with code {status}"
                )
        for c in pod.containers:
            self._create(c, pod.pull_auths)
        for c in pod.containers:
            self.engine.containers.start(c.name)
        self.say(f"Pod: {pod.name}")

    def _create(self, c: ContainerPlan, auths: dict[str, dict[str, Any]]) -> None:
        try:
            self.engine.containers.create(c.body, name=c.name)
        except APIError as exc:
            if exc.status != 404 or "No such image" not in exc.message:
                raise
            self._pull(c.body["Image"], auths)
            self.engine.containers.create(c.body, name=c.name)
        self.created.add("container", c.name)
        if c.files:
            self.engine.containers.put_archive(c.name, "/", io.BytesIO(_tar(c.files)))

    def _pull(self, image: str, auths: dict[str, dict[str, Any]]) -> None:
        """Pull with the pod's imagePullSecrets' credentials for the image's registry."""
        try:
            ref = parse_normalized(image)
        except InvalidReference as exc:
            raise ManifestError(f"image {image!r}: {exc}") from None
        tag = ref.digest or ref.tag
        server = dockerconfig.server_key(ref.domain)
        auth = dockerconfig.auth_config(dockerconfig.find_auth({"auths": auths}, server), server)
        header = dockerconfig.encode_header(auth) if auth else None
        pulled = self.engine.images.pull(f"{ref.domain}/{ref.path}", tag=tag, registry_auth=header)
        for message in pulled:
            if message.get("error"):
                raise ManifestError(f"pull {image}: {message['error']}")


def _ours(labels: dict[str, str] | None, owners: set[str]) -> bool:
    return (labels or {}).get(names.OWNER) in owners


def down(engine: Engine, owners: set[str], network: str, say: Say) -> int:
    """Remove the containers and volumes `play` made for `owners`, and the play's network
    when `play` made it and nothing else uses it. Returns how many objects went."""
    gone = 0
    listed = engine.containers.list(all=True, filters={"label": [names.OWNER]})
    ours = [c for c in listed if _ours(c.get("Labels"), owners)]
    # the pods' containers first, their namespace holders last
    ours.sort(key=lambda c: (c.get("Labels") or {}).get(names.INFRA) == "true")
    pods: dict[str, None] = {}
    for c in ours:
        engine.containers.remove(c["Id"], force=True, volumes=True)
        pods.setdefault((c.get("Labels") or {}).get(names.POD, ""))
        gone += 1
    for pod in pods:
        say(f"Pod: {pod}")
    volumes = engine.volumes.list(filters={"label": [names.OWNER]}).get("Volumes") or []
    for v in volumes:
        if _ours(v.get("Labels"), owners):
            engine.volumes.remove(v["Name"], force=True)
            say(f"Volume: {v['Name']}")
            gone += 1
    gone += _remove_network(engine, network)
    return gone


def _remove_network(engine: Engine, name: str) -> int:
    try:
        net: dict[str, Any] = engine.networks.inspect(name)
    except APIError:
        return 0
    if (net.get("Labels") or {}).get(names.OWNER) != f"Network/{name}" or net.get("Containers"):
        return 0
    try:
        engine.networks.remove(name)
    except APIError:
        return 0  # a container joined meanwhile
    return 1
