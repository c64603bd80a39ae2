"""Image deletion (Docker's ImageDelete) and the sweep of images hidden by `rmi -f`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from dockyard.common.reference import InvalidReference, parse_normalized

from ..errors import Conflict, InvalidParameter
from .records import familiar, is_digest_ref, short_id

if TYPE_CHECKING:
    from .catalog import ImageCatalog


def delete(
    cat: ImageCatalog, name: str, force: bool = False, prune: bool = True
) -> list[dict[str, str]]:
    """DELETE /images/{name}: Docker's ImageDelete, records of Untagged/Deleted."""
    with cat.lock.exclusive():
        sweep(cat)
        image = cat.resolve(name)
        records: list[dict[str, str]] = []
        image_id = image.id
        refs = cat.refs(image_id).get(image_id, [])
        given_id = image_id.startswith(name) or image_id[7:].startswith(name)
        removed_ref = False
        if not given_id:
            if not force and _single_repo(refs):
                users = cat.users().get(image_id)
                if users:
                    raise Conflict(
                        f'conflict: unable to remove repository reference "{name}" '
                        f"(must force) - container {short_id(users[0])} is using its "
                        f"referenced image {short_id(image_id)}"
                    )
            try:
                parsed = parse_normalized(name)
            except InvalidReference as exc:
                raise InvalidParameter(str(exc)) from None
            cat.remove(parsed)
            records.append({"Untagged": parsed.familiar()})
            cat.log_event("untag", image_id)
            refs = cat.refs(image_id).get(image_id, [])
            if parsed.digest is None:
                repo = parsed.trim().canonical()
                same_repo_tags = [
                    r for r in refs if not is_digest_ref(r) and r.rsplit(":", 1)[0] == repo
                ]
                if not same_repo_tags:
                    for r in list(refs):
                        if is_digest_ref(r) and r.split("@", 1)[0] == repo:
                            cat.remove(parse_normalized(r))
                            records.append({"Untagged": familiar(r)})
                            refs.remove(r)
            if refs:
                return records
            removed_ref = True
        elif _single_repo(refs):
            _check_conflicts(cat, image_id, hard=True, stopped=not force, refs=False)
            for r in refs:
                cat.remove(parse_normalized(r))
                records.append({"Untagged": familiar(r)})
                cat.log_event("untag", image_id)
        _delete_helper(cat, image_id, records, force, prune, quiet=removed_ref)
        return records


def _single_repo(refs: list[str]) -> bool:
    """At most one tag, and every reference within one repository."""
    tags = [r for r in refs if not is_digest_ref(r)]
    repos = {r.split("@", 1)[0] if is_digest_ref(r) else r.rsplit(":", 1)[0] for r in refs}
    return len(tags) <= 1 and len(repos) <= 1


def _check_conflicts(
    cat: ImageCatalog, image_id: str, *, hard: bool, stopped: bool, refs: bool
) -> None:
    def conflict(message: str, is_hard: bool) -> Conflict:
        how = "cannot be forced" if is_hard else "must be forced"
        return Conflict(f"conflict: unable to delete {short_id(image_id)} ({how}) - {message}")

    if hard:
        if cat.children(image_id):
            raise conflict("image has dependent child images", True)
        running = cat.users(running_only=True).get(image_id)
        if running:
            raise conflict(f"image is being used by running container {short_id(running[0])}", True)
    if refs and cat.refs(image_id).get(image_id):
        raise conflict("image is referenced in multiple repositories", False)
    if stopped:
        running = set(cat.users(running_only=True).get(image_id) or [])
        stopped_users = [c for c in cat.users().get(image_id) or [] if c not in running]
        if stopped_users:
            raise conflict(
                f"image is being used by stopped container {short_id(stopped_users[0])}", False
            )


def _delete_helper(
    cat: ImageCatalog,
    image_id: str,
    records: list[dict[str, str]],
    force: bool,
    prune: bool,
    quiet: bool,
) -> None:
    try:
        _check_conflicts(cat, image_id, hard=True, stopped=not force, refs=not force)
    except Conflict:
        if quiet:
            return  # the reference went; the image stays for its other users
        raise
    parent = cat.get(image_id).parent
    for r in cat.refs(image_id).get(image_id, []):
        cat.remove(parse_normalized(r))
        records.append({"Untagged": familiar(r)})
        cat.log_event("untag", image_id)
    removed_layers = _remove_image(cat, image_id)
    cat.log_event("delete", image_id)
    records.append({"Deleted": image_id})
    records.extend({"Deleted": c} for c in removed_layers)
    if prune and parent and cat.visible(parent):
        if cat.refs(parent).get(parent) or cat.users().get(parent):
            return
        _delete_helper(cat, parent, records, False, True, True)


def _remove_image(cat: ImageCatalog, image_id: str) -> list[str]:
    """Drop the row, then the files nothing references any more; returns removed chains,
    top first (as Docker lists them).

    An image still used by (stopped) containers, as after `rmi -f`, only disappears
    from view: its row and layers stay until sweep() finds it unused, so those
    containers can still start, as in Docker.
    """
    if cat.users().get(image_id):
        with cat.db.transaction() as cur:
            row = cur.execute("SELECT doc FROM images WHERE id=?", (image_id,)).fetchone()
            if row is not None:
                doc = json.loads(row[0])
                doc["removed"] = True
                cur.execute("UPDATE images SET doc=? WHERE id=?", (json.dumps(doc), image_id))
            cur.execute("DELETE FROM tags WHERE image_id=?", (image_id,))
        return []
    with cat.db.transaction() as cur:
        cur.execute("DELETE FROM images WHERE id=?", (image_id,))
        cur.execute("DELETE FROM tags WHERE image_id=?", (image_id,))
        unused = cat.layers.unused(cur)
        cat.layers.delete_rows(cur, [d["chain_id"] for d in unused])
    cat.forget_config(image_id)
    keep = cat.referenced_blobs()
    for doc in unused:
        cat.layers.remove_dir(doc["chain_id"])
        if doc.get("blob") and doc["blob"] not in keep:
            cat.blobs.delete(doc["blob"])
    if image_id not in keep:
        cat.blobs.delete(image_id)
    order = {c: i for i, c in enumerate(_chain_order(unused))}
    return sorted(order, key=lambda c: -order[c])


def sweep(cat: ImageCatalog) -> list[str]:
    """Really remove images hidden by `rmi -f` whose containers are gone."""
    removed = []
    with cat.lock.exclusive():
        users = cat.users()
        for rec in cat.all(include_removed=True):
            if rec.doc.get("removed") and not users.get(rec.id):
                removed.extend(_remove_image(cat, rec.id))
    return removed


def _chain_order(docs: list[dict[str, Any]]) -> list[str]:
    """Chains bottom first, following parent links."""
    by_parent = {d.get("parent"): d["chain_id"] for d in docs}
    chains = {d["chain_id"] for d in docs}
    roots = [d["chain_id"] for d in docs if d.get("parent") not in chains]
    out: list[str] = []
    for root in roots:
        c: str | None = root
        while c is not None and c not in out:
            out.append(c)
            c = by_parent.get(c)
    return out
