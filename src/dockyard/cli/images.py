"""Image commands: images, pull, push, tag, rmi, history, prune, save, load, import,
search, login/logout and build."""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from typing import Any, TextIO

from .common import APIError, CLIError, Context, parser
from .containers import confirm, ellipsis, parse_filters, refuse_terminal, short_id, split_repo_tag
from .inspect import go_time, human_size, print_list, since

INDEX_SERVER = "https://index.docker.io/v1/"

# --- images -----------------------------------------------------------------------------


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


def images(ctx: Context, argv: list[str]) -> int:
    p = parser("images", usage="dockyard images [OPTIONS] [REPOSITORY[:TAG]]")
    p.add_argument("-a", "--all", action="store_true")
    p.add_argument("--digests", action="store_true")
    p.add_argument("-f", "--filter", action="append", default=[])
    p.add_argument("--format")
    p.add_argument("--no-trunc", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--tree", action="store_true")
    p.add_argument("reference", nargs="?")
    args = p.parse_args(argv)
    filters = list(args.filter)
    if args.reference:
        filters.append(f"reference={args.reference}")
    found = ctx.api.images.list(all=args.all, filters=parse_filters(filters))
    trunc = not args.no_trunc
    now = time.time()
    rows = [r for img in found for r in image_rows(img, args.digests, trunc, now)]
    if args.quiet:
        # one ID per row, repeated for each tag, as the docker CLI prints them
        for r in rows:
            print(r["ID"])
        return 0
    print_list(rows, args.format, "image", digest=args.digests)
    return 0


# --- registry auth (~/.docker/config.json) -------------------------------------------------


def config_path() -> str:
    base = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return os.path.join(base, "config.json")


def load_config() -> dict[str, Any]:
    try:
        with open(config_path()) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise CLIError(f"loading config file: {config_path()}: {exc}", 1) from None


def save_config(doc: dict[str, Any]) -> None:
    path = config_path()
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent="\t")
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def registry_of(image: str) -> str:
    """The config.json key for an image's registry (Docker Hub uses its v1 index URL)."""
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        if first in ("docker.io", "index.docker.io", "registry-1.docker.io"):
            return INDEX_SERVER
        return first
    return INDEX_SERVER


def _server_key(server: str) -> str:
    if server in ("", "docker.io", "index.docker.io", "registry-1.docker.io", INDEX_SERVER):
        return INDEX_SERVER
    for prefix in ("https://", "http://"):
        if server.startswith(prefix):
            server = server[len(prefix) :]
    return server.rstrip("/")


def auth_header(server: str) -> dict[str, str]:
    """X-Registry-Auth for a registry from stored credentials (base64url JSON)."""
    auths = load_config().get("auths") or {}
    entry = auths.get(server) or auths.get("https://" + server) or auths.get("http://" + server)
    doc: dict[str, str] = {}
    if entry and entry.get("auth"):
        user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
        doc = {"username": user, "password": password, "serveraddress": server}
    elif entry and entry.get("identitytoken"):
        doc = {"identitytoken": entry["identitytoken"], "serveraddress": server}
    raw = json.dumps(doc, separators=(",", ":")).encode()
    return {"X-Registry-Auth": base64.urlsafe_b64encode(raw).decode()}


def login(ctx: Context, argv: list[str]) -> int:
    p = parser("login", usage="dockyard login [OPTIONS] [SERVER]")
    p.add_argument("-p", "--password")
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument("-u", "--username")
    p.add_argument("server", nargs="?")
    args = p.parse_args(argv)
    server = _server_key(args.server or "")
    password = args.password
    if args.password_stdin:
        if password:
            raise CLIError("--password and --password-stdin are mutually exclusive", 1)
        if not args.username:
            raise CLIError("Must provide --username with --password-stdin", 1)
        password = sys.stdin.read().rstrip("\r\n")
    elif password:
        print(
            "WARNING! Using --password via the CLI is insecure. Use --password-stdin.",
            file=sys.stderr,
        )
    username = args.username
    stored = (load_config().get("auths") or {}).get(server) or {}
    default_user = ""
    if stored.get("auth"):
        default_user = base64.b64decode(stored["auth"]).decode().partition(":")[0]
    if not username:
        prompt = f"Username ({default_user}): " if default_user else "Username: "
        sys.stdout.write(prompt)
        sys.stdout.flush()
        username = sys.stdin.readline().strip() or default_user
    if not username:
        raise CLIError("Error: Non-null Username Required", 1)
    if not password:
        import getpass

        password = getpass.getpass("Password: ")
    if not password:
        raise CLIError("Error: Password Required", 1)
    doc = ctx.api.system.auth(username, password, server)
    cfg = load_config()
    auths = cfg.setdefault("auths", {})
    if doc.get("IdentityToken"):
        auths[server] = {"identitytoken": doc["IdentityToken"]}
    else:
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        auths[server] = {"auth": token}
    save_config(cfg)
    print(
        f"\nWARNING! Your credentials are stored unencrypted in '{config_path()}'.\n"
        "Configure a credential helper to remove this warning. See\n"
        "https://docs.docker.com/go/credential-store/\n",
        file=sys.stderr,
    )
    print(doc.get("Status") or "Login Succeeded")
    return 0


def logout(ctx: Context, argv: list[str]) -> int:
    p = parser("logout", usage="dockyard logout [SERVER]")
    p.add_argument("server", nargs="?")
    args = p.parse_args(argv)
    server = _server_key(args.server or "")
    cfg = load_config()
    auths = cfg.get("auths") or {}
    keys = [k for k in auths if _server_key(k) == server]
    if not keys:
        print(f"Not logged in to {server}")
        return 0
    print(f"Removing login credentials for {server}")
    for k in keys:
        del auths[k]
    save_config(cfg)
    return 0


# --- progress streams ---------------------------------------------------------------------


def _progress_bar(detail: dict[str, Any]) -> str:
    """jsonmessage's bar: [=====>     ]  1.2MB/3.4MB."""
    current = detail.get("current") or 0
    total = detail.get("total") or 0
    if total <= 0 and current <= 0:
        return ""
    if total <= 0:
        return human_size(current)
    width = 50
    filled = min(width, int(current * width / total))
    bar = "=" * filled + (">" if filled < width else "") + " " * max(0, width - filled - 1)
    return f"[{bar}] {human_size(current):>8}/{human_size(total)}"


class StreamError(Exception):
    pass


def display_stream(messages: Any, out: TextIO, tty: bool) -> dict[str, Any]:
    """Render Docker JSON messages (pull/push/load/build); returns the last `aux` object.

    On a terminal each layer id keeps one line that is rewritten in place; otherwise
    progress updates are dropped and each status is one line, as the docker CLI does.
    """
    lines: dict[str, int] = {}
    aux: dict[str, Any] = {}
    for msg in messages:
        if msg.get("errorDetail") or msg.get("error"):
            error = (msg.get("errorDetail") or {}).get("message") or msg.get("error")
            raise StreamError(error)
        if "aux" in msg:
            aux = msg["aux"] or {}
            continue
        detail = msg.get("progressDetail") or {}
        progress = msg.get("progress") or _progress_bar(detail)
        has_progress = bool(detail.get("current") or detail.get("total"))
        if not tty and has_progress:
            continue
        text = ""
        ident = msg.get("id") or ""
        if ident:
            text += f"{ident}: "
        if msg.get("stream") is not None:
            text += msg["stream"]
            out.write(text)
            out.flush()
            continue
        status = msg.get("status") or ""
        text += f"{status} {progress}" if tty and progress else status
        if tty and ident:
            if ident in lines:
                up = len(lines) - lines[ident]
                out.write(f"\033[{up}A\r\033[2K{text}\033[{up}B\r")
            else:
                lines[ident] = len(lines)
                out.write(text + "\n")
        else:
            if tty:
                lines.clear()
            out.write(text + "\n")
        out.flush()
    return aux


def pull_params(image: str, all_tags: bool = False) -> tuple[dict[str, Any], str]:
    """(query for POST /images/create, canonical reference printed after the pull)."""
    from dockyard.common.reference import InvalidReference, parse_normalized

    try:
        ref = parse_normalized(image, default_tag=not all_tags)
    except InvalidReference as exc:
        raise CLIError(
            f"invalid reference format: {exc}" if str(exc) else "invalid reference format", 1
        ) from None
    params: dict[str, Any] = {"fromImage": ref.name}
    if not all_tags:
        params["tag"] = ref.digest or ref.tag or "latest"
    return params, ref.canonical()


def pull_stream(
    ctx: Context,
    image: str,
    platform: str = "",
    quiet: bool = False,
    out: TextIO | None = None,
    all_tags: bool = False,
) -> str:
    params, canonical = pull_params(image, all_tags)
    if platform:
        params["platform"] = platform
    out = out or sys.stdout
    auth = auth_header(registry_of(params["fromImage"]))["X-Registry-Auth"]
    stream = ctx.api.images.pull(
        params["fromImage"], params.get("tag"), params.get("platform", ""), auth
    )
    try:
        if quiet:
            for msg in stream:
                if msg.get("errorDetail") or msg.get("error"):
                    raise StreamError(
                        (msg.get("errorDetail") or {}).get("message") or msg.get("error")
                    )
        else:
            display_stream(stream, out, out.isatty())
    except StreamError as exc:
        raise CLIError(str(exc), 1) from None
    return canonical


def pull(ctx: Context, argv: list[str]) -> int:
    p = parser("pull", usage="dockyard pull [OPTIONS] NAME[:TAG|@DIGEST]")
    p.add_argument("-a", "--all-tags", action="store_true")
    p.add_argument("--disable-content-trust", action="store_true")
    p.add_argument("--platform", default="")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("image")
    args = p.parse_args(argv)
    if args.all_tags and ("@" in args.image or ":" in args.image.rsplit("/", 1)[-1]):
        raise CLIError("tag can't be used with --all-tags/-a", 1)
    last = args.image.rsplit("/", 1)[-1]
    if not args.quiet and not args.all_tags and ":" not in last and "@" not in last:
        print("Using default tag: latest")
    canonical = pull_stream(ctx, args.image, args.platform, args.quiet, sys.stdout, args.all_tags)
    print(canonical)
    return 0


def push(ctx: Context, argv: list[str]) -> int:
    from dockyard.common.reference import InvalidReference, parse_normalized

    p = parser("push", usage="dockyard push [OPTIONS] NAME[:TAG]")
    p.add_argument("-a", "--all-tags", action="store_true")
    p.add_argument("--disable-content-trust", action="store_true")
    p.add_argument("--platform", default="")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("image")
    args = p.parse_args(argv)
    try:
        ref = parse_normalized(args.image)
    except InvalidReference as exc:
        raise CLIError(f"invalid reference format: {exc}", 1) from None
    push_tag = None if args.all_tags else ref.tag or "latest"
    platform = json.dumps({"os": args.platform.split("/")[0]}) if args.platform else ""
    last = args.image.rsplit("/", 1)[-1]
    if not args.quiet and not args.all_tags and ":" not in last and "@" not in last:
        print("Using default tag: latest")
    auth = auth_header(registry_of(ref.name))["X-Registry-Auth"]
    messages = ctx.api.images.push(ref.familiar_name, push_tag, platform, auth)
    try:
        if args.quiet:
            for msg in messages:
                if msg.get("errorDetail") or msg.get("error"):
                    raise StreamError(
                        (msg.get("errorDetail") or {}).get("message") or msg.get("error")
                    )
            print(ref.canonical() if not args.all_tags else ref.name)
        else:
            display_stream(messages, sys.stdout, sys.stdout.isatty())
    except StreamError as exc:
        raise CLIError(str(exc), 1) from None
    return 0


def tag(ctx: Context, argv: list[str]) -> int:
    p = parser("tag", usage="dockyard tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]")
    p.add_argument("source")
    p.add_argument("target")
    args = p.parse_args(argv)
    repo, tag_ = split_repo_tag(args.target)
    if "@" in args.target:
        raise CLIError("refusing to create a tag with a digest reference", 1)
    ctx.api.images.tag(args.source, repo, tag_ or "latest")
    return 0


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
            failed = True
            continue
        for item in items:
            if item.get("Untagged"):
                print(f"Untagged: {item['Untagged']}")
            if item.get("Deleted"):
                print(f"Deleted: {item['Deleted']}")
    return 1 if failed else 0


# --- history --------------------------------------------------------------------------------


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
    p = parser("history", usage="dockyard history [OPTIONS] IMAGE")
    p.add_argument("--format")
    p.add_argument("-H", "--human", action="store_true", default=True)
    p.add_argument("--no-trunc", action="store_true")
    p.add_argument("--platform", default="")
    p.add_argument("-q", "--quiet", action="store_true")
    from .run import parse_with

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


# --- prune / save / load / import ------------------------------------------------------------


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
    if args.output:
        tmp = args.output + ".dockyard-tmp"
        try:
            with open(tmp, "wb") as f:
                for chunk in chunks:
                    f.write(chunk)
            os.replace(tmp, args.output)
        except OSError as exc:
            raise CLIError(f"failed to save image: {exc}", 1) from None
    else:
        out = sys.stdout.buffer
        for chunk in chunks:
            out.write(chunk)
        out.flush()
    return 0


def load(ctx: Context, argv: list[str]) -> int:
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


# --- search -----------------------------------------------------------------------------------


def search_row(r: dict[str, Any], trunc: bool, json_mode: bool = False) -> dict[str, Any]:
    """A search result as docker shows it: OFFICIAL is "[OK]" in tables, a bool in JSON."""
    desc = (r.get("description") or "").replace("\n", " ").replace("\r", " ")
    if trunc:
        desc = ellipsis(desc, 45)
    official = bool(r.get("is_official"))
    if json_mode:
        shown = "true" if official else "false"
    else:
        shown = "[OK]" if official else ""
    return {
        "Description": desc,
        "IsOfficial": shown,
        "Name": r.get("name", ""),
        "StarCount": str(r.get("star_count", 0)),
    }


def search(ctx: Context, argv: list[str]) -> int:
    p = parser("search", usage="dockyard search [OPTIONS] TERM")
    p.add_argument("-f", "--filter", action="append", default=[])
    p.add_argument("--format")
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--no-trunc", action="store_true")
    p.add_argument("term")
    args = p.parse_args(argv)
    auth = auth_header(registry_of(args.term))["X-Registry-Auth"]
    results = ctx.api.images.search(args.term, args.limit or None, parse_filters(args.filter), auth)
    json_mode = (args.format or "").strip() in ("json", "{{json .}}")
    rows = [search_row(r, not args.no_trunc, json_mode) for r in results]
    print_list(rows, args.format, "search")
    return 0


# --- build ------------------------------------------------------------------------------------


def context_tar(context: str, dockerfile: str | None) -> tuple[Any, str]:
    """Tar the build context honouring .dockerignore; returns (file, Dockerfile name in it)."""
    import tarfile
    import tempfile

    from dockyard.common.dockerignore import DockerIgnore

    ignore = DockerIgnore.of_context(context)
    spool = tempfile.SpooledTemporaryFile(max_size=32 << 20)
    df_name = "Dockerfile"
    extra: bytes | None = None
    if dockerfile == "-":
        extra = sys.stdin.buffer.read()
    elif dockerfile:
        df_abs = os.path.abspath(dockerfile)
        ctx_abs = os.path.abspath(context)
        if os.path.commonpath([df_abs, ctx_abs]) == ctx_abs:
            df_name = os.path.relpath(df_abs, ctx_abs)
        else:
            with open(df_abs, "rb") as f:
                extra = f.read()
    if extra is not None:
        import secrets

        df_name = ".dockerfile." + secrets.token_hex(10)
    always = {df_name, ".dockerignore"}

    def reset(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = int(info.mtime)
        return info

    with tarfile.open(fileobj=spool, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for root, dirs, files in os.walk(context):
            rel_root = os.path.relpath(root, context)
            rel_root = "" if rel_root == "." else rel_root
            keep_dirs = []
            for d in sorted(dirs):
                rel = os.path.join(rel_root, d)
                full = os.path.join(root, d)
                if os.path.islink(full):
                    files.append(d)
                    continue
                if ignore.excluded(rel) and not ignore.has_negations:
                    continue
                if not ignore.excluded(rel):
                    tar.add(full, arcname=rel, recursive=False, filter=reset)
                keep_dirs.append(d)
            dirs[:] = keep_dirs
            for name in sorted(files):
                rel = os.path.join(rel_root, name)
                if ignore.excluded(rel) and rel not in always:
                    continue
                tar.add(os.path.join(root, name), arcname=rel, recursive=False, filter=reset)
        if extra is not None:
            info = tarfile.TarInfo(df_name)
            info.size = len(extra)
            info.mode = 0o600
            info.mtime = int(time.time())
            import io

            tar.addfile(info, io.BytesIO(extra))
        end = tar.offset
    # Go's archive/tar ends with two zero blocks; Python pads to a 10 KiB record
    spool.truncate(end + 2 * tarfile.BLOCKSIZE)
    spool.seek(0)
    return spool, df_name


def build(ctx: Context, argv: list[str]) -> int:
    p = parser("build", usage="dockyard build [OPTIONS] PATH | URL | -")
    p.add_argument("--add-host", action="append", default=[])
    p.add_argument("--build-arg", action="append", default=[])
    p.add_argument("--cache-from", action="append", default=[])
    p.add_argument("--cpu-shares", "-c", type=int)
    p.add_argument("-f", "--file")
    p.add_argument("--force-rm", action="store_true")
    p.add_argument("--iidfile")
    p.add_argument("--label", action="append", default=[])
    p.add_argument("-m", "--memory")
    p.add_argument("--network")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--platform", default="")
    p.add_argument("--pull", action="store_true")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--rm", default="true")
    p.add_argument("--shm-size")
    p.add_argument("-t", "--tag", action="append", default=[])
    p.add_argument("--target", default="")
    p.add_argument("--progress", default="auto")
    p.add_argument("context")
    args = p.parse_args(argv)
    build_args: dict[str, str | None] = {}
    for item in args.build_arg:
        key, eq, value = item.partition("=")
        if eq:
            build_args[key] = value
        elif key in os.environ:
            build_args[key] = os.environ[key]
        else:
            build_args[key] = None
    labels = {k: v for k, _, v in (x.partition("=") for x in args.label)}
    body: Any
    remote = ""
    if args.context == "-":
        body = sys.stdin.buffer
        df_name = args.file or "Dockerfile"
    elif "://" in args.context or args.context.startswith("git@"):
        body = None
        remote = args.context
        df_name = args.file or "Dockerfile"
    else:
        if not os.path.isdir(args.context):
            raise CLIError(f'unable to prepare context: path "{args.context}" not found', 1)
        dockerfile = args.file
        if dockerfile and dockerfile != "-" and not os.path.isabs(dockerfile):
            if not os.path.exists(dockerfile):
                dockerfile = os.path.join(args.context, dockerfile)
        elif not dockerfile:
            dockerfile = os.path.join(args.context, "Dockerfile")
            if not os.path.exists(dockerfile):
                raise CLIError(
                    f"unable to prepare context: unable to evaluate symlinks in Dockerfile path: "
                    f"lstat {os.path.abspath(dockerfile)}: no such file or directory",
                    1,
                )
        body, df_name = context_tar(args.context, dockerfile)
    memory = shm_size = None
    if args.memory:
        from .run import FlagError, ram_in_bytes

        try:
            memory = ram_in_bytes(args.memory)
        except FlagError as exc:
            p.error(str(exc))
    if args.shm_size:
        from .run import ram_in_bytes as rb

        shm_size = rb(args.shm_size)
    cfg_auths = load_config().get("auths") or {}
    configs = {}
    for server, entry in cfg_auths.items():
        if entry.get("auth"):
            user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            configs[server] = {"username": user, "password": password, "serveraddress": server}
    if body is not None and body is not sys.stdin.buffer and not args.quiet:
        size = body.seek(0, os.SEEK_END)
        body.seek(0)
        print(f"Sending build context to Docker daemon  {human_size(size)}")
    messages = ctx.api.build.build(
        body,
        dockerfile=df_name,
        tags=args.tag,
        remote=remote,
        buildargs=build_args,
        labels=labels,
        target=args.target,
        nocache=args.no_cache,
        pull=args.pull,
        quiet=args.quiet,
        forcerm=args.force_rm,
        rm=args.rm.lower() not in ("false", "0"),
        platform=args.platform,
        networkmode=args.network or "",
        extrahosts=args.add_host,
        cachefrom=args.cache_from,
        memory=memory,
        shmsize=shm_size,
        cpushares=args.cpu_shares or None,
        registry_config=base64.urlsafe_b64encode(json.dumps(configs).encode()).decode(),
    )
    out: Any = _NullOut() if args.quiet else sys.stdout
    try:
        aux = display_stream(messages, out, out.isatty())
    except StreamError as exc:
        print(exc, file=sys.stderr)
        return 1
    image_id = aux.get("ID") or (out.last_id if args.quiet else "")
    if args.iidfile and image_id:
        with open(args.iidfile, "w") as f:
            f.write(image_id)
    if args.quiet and image_id:
        print(image_id)
    return 0


class _NullOut:
    """Swallows build output for -q, remembering an image ID a daemon printed."""

    last_id = ""

    def write(self, text: str) -> int:
        if text.strip().startswith("sha256:"):
            self.last_id = text.strip()
        return 0

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False
