"""Commands that reach a registry through the daemon: login, logout, pull, push, search;
the credentials they send come from ~/.docker/config.json."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from dockyard.common import dockerconfig
from dockyard.common.dockerconfig import registry_of

from .common import CLIError, Context, parser
from .inspect import print_list
from .progress import StreamError, display_stream, drain
from .shared import ellipsis, parse_filters


def load_config() -> dict[str, Any]:
    """~/.docker/config.json; a file that is not JSON is the docker CLI's error."""
    try:
        return dockerconfig.load()
    except dockerconfig.ConfigError as exc:
        raise CLIError(str(exc), 1) from None


def registry_auth(server: str) -> str:
    """X-Registry-Auth for a registry from stored credentials."""
    entry = dockerconfig.find_auth(load_config(), server)
    return dockerconfig.encode_header(dockerconfig.auth_config(entry, server))


def login(ctx: Context, argv: list[str]) -> int:
    p = parser("login", usage="dockyard login [OPTIONS] [SERVER]")
    p.add_argument("-p", "--password")
    p.add_argument("--password-stdin", action="store_true")
    p.add_argument("-u", "--username")
    p.add_argument("server", nargs="?")
    args = p.parse_args(argv)
    server = dockerconfig.server_key(args.server or "")
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
        default_user = dockerconfig.decode_basic(stored["auth"])[0]
    if (not username or not password) and not sys.stdin.isatty():
        raise CLIError("Error: Cannot perform an interactive login from a non TTY device", 1)
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
        auths[server] = {"auth": dockerconfig.encode_basic(username, password)}
    dockerconfig.save(cfg)
    print(
        f"\nWARNING! Your credentials are stored unencrypted in '{dockerconfig.config_path()}'.\n"
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
    server = dockerconfig.server_key(args.server or "")
    cfg = load_config()
    auths = cfg.get("auths") or {}
    keys = [k for k in auths if dockerconfig.server_key(k) == server]
    # docker 28 says so whether or not it held credentials for the server
    print(f"Removing login credentials for {server}")
    for k in keys:
        del auths[k]
    if keys:
        dockerconfig.save(cfg)
    return 0


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
    auth = registry_auth(registry_of(params["fromImage"]))
    stream = ctx.api.images.pull(
        params["fromImage"], params.get("tag"), params.get("platform", ""), auth
    )
    try:
        if quiet:
            drain(stream)
        else:
            display_stream(stream, out, out.isatty())
    except StreamError as exc:
        raise CLIError(str(exc), 1) from None
    return canonical


def _transfer_args(command: str, usage: str, argv: list[str]) -> Any:
    """The flags pull and push share; says "Using default tag" as the docker CLI does."""
    p = parser(command, usage=f"dockyard {command} [OPTIONS] {usage}")
    p.add_argument("-a", "--all-tags", action="store_true")
    p.add_argument("--disable-content-trust", action="store_true")
    p.add_argument("--platform", default="")
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("image")
    args = p.parse_args(argv)
    if (
        command == "pull"
        and args.all_tags
        and ("@" in args.image or ":" in args.image.rsplit("/", 1)[-1])
    ):
        raise CLIError("tag can't be used with --all-tags/-a", 1)
    return args


def _say_default_tag(args: Any) -> None:
    last = args.image.rsplit("/", 1)[-1]
    if not args.quiet and not args.all_tags and ":" not in last and "@" not in last:
        print("Using default tag: latest")


def pull(ctx: Context, argv: list[str]) -> int:
    args = _transfer_args("pull", "NAME[:TAG|@DIGEST]", argv)
    _say_default_tag(args)
    canonical = pull_stream(ctx, args.image, args.platform, args.quiet, sys.stdout, args.all_tags)
    print(canonical)
    return 0


def push(ctx: Context, argv: list[str]) -> int:
    from dockyard.common.reference import InvalidReference, parse_normalized

    args = _transfer_args("push", "NAME[:TAG]", argv)
    try:
        ref = parse_normalized(args.image)
    except InvalidReference as exc:
        raise CLIError(f"invalid reference format: {exc}", 1) from None
    push_tag = None if args.all_tags else ref.tag or "latest"
    platform = json.dumps({"os": args.platform.split("/")[0]}) if args.platform else ""
    _say_default_tag(args)
    auth = registry_auth(registry_of(ref.name))
    messages = ctx.api.images.push(ref.familiar_name, push_tag, platform, auth)
    try:
        if args.quiet:
            drain(messages)
            print(ref.canonical() if not args.all_tags else ref.name)
        else:
            display_stream(messages, sys.stdout, sys.stdout.isatty())
    except StreamError as exc:
        raise CLIError(str(exc), 1) from None
    return 0


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
    auth = registry_auth(registry_of(args.term))
    results = ctx.api.images.search(args.term, args.limit or None, parse_filters(args.filter), auth)
    json_mode = (args.format or "").strip() in ("json", "{{json .}}")
    rows = [search_row(r, not args.no_trunc, json_mode) for r in results]
    print_list(rows, args.format, "search")
    return 0
