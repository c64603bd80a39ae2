"""Resolve Docker's `User` ("name", "uid", "name:group", "uid:gid", ...) against the
container's own /etc/passwd and /etc/group, like runc's GetExecUser."""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.fs.inroot import read_text

from .errors import SpecError


@dataclass(frozen=True)
class _Entry:
    name: str
    id: int
    gid: int  # passwd only
    members: tuple[str, ...]  # group only


def _parse(text: str | None, kind: str) -> list[_Entry]:
    entries = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        f = line.split(":")
        try:
            if kind == "passwd" and len(f) >= 4:
                entries.append(_Entry(f[0], int(f[2]), int(f[3]), ()))
            elif kind == "group" and len(f) >= 3:
                members = tuple(m for m in (f[3].split(",") if len(f) > 3 else []) if m)
                entries.append(_Entry(f[0], int(f[2]), 0, members))
        except ValueError:
            continue  # malformed line: skip it as libc does
    return entries


def _as_id(text: str) -> int | None:
    if text.isdigit():
        value = int(text)
        if value > 0x7FFFFFFF:
            raise SpecError(f"user/group id {text} out of range")
        return value
    return None


def resolve_user(rootfs: str, user_spec: str | None) -> tuple[int, int, list[int]]:
    """(uid, gid, additional gids) for `user_spec` inside `rootfs`.

    Supplementary groups come from /etc/group membership only when no group is given
    explicitly, as runc does. Raises SpecError with Docker's wording when a name is unknown.
    """
    spec = (user_spec or "").strip()
    user_part, _, group_part = spec.partition(":")
    user_part = user_part or "0"
    passwd = _parse(read_text(rootfs, "/etc/passwd"), "passwd")
    groups = _parse(read_text(rootfs, "/etc/group"), "group")

    uid = _as_id(user_part)
    match = next(
        (e for e in passwd if (e.id == uid if uid is not None else e.name == user_part)),
        None,
    )
    if match is None and uid is None:
        raise SpecError(f"unable to find user {user_part}: no matching entries in passwd file")
    uid = match.id if match else uid
    gid = match.gid if match else 0

    additional: list[int] = []
    if group_part:
        gid_num = _as_id(group_part)
        group = next(
            (
                g
                for g in groups
                if (g.id == gid_num if gid_num is not None else g.name == group_part)
            ),
            None,
        )
        if group is None and gid_num is None:
            raise SpecError(f"unable to find group {group_part}: no matching entries in group file")
        gid = group.id if group else gid_num
    elif match is not None:
        for g in groups:
            if match.name in g.members and g.id not in additional:
                additional.append(g.id)
    assert uid is not None and gid is not None
    return uid, gid, additional
