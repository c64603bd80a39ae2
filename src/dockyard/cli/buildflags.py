"""`build`'s flags: the command line read (without argparse for the lines it can take),
and the BuildKit-era values read on the client: --secret and --ssh (sent to the daemon in
dockyard's build headers) and --build-context (local directories travel in the context
tar); see docs/build.md."""

from __future__ import annotations

import os

from .errors import CLIError

TYPE_CHECKING = False  # typing and argparse cost milliseconds on every `build`
if TYPE_CHECKING:
    import argparse

# (flag names, kind, default): kind is "append", "value", "int" or "switch"; the
# destination is the long name's, as argparse makes it.
FLAGS: tuple[tuple[tuple[str, ...], str, object], ...] = (
    (("--add-host",), "append", None),
    (("--build-arg",), "append", None),
    (("--cache-from",), "append", None),
    (("--cache-to",), "append", None),
    (("--cpu-shares", "-c"), "int", None),
    (("-f", "--file"), "value", None),
    (("--force-rm",), "switch", False),
    (("--iidfile",), "value", None),
    (("--label",), "append", None),
    (("-m", "--memory"), "value", None),
    (("--network",), "value", None),
    (("--no-cache",), "switch", False),
    (("--platform",), "value", ""),
    (("--pull",), "switch", False),
    (("-q", "--quiet"), "switch", False),
    (("--rm",), "value", "true"),
    (("--shm-size",), "value", None),
    (("-t", "--tag"), "append", None),
    (("--target",), "value", ""),
    (("--progress",), "value", "auto"),
    (("--secret",), "append", None),
    (("--ssh",), "append", None),
    (("-o", "--output"), "append", None),
    (("--metadata-file",), "value", None),
    (("--check",), "switch", False),
    (("--build-context",), "append", None),
)


def _dest(names: tuple[str, ...]) -> str:
    return next(n for n in names if n.startswith("--"))[2:].replace("-", "_")


def build_parser() -> argparse.ArgumentParser:
    """argparse's parser of the same flags: it reads what `quick_parse` leaves, and owns
    the help and every error message."""
    from .common import parser

    p = parser("build", usage="dockyard build [OPTIONS] PATH | URL | -")
    for names, kind, default in FLAGS:
        if kind == "append":
            p.add_argument(*names, action="append", default=[])
        elif kind == "switch":
            p.add_argument(*names, action="store_true")
        elif kind == "int":
            p.add_argument(*names, type=int)
        elif names == ("--progress",):
            p.add_argument(*names, default=default, help="Set type of progress output")
        else:
            p.add_argument(*names, default=default)
    p.add_argument("context")
    return p


class Options:
    """The parsed flags, as attributes named like argparse's."""

    def __init__(self) -> None:
        for names, kind, default in FLAGS:
            setattr(self, _dest(names), [] if kind == "append" else default)
        self.context = ""


_BY_NAME = {name: (_dest(names), kind) for names, kind, _ in FLAGS for name in names}


def quick_parse(argv: list[str]) -> Options | None:
    """The flags as argparse reads them, for the lines made of known flags with plain
    values and one context; None for anything else (argparse reads it, errors and all)."""
    opts = Options()
    context: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "-" or not arg.startswith("-"):
            context.append(arg)
            continue
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg[:2], "", arg[2:])
        known = _BY_NAME.get(name)
        if known is None or (not eq and value.startswith("=")):
            return None  # --, --help, an abbreviation, a bundle of short flags, -t=x
        dest, kind = known
        if kind == "switch":
            if eq or value:
                return None
            setattr(opts, dest, True)
            continue
        if not eq and not value:
            if i == len(argv) or (argv[i].startswith("-") and argv[i] != "-"):
                return None
            value = argv[i]
            i += 1
        if kind == "append":
            getattr(opts, dest).append(value)
        elif kind == "int":
            try:
                setattr(opts, dest, int(value))
            except ValueError:
                return None
        else:
            setattr(opts, dest, value)
    if len(context) != 1:
        return None
    opts.context = context[0]
    return opts


def parse_args(argv: list[str]) -> Options | argparse.Namespace:
    return quick_parse(argv) or build_parser().parse_args(argv)


def _fields(value: str) -> list[tuple[str, str]]:
    import csv

    try:
        row = next(csv.reader([value]))
    except (csv.Error, StopIteration):
        raise CLIError(f"failed to parse csv secret: {value}", 1) from None
    out = []
    for field in row:
        key, eq, val = field.partition("=")
        if not eq:
            raise CLIError(f"invalid field '{field}' must be a key=value pair", 1)
        out.append((key.strip().lower(), val))
    return out


def parse_secrets(values: list[str]) -> dict[str, bytes]:
    """`--secret id=ID[,src=FILE|,env=VAR][,type=file|env]` as buildx reads it: with
    neither src nor env, the variable named ID if set, else a file named ID."""
    out: dict[str, bytes] = {}
    for value in values:
        sid = src = env = kind = ""
        for key, val in _fields(value):
            if key == "id":
                sid = val
            elif key in ("src", "source"):
                src = val
            elif key == "env":
                env = val
            elif key == "type":
                if val not in ("file", "env"):
                    raise CLIError(f"unsupported secret type {val!r}", 1)
                kind = val
            else:
                raise CLIError(f"unexpected key '{key}' in '{key}={val}'", 1)
        if kind == "env" and not env:
            env, src = src or sid, ""
        if not src and not env:
            if kind != "file" and sid in os.environ:
                env = sid
            else:
                src = sid
        sid = sid or os.path.basename(src or env)
        if env:
            if env not in os.environ:
                raise CLIError(f"secret env variable {env} not found", 1)
            out[sid] = os.environ[env].encode()
            continue
        try:
            with open(os.path.expanduser(src), "rb") as f:
                out[sid] = f.read()
        except OSError as exc:
            raise CLIError(f"failed to read secret {sid}: {exc.strerror}: {src}", 1) from None
    return out


def parse_ssh(values: list[str]) -> dict[str, str]:
    """`--ssh default|ID=SOCKET`: agent sockets by id (default: $SSH_AUTH_SOCK)."""
    out: dict[str, str] = {}
    for value in values:
        sid, _, path = value.partition("=")
        path = path.split(",")[0]
        if not path:
            path = os.environ.get("SSH_AUTH_SOCK", "")
            if not path:
                raise CLIError("invalid empty ssh agent socket: make sure SSH_AUTH_SOCK is set", 1)
        out[sid or "default"] = os.path.abspath(os.path.expanduser(path))
    return out


def parse_build_contexts(values: list[str]) -> tuple[dict[str, str], list[str]]:
    """--build-context name=DIR|docker-image://REF: the `buildcontexts` query value and
    the local directories, in the order the daemon expects them (sorted names)."""
    specs: dict[str, str] = {}
    for value in values:
        name, eq, source = value.partition("=")
        if not eq or not name or not source:
            raise CLIError(f"invalid context value: {value}, expected key=value", 1)
        specs[name.lower()] = source
    query: dict[str, str] = {}
    local: list[str] = []
    for name in sorted(specs):
        source = specs[name]
        if source.startswith("docker-image://"):
            query[name] = source
        elif "://" in source:
            raise CLIError(
                f"ERROR: unsupported context source {source} for {name} (dockyard takes a "
                "local directory or docker-image://)",
                1,
            )
        elif not os.path.isdir(source):
            raise CLIError(f'ERROR: unable to prepare context: path "{source}" not found', 1)
        else:
            query[name] = "local"
            local.append(source)
    return query, local
