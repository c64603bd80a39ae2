"""The JSON Docker clients get for images: list (with filters), inspect, history, df, prune.

Read-only views over the ImageService, except prune, which decides what to delete and
calls the service's delete.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from dockyard.common.reference import InvalidReference, parse_normalized
from dockyard.common.timefmt import ZERO_TIME, parse_since_until

from ..errors import Conflict, InvalidParameter, NotFound
from . import config as cfgmod
from . import delete as deletion

if TYPE_CHECKING:
    from .catalog import ImageCatalog
    from .records import ImageRecord

LIST_FILTERS = {"dangling", "label", "label!", "before", "since", "reference", "until"}
PRUNE_FILTERS = {"dangling", "label", "label!", "until"}


def _older_api(api: str | None, version: str) -> bool:
    if not api:
        return False
    a = tuple(int(x) for x in api.split("."))
    b = tuple(int(x) for x in version.split("."))
    return a < b


# --- filter helpers ---------------------------------------------------------------------


def check_filters(filters: dict[str, list[str]], allowed: set[str]) -> None:
    for key in filters:
        if key not in allowed:
            raise InvalidParameter(f"invalid filter '{key}'")


def dangling_filter(filters: dict[str, list[str]]) -> bool | None:
    values = filters.get("dangling")
    if not values:
        return None
    truthy = {v.lower() for v in values}
    if truthy <= {"true", "1"}:
        return True
    if truthy <= {"false", "0"}:
        return False
    raise InvalidParameter(f"invalid filter 'dangling={values[0]}'")


def parse_timestamp(value: str, name: str = "until") -> float:
    """Docker's GetTimestamp: a Go duration (relative to now), unix seconds, or a date."""
    try:
        return parse_since_until(value.strip()) or 0.0
    except ValueError:
        raise InvalidParameter(f"invalid filter '{name}={value}'") from None


def label_match(labels: dict[str, str], spec: str) -> bool:
    key, sep, value = spec.partition("=")
    if key not in labels:
        return False
    return not sep or labels[key] == value


def labels_ok(labels: dict[str, str], filters: dict[str, list[str]]) -> bool:
    if not all(label_match(labels, s) for s in filters.get("label") or []):
        return False
    return not any(label_match(labels, s) for s in filters.get("label!") or [])


def _glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Go's path.Match: `*` and `?` never cross `/`; `[...]` classes as written."""
    out = ""
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                raise InvalidParameter(
                    f"invalid filter 'reference={pattern}': syntax error in pattern"
                )
            body = pattern[i + 1 : end]
            if body.startswith("^"):
                body = "^" + body[1:]
            out += "[" + body.replace("\\", "\\\\") + "]"
            i = end
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        else:
            out += re.escape(c)
        i += 1
    return re.compile("^" + out + "$")


def reference_match(patterns: list[re.Pattern[str]], familiar: str) -> bool:
    """FamiliarMatch: the pattern against "name:tag", then against the name alone."""
    name = familiar.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    bare = name[:colon] if colon > slash else name
    return any(p.match(familiar) or p.match(bare) for p in patterns)


# --- list ---------------------------------------------------------------------------------


def _summary(
    svc: ImageCatalog, rec: ImageRecord, refs: list[str], api: str | None
) -> dict[str, Any]:
    from .records import familiar as _familiar
    from .records import is_digest_ref as _is_digest_ref

    tags = [_familiar(r) for r in refs if not _is_digest_ref(r)]
    digests = [_familiar(r) for r in refs if _is_digest_ref(r)]
    out: dict[str, Any] = {
        "Containers": -1,
        "Created": int(rec.created),
        "Id": rec.id,
        "Labels": rec.labels or None,
        "ParentId": rec.parent,
        "RepoDigests": digests,
        "RepoTags": tags,
        "SharedSize": -1,
        "Size": rec.size,
    }
    if _older_api(api, "1.44"):
        out["VirtualSize"] = rec.size
    if _older_api(api, "1.43") and not tags and not digests:
        # Before API 1.43 untagged images came with placeholders instead of empty lists.
        out["RepoTags"] = ["<none>:<none>"]
        out["RepoDigests"] = ["<none>@<none>"]
    return out


def list_images(
    svc: ImageCatalog,
    all_: bool = False,
    filters: dict[str, list[str]] | None = None,
    shared_size: bool = False,
    api: str | None = None,
    container_counts: bool = False,
) -> list[dict[str, Any]]:
    filters = filters or {}
    check_filters(filters, LIST_FILTERS)
    dangling = dangling_filter(filters)
    before = _bound(svc, filters.get("before"))
    since = _bound(svc, filters.get("since"))
    until = [parse_timestamp(v) for v in filters.get("until") or []]
    patterns = [_glob_to_regex(p) for p in filters.get("reference") or []]

    images = svc.all()
    refs_by_id = svc.refs()
    has_children = {r.parent for r in images if r.parent}
    out = []
    for rec in images:
        if before is not None and rec.created >= before:
            continue
        if since is not None and rec.created <= since:
            continue
        if until and any(rec.created >= u for u in until):
            continue
        if not labels_ok(rec.labels, filters):
            continue
        refs = refs_by_id.get(rec.id, [])
        if patterns:
            from .records import familiar as _familiar

            refs = [r for r in refs if reference_match(patterns, _familiar(r))]
            if not refs:
                continue
        tagged = any("@" not in r for r in refs)
        if dangling is True and rec.id in has_children:
            continue  # dangling means a head without tags, as in Docker
        if not refs:
            if not all_ and rec.id in has_children:
                continue  # an intermediate image
            if dangling is False:
                continue
        elif dangling is True and tagged:
            continue
        out.append(_summary(svc, rec, refs, api))

    if shared_size or container_counts:
        _add_shared(svc, images, out)
    if container_counts:
        counts = svc.container_counts()
        for s in out:
            s["Containers"] = counts.get(s["Id"], 0)
    out.sort(key=lambda s: (s["Created"], s["Id"]), reverse=True)
    return out


def _bound(svc: ImageCatalog, values: list[str] | None) -> float | None:
    if not values:
        return None
    return svc.resolve(values[-1]).created


def _add_shared(
    svc: ImageCatalog, images: list[ImageRecord], summaries: list[dict[str, Any]]
) -> None:
    """SharedSize: bytes of this image's layers that some other image also uses."""
    users: dict[str, int] = {}
    for rec in images:
        for c in rec.chain:
            users[c] = users.get(c, 0) + 1
    sizes = {c: int(d.get("size") or 0) for c, d in svc.layers.all().items()}
    chains = {rec.id: rec.chain for rec in images}
    for s in summaries:
        s["SharedSize"] = sum(sizes.get(c, 0) for c in chains.get(s["Id"], []) if users[c] > 1)


def df(svc: ImageCatalog) -> list[dict[str, Any]]:
    return list_images(svc, all_=True, shared_size=True, container_counts=True)


# --- inspect / history ----------------------------------------------------------------------


def inspect(svc: ImageCatalog, name: str, api: str | None = None) -> dict[str, Any]:
    rec = svc.resolve(name)
    ic = rec.image_config
    dirs = [svc.layers.dir(c) for c in reversed(rec.chain)]
    graph: dict[str, str] = {}
    if dirs:
        top = dirs[0]
        graph = {
            "MergedDir": str(top / "merged"),
            "UpperDir": str(top / "diff"),
            "WorkDir": str(top / "work"),
        }
        if len(dirs) > 1:
            graph["LowerDir"] = ":".join(str(d / "diff") for d in dirs[1:])
    out: dict[str, Any] = {
        "Id": rec.id,
        "RepoTags": svc.repo_tags(rec.id),
        "RepoDigests": svc.repo_digests(rec.id),
        "Parent": rec.parent,
        "Comment": ic.get("comment", ""),
        "Created": ic.get("created") or ZERO_TIME,
        "DockerVersion": ic.get("docker_version", ""),
        "Author": ic.get("author", ""),
        "Config": cfgmod.config_view(ic.get("config")),
        "Architecture": ic.get("architecture", ""),
        "Os": ic.get("os", ""),
        "Size": rec.size,
        "GraphDriver": {"Data": graph, "Name": "overlay2"},
        "RootFS": {
            "Type": "layers",
            "Layers": list((ic.get("rootfs") or {}).get("diff_ids") or []),
        },
        "Metadata": {"LastTagTime": rec.doc.get("last_tag_time") or ZERO_TIME},
    }
    if ic.get("variant"):
        out["Variant"] = ic["variant"]
    if ic.get("os.version"):
        out["OsVersion"] = ic["os.version"]
    if _older_api(api, "1.45"):
        out["Container"] = ic.get("container", "")
        out["ContainerConfig"] = cfgmod.config_view(ic.get("container_config"))
    if _older_api(api, "1.44"):
        out["VirtualSize"] = rec.size
    return out


def history(svc: ImageCatalog, name: str) -> list[dict[str, Any]]:
    rec = svc.resolve(name)
    ic = rec.image_config
    entries: list[dict[str, Any]] = []
    layer_i = 0
    chain = rec.chain
    for h in ic.get("history") or []:
        size = 0
        if not h.get("empty_layer"):
            if layer_i < len(chain):
                size = int((svc.layers.get(chain[layer_i]) or {}).get("size") or 0)
            layer_i += 1
        entries.insert(
            0,
            {
                "Comment": h.get("comment", ""),
                "Created": int(cfgmod.parse_time(h.get("created"))),
                "CreatedBy": h.get("created_by", ""),
                "Id": "<missing>",
                "Size": size,
                "Tags": None,
            },
        )
    # Walk the parent chain: each local ancestor owns one history entry.
    current: ImageRecord | None = rec
    for entry in entries:
        if current is None:
            break
        entry["Id"] = current.id
        entry["Tags"] = svc.repo_tags(current.id) or None
        try:
            current = svc.get(current.parent) if current.parent else None
        except NotFound:
            current = None
    return entries


# --- prune ------------------------------------------------------------------------------------


def prune(svc: ImageCatalog, filters: dict[str, list[str]] | None = None) -> dict[str, Any]:
    filters = filters or {}
    check_filters(filters, PRUNE_FILTERS)
    dangling = dangling_filter(filters)
    dangling_only = dangling is not False
    until = [parse_timestamp(v) for v in filters.get("until") or []]
    sizes_before = {c: int(d.get("size") or 0) for c, d in svc.layers.all().items()}
    deleted: list[dict[str, str]] = []
    deletion.sweep(svc)
    with svc.lock.exclusive():
        images = svc.all()
        refs_by_id = svc.refs()
        parents = {r.parent for r in images if r.parent}
        used = svc.container_counts()
        for rec in images:
            refs = refs_by_id.get(rec.id, [])
            if dangling_only and rec.id in parents:
                continue  # not a head
            if not refs and rec.id in parents:
                continue
            if until and any(rec.created >= u for u in until):
                continue
            if not labels_ok(rec.labels, filters):
                continue
            if used.get(rec.id):
                continue
            try:
                if refs:
                    if dangling_only and any("@" not in r for r in refs):
                        continue
                    for r in refs:
                        deleted.extend(
                            deletion.delete(svc, _familiar_or(r), force=False, prune=True)
                        )
                else:
                    deleted.extend(deletion.delete(svc, rec.id, force=False, prune=True))
            except (Conflict, NotFound):
                continue
    reclaimed = sum(sizes_before.get(d["Deleted"], 0) for d in deleted if "Deleted" in d)
    svc.events.publish("image", "prune", "", {"reclaimed": str(reclaimed)})
    return {"ImagesDeleted": deleted or None, "SpaceReclaimed": reclaimed}


def _familiar_or(canonical: str) -> str:
    try:
        return parse_normalized(canonical, default_tag=False).familiar()
    except InvalidReference:
        return canonical
