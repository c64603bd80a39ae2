"""version and info: the client's and the daemon's facts, as text or through Docker's Go
structs for --format (types.Version, system.Info: fields by Go name, unknown ones errors)."""

from __future__ import annotations

import os
import sys

from .. import API_VERSION, __version__
from ..client.api import APIError, pinned_version
from .errors import CLIError

TYPE_CHECKING = False  # typing costs milliseconds at CLI start; hints only
if TYPE_CHECKING:
    from typing import Any

    from .context import Context


def parser(command: str) -> Any:
    """cli.common's parser: argparse loads only for the command lines that need it."""
    from .common import parser as argparse_parser

    return argparse_parser(command)


def _version_args(argv: list[str]) -> str | None:
    """`version [--format F]`: the value of --format; argparse reads any other line."""
    if not argv:
        return None
    if len(argv) == 2 and argv[0] in ("-f", "--format") and not argv[1].startswith("-"):
        return argv[1]
    if len(argv) == 1 and argv[0].startswith("--format=") and len(argv[0]) > 9:
        return argv[0][9:]
    p = parser("version")
    p.add_argument("-f", "--format")
    return p.parse_args(argv).format


def render_format(fmt: str, data: Any) -> str:
    text = _one_text_field(fmt, data)
    if text is not None:
        return text
    from .gotemplate import compile_template

    return compile_template(fmt).execute(data)


def _one_text_field(fmt: str, data: Any) -> str | None:
    """`{{.Client.Version}}`: a format that is one text field, read without loading the
    template engine (~4 ms); None for anything else (the engine decides, errors included)."""
    if not (fmt.startswith("{{") and fmt.endswith("}}")) or fmt.count("{{") != 1:
        return None
    path = fmt[2:-2].strip(" ")
    if not path.startswith("."):
        return None
    value = data
    for name in path[1:].split("."):
        if not (name.isidentifier() and isinstance(value, dict) and name in value):
            return None
        value = value[name]
    return value if isinstance(value, str) else None


def _template_error(exc: Exception, name: str = "") -> CLIError:
    """A template's error as the docker CLI words it (Docker names some templates)."""
    text = str(exc)
    if name:
        text = text.replace("template: :", f"template: {name}:", 1)
        text = text.replace('executing ""', f'executing "{name}"', 1)
    return CLIError(text, 1)


def version_data(client_doc: dict[str, Any], server: dict[str, Any] | None) -> Any:
    """What `version --format` sees: Docker's Go structs (.Server.APIVersion, ...)."""
    from .gofmt import GoRecord

    names = {"APIVersion": "ApiVersion"}
    client = GoRecord(
        {("APIVersion" if k == "ApiVersion" else k): v for k, v in client_doc.items()},
        "command.clientVersion",
        names,
        ("Platform",),
    )
    if server is None:
        return GoRecord({"Client": client, "Server": None}, "command.versionInfo")
    components = [  # Details is a Go map: its JSON keys come sorted
        GoRecord({**c, "Details": dict(sorted(_details(c).items())) or None},
                 "types.ComponentVersion", omitempty=("Details",))
        for c in server.get("Components") or []
    ]  # fmt: skip
    fields = ["Platform", "Components", "Version", "ApiVersion", "MinAPIVersion", "GitCommit"]
    fields += ["GoVersion", "Os", "Arch", "KernelVersion", "Experimental", "BuildTime"]
    doc = {("APIVersion" if k == "ApiVersion" else k): server.get(k) for k in fields}
    doc["Platform"] = GoRecord(server.get("Platform") or {"Name": ""}, "struct")
    doc["Components"] = components
    doc["Experimental"] = bool(doc["Experimental"])
    for k in ("Version", "APIVersion", "MinAPIVersion", "GitCommit", "GoVersion", "Os", "Arch"):
        doc[k] = doc[k] or ""
    doc["KernelVersion"] = doc["KernelVersion"] or ""
    doc["BuildTime"] = doc["BuildTime"] or ""
    server_rec = GoRecord(
        doc,
        "*types.Version",
        names,
        ("MinAPIVersion", "KernelVersion", "Experimental", "BuildTime"),
    )
    return GoRecord({"Client": client, "Server": server_rec}, "command.versionInfo")


def _details(component: dict[str, Any]) -> dict[str, Any]:
    """A component's Details; docker shows the Engine's BuildTime in Go's ANSIC layout."""
    details = dict(component.get("Details") or {})
    if component.get("Name") == "Engine" and details.get("BuildTime"):
        import time

        from ..common.timefmt import parse_rfc3339

        try:
            seconds, _ = parse_rfc3339(details["BuildTime"])
        except ValueError:
            return details
        details["BuildTime"] = time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(seconds))
    return details


def version(ctx: Context, argv: list[str]) -> int:
    fmt = _version_args(argv)
    client_doc = _client_doc(ctx)
    server: dict[str, Any] | None = None
    error: str | None = None
    try:
        server = ctx.api.system.version()
    except CLIError:
        raise
    except Exception as exc:  # the client part still prints, like docker
        error = _server_error(exc)
    if fmt:
        from .gotemplate_lex import TemplateError  # the engine itself loads only if needed

        fmt = "{{json .}}" if fmt == "json" else fmt
        try:
            print(render_format(fmt, version_data(client_doc, server)))
        except TemplateError as exc:
            print()
            if error is None:  # with no server, its error is the one reported
                raise _template_error(exc, "version") from None
        if error:
            print(error, file=sys.stderr)
        return 1 if error else 0
    print("Client:")
    print(f" Version:           {__version__}")
    api = client_doc["ApiVersion"]
    # docker's words, also for a version above its own
    print(
        f" API version:       {api}"
        + ("" if api == API_VERSION else f" (downgraded from {API_VERSION})")
    )
    print(f" Python version:    {_python_version()}")
    print(f" OS/Arch:           linux/{client_doc['Arch']}")
    print()
    if server is None:
        print(error, file=sys.stderr)
        return 1
    print(f"Server: {server.get('Platform', {}).get('Name', '')}")
    print(" Engine:")
    print(f"  Version:          {server.get('Version')}")
    print(
        f"  API version:      {server.get('ApiVersion')} (minimum version {server.get('MinAPIVersion')})"
    )
    print(f"  OS/Arch:          {server.get('Os')}/{server.get('Arch')}")
    print(f"  Kernel version:   {server.get('KernelVersion')}")
    return 0


def _context_name(ctx: Context) -> str:
    from dockyard.client.contexts import current_name

    return current_name(ctx.context_flag)


def _server_error(exc: Exception) -> str:
    """What `version` says when the server half failed: the daemon's refusal (a client
    version it does not speak, say) in docker's words, or that it cannot be reached."""
    message = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, APIError):
        return f"Error response from daemon: {message}"
    return f"Cannot connect to the dockyard daemon: {message}"


_INFO_GO_NAMES = {"HttpProxy": "HTTPProxy", "HttpsProxy": "HTTPSProxy"}


def info_data(doc: dict[str, Any], client_doc: dict[str, Any]) -> Any:
    """What `info --format` sees: Docker's system.Info by Go field name, plus ClientInfo."""
    from .gofmt import GoRecord

    fields = {_INFO_GO_NAMES.get(k, k): v for k, v in doc.items()}
    client = {"Debug": False, **{k: v for k, v in client_doc.items() if k != "ApiVersion"}}
    fields["ClientInfo"] = GoRecord(
        {**client, "Plugins": [], "Warnings": None}, "*system.clientInfo"
    )
    json_names = {go: key for key, go in _INFO_GO_NAMES.items()}
    return GoRecord(fields, "system.dockerInfo", json_names)


def _python_version() -> str:
    """platform.python_version() without importing platform (~2 ms): "3.11.7"."""
    return sys.version.split()[0]


def _client_doc(ctx: Context) -> dict[str, Any]:
    """The client half of `version` (and `info`'s ClientInfo)."""
    machine = os.uname().machine
    return {
        "Version": __version__,
        "ApiVersion": pinned_version() or API_VERSION,
        "DefaultAPIVersion": API_VERSION,
        "GitCommit": "",
        "GoVersion": f"python{_python_version()}",
        "Os": "linux",
        "Arch": "amd64" if machine == "x86_64" else machine,
        "BuildTime": "",
        "Context": _context_name(ctx),
    }


def info(ctx: Context, argv: list[str]) -> int:
    p = parser("info")
    p.add_argument("-f", "--format")
    args = p.parse_args(argv)
    doc = ctx.api.system.info()
    if args.format:
        from .gotemplate import TemplateError

        fmt = "{{json .}}" if args.format == "json" else args.format
        try:
            print(render_format(fmt, info_data(doc, _client_doc(ctx))))
        except TemplateError as exc:
            print()
            raise _template_error(exc) from None
        return 0
    lines = [
        "Server:",
        f" Containers: {doc['Containers']}",
        f"  Running: {doc['ContainersRunning']}",
        f"  Paused: {doc['ContainersPaused']}",
        f"  Stopped: {doc['ContainersStopped']}",
        f" Images: {doc['Images']}",
        f" Server Version: {doc['ServerVersion']}",
        f" Storage Driver: {doc['Driver']}",
        f" Logging Driver: {doc['LoggingDriver']}",
        f" Cgroup Driver: {doc['CgroupDriver']}",
        f" Cgroup Version: {doc['CgroupVersion']}",
        " Plugins:",
        f"  Volume: {' '.join(doc['Plugins']['Volume'])}",
        f"  Network: {' '.join(doc['Plugins']['Network'])}",
        f" Swarm: {(doc.get('Swarm') or {}).get('LocalNodeState') or 'inactive'}",
        f" Runtimes: {' '.join(sorted(doc['Runtimes']))}",
        f" Default Runtime: {doc['DefaultRuntime']}",
        *security_lines(doc.get("SecurityOptions") or []),
        f" Kernel Version: {doc['KernelVersion']}",
        f" Operating System: {doc['OperatingSystem']}",
        f" OSType: {doc['OSType']}",
        f" Architecture: {doc['Architecture']}",
        f" CPUs: {doc['NCPU']}",
        f" Total Memory: {doc['MemTotal'] / (1 << 30):.2f}GiB",
        f" Name: {doc['Name']}",
        f" ID: {doc['ID']}",
        f" Docker Root Dir: {doc['DockerRootDir']}",
        f" Debug Mode: {str(doc['Debug']).lower()}",
        f" Live Restore Enabled: {str(doc['LiveRestoreEnabled']).lower()}",
    ]
    mirrors = doc.get("RegistryConfig", {}).get("Mirrors") or []
    if mirrors:
        lines.append(" Registry Mirrors:")
        lines.extend(f"  {m}" for m in mirrors)
    print("\n".join(lines))
    for warning in doc.get("Warnings") or []:
        print(warning, file=sys.stderr)
    return 0


def security_lines(options: list[str]) -> list[str]:
    """SecurityOptions ("name=seccomp,profile=builtin") as the docker CLI shows them: each
    name, then only its profile."""
    lines = [" Security Options:"] if options else []
    for option in options:
        pairs = dict(kv.partition("=")[::2] for kv in option.split(","))
        lines.append(f"  {pairs.get('name', '')}")
        if "profile" in pairs:
            lines.append(f"   Profile: {pairs['profile']}")
    return lines
