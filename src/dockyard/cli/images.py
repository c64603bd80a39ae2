"""Image commands on the local store: images, tag, rmi, history, prune, save, load, import."""

from __future__ import annotations

import sys
import time

from ..client.api import APIError
from .errors import CLIError
from .inspect import config_format, go_time, human_size, print_list, since
from .quickargs import parser, switches_only
from .shared import (
    confirm,
    ellipsis,
    parse_filters,
    refuse_terminal,
    short_id,
    split_repo_tag,
    write_stream,
)

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .context import Context


def _familiar(name: str) -> str:
    """docker.io/library/nginx -> nginx, docker.io/user/app -> user/app."""
    if not name.startswith("docker.io/"):
        return name
    rest = name[len("docker.io/") :]
    if rest.startswith("library/") and "/" not in rest[len("library/") :]:
        return rest[len("library/") :]
    return rest


def _is_dangling(img: dict[str, Any]) -> bool:
    tags = img.get("RepoTags") or []
    digests = img.get("RepoDigests") or []
    if not tags and not digests:
        return True
    return tags == ["<none>:<none>"] and digests == ["<none>@<none>"]


def image_rows(
    img: dict[str, Any], digests: bool, trunc: bool, now: float | None = None
) -> list[dict[str, Any]]:
    """One API image summary -> one row per repository:tag (and digest with --digests)."""
    size = img.get("Size") or 0
    shared = img.get("SharedSize", -1)
    created = img.get("Created") or 0
    containers = img.get("Containers", -1)
    base = {
        "Containers": "N/A" if containers is None or containers < 0 else str(containers),
        "CreatedAt": go_time(created),
        "CreatedSince": since(created, now),
        "ID": short_id(img.get("Id", "")) if trunc else img.get("Id", ""),
        "SharedSize": "N/A" if shared is None or shared < 0 else human_size(shared, 3),
        "Size": human_size(size, 3),
        "UniqueSize": "N/A" if shared is None or shared < 0 else human_size(size - shared, 3),
        "VirtualSize": human_size(img.get("VirtualSize", size) or size),
    }

    def row(repo: str, tag: str, digest: str) -> dict[str, Any]:
        r = {
            "Containers": base["Containers"],
            "CreatedAt": base["CreatedAt"],
            "CreatedSince": base["CreatedSince"],
            "Digest": digest,
            "ID": base["ID"],
            "Repository": repo,
            "SharedSize": base["SharedSize"],
            "Size": base["Size"],
            "Tag": tag,
            "UniqueSize": base["UniqueSize"],
            "VirtualSize": base["VirtualSize"],
        }
        return r

    if _is_dangling(img):
        return [row("<none>", "<none>", "<none>")]
    repo_tags: dict[str, list[str]] = {}
    repo_digests: dict[str, list[str]] = {}
    for ref in img.get("RepoTags") or []:
        if ref == "<none>:<none>":
            continue
        repo, tag = split_repo_tag(ref)
        repo_tags.setdefault(_familiar(repo), []).append(tag)
    for ref in img.get("RepoDigests") or []:
        if ref == "<none>@<none>":
            continue
        repo, _, digest = ref.partition("@")
        repo_digests.setdefault(_familiar(repo), []).append(digest)
    rows = []
    for repo, tags in repo_tags.items():
        dgsts = repo_digests.pop(repo, []) if digests else []
        if not digests:
            repo_digests.pop(repo, None)
        for tag in tags:
            if not dgsts:
                rows.append(row(repo, tag, "<none>"))
            for d in dgsts:
                rows.append(row(repo, tag, d))
    for repo, dgsts in repo_digests.items():
        if digests:
            rows.extend(row(repo, "<none>", d) for d in dgsts)
        else:
            rows.append(row(repo, "<none>", ""))
    return rows


def _images_parser() -> Any:
    p = parser("images", usage="dockyard images [OPTIONS] [REPOSITORY[:TAG]]")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("--digests", action="store_true")
    p.add_argument("-f", "--filter", action="append", default=[])
    p.add_argument("--format")
    p.add_argument("--no-trunc", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--tree", action="store_true")
    p.add_argument("reference", nargs="?")
    return p


_IMAGES_SWITCHES = {"-a": "all", "--all": "all", "--digests": "digests",
                    "--no-trunc": "no_trunc", "-q": "quiet", "--quiet": "quiet",
                    "--tree": "tree"}  # fmt: skip


def images_args(argv: list[str]) -> Any:
    """What _images_parser reads; plain lines (no --filter) without argparse."""
    quick = switches_only(argv, _IMAGES_SWITCHES, values={"--format": "format"})
    if quick is None or len(quick[1]) > 1:
        return _images_parser().parse_args(argv)
    args, names = quick
    args.filter, args.reference = [], names[0] if names else None  # type: ignore[attr-defined]
    return args


def images(ctx: Context, argv: list[str]) -> int:
    args = images_args(argv)
    filters = list(args.filter)
    if args.reference:
        filters.append(f"reference={args.reference}")
    found = ctx.api.images.list(all=args.all, filters=parse_filters(filters))
    trunc = not args.no_trunc
    now = time.time()
    # Docker's needDigest: --digests, or a format that reads the digest
    digests = args.digests or "{{.Digest}}" in (args.format or config_format("image") or "")
    rows = [r for img in found for r in image_rows(img, digests, trunc, now)]
    if args.quiet:
        # one ID per row, repeated for each tag, as the docker CLI prints them
        for r in rows:
            print(r["ID"])
        return 0
    print_list(rows, args.format, "image", digest=args.digests)
    return 0


def tag(ctx: Context, argv: list[str]) -> int:
    p = parser("tag", usage="dockyard tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]")
    p.add_argument("source")
    p.add_argument("target")
    args = p.parse_args(argv)
    from dockyard.common.reference import parse_any_reference, parse_normalized

    # checked here, as the docker CLI does: the API would take repo "foo:bad" + tag "tag"
    _reference(args.source, parse_any_reference)
    target = _reference(args.target, lambda s: parse_normalized(s, default_tag=False))
    if target.digest is not None:
        raise CLIError("refusing to create a tag with a digest reference", 1)
    ctx.api.images.tag(args.source, target.familiar_name, target.tag or "latest")
    return 0


def _reference(text: str, parse: Callable[[str], Any]) -> Any:
    from dockyard.common.reference import InvalidReference

    try:
        return parse(text)
    except InvalidReference as exc:
        raise CLIError(
            f'Error parsing reference: "{text}" is not a valid repository/tag: {exc}', 1
        ) from None


def rmi(ctx: Context, argv: list[str]) -> int:
    p = parser("rmi", usage="dockyard rmi [OPTIONS] IMAGE [IMAGE...]")
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("--no-prune", action="store_true")
    p.add_argument("--platform", default="")
    p.add_argument("images", nargs="+")
    args = p.parse_args(argv)
    failed = False
    for name in args.images:
        try:
            items = ctx.api.images.remove(name, args.force, args.no_prune)
        except APIError as exc:
            print(f"Error response from daemon: {exc.message}", file=sys.stderr)
            failed = failed or not (args.force and exc.status == 404)  # Docker: -f ignores it
            continue
        for item in items:
            if item.get("Untagged"):
                print(f"Untagged: {item['Untagged']}")
            if item.get("Deleted"):
                print(f"Deleted: {item['Deleted']}")
    return 1 if failed else 0


def _rfc3339(ts: float) -> str:
    import datetime

    dt = datetime.datetime.fromtimestamp(int(ts)).astimezone()
    text = dt.isoformat()
    return text.replace("+00:00", "Z") if dt.utcoffset() == datetime.timedelta(0) else text


def history_row(
    h: dict[str, Any], human: bool, trunc: bool, now: float | None = None
) -> dict[str, Any]:
    hid = h.get("Id") or ""
    if hid != "<missing>" and trunc:
        hid = short_id(hid)
    created_by = (h.get("CreatedBy") or "").replace("\t", " ")
    if trunc:
        created_by = ellipsis(created_by, 45)
    created = h.get("Created") or 0
    size = h.get("Size") or 0
    return {
        "Comment": h.get("Comment") or "",
        "CreatedAt": _rfc3339(created),
        "CreatedBy": created_by,
        "CreatedSince": since(created, now) if human else _rfc3339(created),
        "ID": hid,
        "Size": human_size(size, 3) if human else str(size),
    }


def history(ctx: Context, argv: list[str]) -> int:
    from .flags import parse_with

    p = parser("history", usage="dockyard history [OPTIONS] IMAGE")
    p.add_argument("--format")
    p.add_argument("-H", "--human", action="store_true", default=True)
    p.add_argument("--no-trunc", action="store_true")
    p.add_argument("--platform", default="")
    p.add_argument("-q", "--quiet", action="store_true")
    args, rest = parse_with(p, argv, interspersed=True)
    if len(rest) != 1:
        p.error('"history" requires exactly 1 argument.')
    human = args.human
    layers = ctx.api.images.history(rest[0])
    trunc = not args.no_trunc
    rows = [history_row(h, human, trunc) for h in layers]
    if args.quiet:
        for r in rows:
            print(r["ID"])
        return 0
    print_list(rows, args.format, "history", human=human)
    return 0


def prune(ctx: Context, argv: list[str]) -> int:
    p = parser("image prune")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("-f", "--force", action="store_true")
    p.add_argument("--filter", action="append", default=[])
    args = p.parse_args(argv)
    what = (
        "all images without at least one container associated to them"
        if args.all
        else "all dangling images"
    )
    if not args.force and not confirm(
        f"WARNING! This will remove {what}.\nAre you sure you want to continue?"
    ):
        return 0
    filters = parse_filters(args.filter) or {}
    filters["dangling"] = {"false" if args.all else "true": True}
    doc = ctx.api.images.prune(filters)
    deleted = doc.get("ImagesDeleted") or []
    if deleted:
        print("Deleted Images:")
        for item in deleted:
            if item.get("Untagged"):
                print(f"untagged: {item['Untagged']}")
            if item.get("Deleted"):
                print(f"deleted: {item['Deleted']}")
        print()
    print(f"Total reclaimed space: {human_size(doc.get('SpaceReclaimed') or 0)}")
    return 0


def save(ctx: Context, argv: list[str]) -> int:
    p = parser("save", usage="dockyard save [OPTIONS] IMAGE [IMAGE...]")
    p.add_argument("-o", "--output")
    p.add_argument("--platform", default="")
    p.add_argument("images", nargs="+")
    args = p.parse_args(argv)
    refuse_terminal(args.output, "save")
    chunks = ctx.api.images.save(args.images)
    try:
        write_stream(chunks, args.output, "save")
    except OSError as exc:
        if not args.output:
            raise
        raise CLIError(f"failed to save image: {exc}", 1) from None
    return 0


def load(ctx: Context, argv: list[str]) -> int:
    from .progress import StreamError, display_stream

    p = parser("load", usage="dockyard load [OPTIONS]")
    p.add_argument("-i", "--input")
    p.add_argument("--platform", default="")
    p.add_argument("-q", "--quiet", action="store_true")
    args = p.parse_args(argv)
    if args.input:
        try:
            source = open(args.input, "rb")
        except OSError as exc:
            raise CLIError(f"open {args.input}: {(exc.strerror or '').lower()}", 1) from None
    else:
        if sys.stdin.isatty():
            raise CLIError("requested load from stdin, but stdin is empty", 1)
        source = sys.stdin.buffer
    quiet = args.quiet or not sys.stdout.isatty()
    with source:
        messages = ctx.api.images.load(source, quiet)
        try:
            display_stream(messages, sys.stdout, sys.stdout.isatty() and not args.quiet)
        except StreamError as exc:
            raise CLIError(str(exc), 1) from None
    return 0


def import_(ctx: Context, argv: list[str]) -> int:
    p = parser("import", usage="dockyard import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]")
    p.add_argument("-c", "--change", action="append", default=[])
    p.add_argument("-m", "--message", default="")
    p.add_argument("--platform", default="")
    p.add_argument("source")
    p.add_argument("reference", nargs="?")
    args = p.parse_args(argv)
    source = "-"
    body: Any = None
    if args.source == "-":
        body = sys.stdin.buffer
    elif "://" in args.source:
        source = args.source
    else:
        try:
            body = open(args.source, "rb")
        except OSError as exc:
            raise CLIError(f"open {args.source}: {(exc.strerror or '').lower()}", 1) from None
    repo, tag_ = split_repo_tag(args.reference) if args.reference else (None, "")
    try:
        messages = ctx.api.images.import_(
            source, body, repo, tag_, args.message, args.platform, args.change
        )
        for msg in messages:
            if msg.get("errorDetail") or msg.get("error"):
                raise CLIError((msg.get("errorDetail") or {}).get("message") or msg["error"], 1)
            if msg.get("status"):
                print(msg["status"])
    finally:
        if body is not None and body is not sys.stdin.buffer:
            body.close()
    return 0
