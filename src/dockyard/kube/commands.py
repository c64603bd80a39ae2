"""`dockyard kube generate|play|down` and `dockyard pod ls|inspect|rm|logs`.

The CLI's dispatcher routes these words here (kube/command_table.py); each command gets the
CLI's context (`ctx.api`: the typed Engine client) and its arguments, as cli/ commands do.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any, NoReturn

from ..common.humanize import ago
from . import manifests, names, pods, validate
from .plan import DEFAULT_INFRA_IMAGE, DEFAULT_NETWORK, build, owners, sources
from .spec import Application
from .yamlio import ManifestError, dump_documents, load_documents

Command = Callable[[Any, list[str]], int]


class _Parser(argparse.ArgumentParser):
    """Docker's flag errors: the message, a hint, exit status 125."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message}\nSee '{self.prog} --help'.", file=sys.stderr)
        raise SystemExit(125)


def _manifest_errors(func: Command) -> Command:
    def run(ctx: Any, args: list[str]) -> int:
        try:
            return func(ctx, args)
        except ManifestError as exc:
            print(f"Error: {exc}", file=sys.stderr)
            return 1

    run.__doc__ = func.__doc__
    return run


def _warn(warnings: list[str]) -> None:
    for w in warnings:
        print(f"WARNING: {w}", file=sys.stderr)


def _say(line: str) -> None:
    print(line, flush=True)


# --- kube generate ----------------------------------------------------------------------------


def _from_engine(engine: Any, refs: list[str]) -> Application:
    from . import from_inspect

    pod_names = {p.name: p for p in pods.list_pods(engine)}
    app = Application(workloads=[])
    images: dict[str, dict[str, Any]] = {}

    def image_config(image_id: str) -> dict[str, Any]:
        if image_id not in images:
            try:
                images[image_id] = engine.images.inspect(image_id).get("Config") or {}
            except Exception:  # noqa: BLE001 - removed image: keep every field
                images[image_id] = {}
        return images[image_id]

    for ref in refs:
        if ref in pod_names:
            pod = pod_names[ref]
            summaries = ([pod.infra] if pod.infra else []) + pod.members
            docs = [engine.containers.inspect(c["Id"]) for c in summaries]
            for d in docs:
                image_config(d.get("Image", ""))
            app.workloads.append(from_inspect.workload_from_pod(ref, docs, images))
        else:
            doc = engine.containers.inspect(ref)
            image = image_config(doc.get("Image", ""))
            app.workloads.append(from_inspect.workload_from_container(doc, image))
    return app


def _from_compose(files: list[str]) -> Application:
    try:
        from ..compose.errors import ComposeError
        from ..compose.loader import LoadOptions, load
    except ModuleNotFoundError:
        raise ManifestError("kube generate -f: this build has no compose loader") from None
    from . import from_compose

    try:
        project = load(LoadOptions(files=files))
    except ComposeError as exc:
        raise ManifestError(str(exc)) from None
    return from_compose.application(project)


def _pull_secret(host: str, name: str) -> manifests.Document:
    from ..common import dockerconfig
    from . import registry

    entry = dockerconfig.find_auth(dockerconfig.load(), dockerconfig.server_key(host))
    if not entry:
        raise ManifestError(
            f"--pull-secret: no credentials for {host} in {dockerconfig.config_path()}; "
            f"run 'dockyard login {host}' first"
        )
    return manifests.Document(manifests.pull_secret(name, registry.dockerconfigjson(entry, host)))


def _registry_auth(host: str) -> str | None:
    from ..common import dockerconfig

    entry = dockerconfig.find_auth(dockerconfig.load(strict=False), dockerconfig.server_key(host))
    auth = dockerconfig.auth_config(entry, dockerconfig.server_key(host))
    return dockerconfig.encode_header(auth) if auth else None


def add_output_options(p: argparse.ArgumentParser) -> None:
    """The flags of `kube generate` that shape its output (shared with `compose convert --kube`)."""
    p.add_argument("-o", "--output", default="", help="write the YAML to this file")
    p.add_argument(
        "-t",
        "--type",
        choices=manifests.KINDS,
        default=None,
        help="workload kind (default: Deployment; a Job for run-once services)",
    )
    p.add_argument("--service-type", choices=manifests.SERVICE_TYPES, default="ClusterIP")
    p.add_argument(
        "--registry",
        default="",
        metavar="HOST",
        help="tag and push the images to this registry, and name them there",
    )
    p.add_argument(
        "--pull-secret",
        nargs="?",
        const="-",
        default="",
        metavar="NAME",
        help="an imagePullSecrets Secret from the credentials for --registry",
    )


def emit(engine: Callable[[], Any], app: Application, opts: argparse.Namespace) -> int:
    """Push the images (--registry), then write the validated YAML to stdout or -o FILE.
    `engine` gives the Engine API client, asked for only when images are pushed."""
    extra = []
    secret_name = ""
    if opts.pull_secret:
        secret_name = opts.pull_secret
        if secret_name == "-":
            secret_name = names.dns_label(f"{opts.registry}-credentials")
        extra.append(_pull_secret(opts.registry, secret_name))
    if opts.registry:
        from . import registry

        registry.publish(engine(), app, opts.registry, _registry_auth(opts.registry))
    options = manifests.Options(
        kind=opts.type, service_type=opts.service_type, pull_secret=secret_name
    )
    text = render(app, options, extra)
    if opts.output:
        with open(opts.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


@_manifest_errors
def generate(ctx: Any, args: list[str]) -> int:
    """Kubernetes YAML for containers, pods or a compose project."""
    p = _Parser(
        prog="dockyard kube generate",
        usage="dockyard kube generate [OPTIONS] CONTAINER|POD... | -f COMPOSE_FILE",
    )
    p.add_argument("refs", nargs="*", metavar="CONTAINER|POD")
    p.add_argument("-f", "--file", action="append", default=[], help="a compose file")
    add_output_options(p)
    opts = p.parse_args(args)
    if not opts.refs and not opts.file:
        p.error("requires at least 1 container, pod or -f COMPOSE_FILE")
    if opts.refs and opts.file:
        p.error("containers and pods, or -f COMPOSE_FILE, not both")
    if opts.pull_secret and not opts.registry:
        p.error("--pull-secret needs --registry")
    app = _from_compose(opts.file) if opts.file else _from_engine(ctx.api, opts.refs)
    return emit(lambda: ctx.api, app, opts)


def render(
    app: Application, options: manifests.Options, extra: list[manifests.Document] | None = None
) -> str:
    """The YAML, after strict validation for every supported Kubernetes version."""
    docs, warnings = manifests.render(app, options)
    docs = (extra or []) + docs
    _warn(app.warnings + warnings)
    validate.check([d.body for d in docs], "generated")
    return dump_documents((d.comments, d.body) for d in docs)


# --- kube play / down -------------------------------------------------------------------------


def _read(files: list[str]) -> list[Any]:
    srcs = []
    for name in files:
        if name == "-":
            text, origin = sys.stdin.read(), "stdin"
        else:
            try:
                with open(name) as f:
                    text = f.read()
            except OSError as exc:
                raise ManifestError(f"{name}: {exc.strerror}") from None
            origin = name
        docs = load_documents(text, origin)
        if not docs:
            raise ManifestError(f"{origin}: no documents")
        validate.check(docs, origin, versions=validate.VERSIONS[-1:])
        srcs += sources(docs, origin)
    return srcs


def _play_parser(prog: str) -> _Parser:
    p = _Parser(prog=prog, usage=f"{prog} [OPTIONS] FILE...")
    p.add_argument("files", nargs="+", metavar="FILE", help="manifests (- for stdin)")
    p.add_argument("--network", default=DEFAULT_NETWORK, help="the network the pods join")
    return p


@_manifest_errors
def play(ctx: Any, args: list[str]) -> int:
    """Run the pods, workloads and services of Kubernetes manifests."""
    from .play import Player, down

    p = _play_parser("dockyard kube play")
    p.add_argument("--replace", action="store_true", help="take down what a play made first")
    p.add_argument("--down", action="store_true", help="take down what the files describe")
    p.add_argument(
        "--infra-image",
        default=DEFAULT_INFRA_IMAGE,
        help="the image of the containers holding the pods' namespaces",
    )
    opts = p.parse_args(args)
    srcs = _read(opts.files)
    if opts.down or opts.replace:
        down(ctx.api, owners(srcs), opts.network, _say)
        if opts.down:
            return 0
    plan = build(srcs, network=opts.network, infra_image=opts.infra_image)
    _warn(plan.warnings)
    Player(ctx.api, _say).play(plan)
    return 0


@_manifest_errors
def kube_down(ctx: Any, args: list[str]) -> int:
    """Remove what `kube play` created from these manifests."""
    from .play import down

    opts = _play_parser("dockyard kube down").parse_args(args)
    down(ctx.api, owners(_read(opts.files)), opts.network, _say)
    return 0


# --- pod ls / inspect / rm / logs -------------------------------------------------------------


def pod_ls(ctx: Any, args: list[str]) -> int:
    """List the pods `kube play` made."""
    p = _Parser(prog="dockyard pod ls", usage="dockyard pod ls [OPTIONS]")
    p.add_argument("-q", "--quiet", action="store_true", help="only names")
    opts = p.parse_args(args)
    listed = pods.list_pods(ctx.api)
    if opts.quiet:
        for pod in listed:
            print(pod.name)
        return 0
    rows = [("NAME", "STATUS", "CREATED", "INFRA ID", "# OF CONTAINERS", "OWNER")]
    now = time.time()
    for pod in listed:
        infra = (pod.infra or {}).get("Id", "")[:12]
        rows.append(
            (
                pod.name,
                pod.status,
                ago(pod.created, now),
                infra,
                str(len(pod.members) + (1 if pod.infra else 0)),
                pod.owner,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("   ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    return 0


def pod_inspect(ctx: Any, args: list[str]) -> int:
    """Show pods as JSON."""
    p = _Parser(prog="dockyard pod inspect", usage="dockyard pod inspect POD...")
    p.add_argument("names", nargs="+", metavar="POD")
    opts = p.parse_args(args)
    out, missing = [], []
    for name in opts.names:
        try:
            out.append(pods.inspect(ctx.api, pods.find(ctx.api, name)))
        except Exception as exc:  # noqa: BLE001 - report, go on with the others
            missing.append(str(getattr(exc, "message", exc)))
    print(json.dumps(out, indent=4))
    for message in missing:
        print(f"Error: {message}", file=sys.stderr)
    return 1 if missing else 0


def pod_rm(ctx: Any, args: list[str]) -> int:
    """Remove pods: their containers and emptyDir volumes."""
    p = _Parser(prog="dockyard pod rm", usage="dockyard pod rm [OPTIONS] POD...")
    p.add_argument("names", nargs="+", metavar="POD")
    p.add_argument("-f", "--force", action="store_true", help="remove running pods too")
    opts = p.parse_args(args)
    code = 0
    for name in opts.names:
        try:
            pods.remove(ctx.api, pods.find(ctx.api, name), opts.force)
            print(name)
        except Exception as exc:  # noqa: BLE001 - report, go on with the others
            print(f"Error: {getattr(exc, 'message', exc)}", file=sys.stderr)
            code = 1
    return code


def pod_logs(ctx: Any, args: list[str]) -> int:
    """The logs of a pod's containers, each line prefixed with its container's name."""
    from ..common.timefmt import get_timestamp
    from .podlogs import LogOptions, PrefixWriter, print_logs

    p = _Parser(prog="dockyard pod logs", usage="dockyard pod logs [OPTIONS] POD")
    p.add_argument("name", metavar="POD")
    p.add_argument("-c", "--container", default="", help="only this container of the pod")
    p.add_argument("-f", "--follow", action="store_true", help="follow the logs")
    p.add_argument("--since", help="since this time (10m, RFC 3339 or a unix timestamp)")
    p.add_argument("--until", help="until this time")
    p.add_argument("-n", "--tail", default="all", help="lines from the end of each log")
    p.add_argument("-t", "--timestamps", action="store_true", help="show timestamps")
    opts = p.parse_args(args)
    times = {}
    for flag in ("since", "until"):
        value = getattr(opts, flag)
        try:
            times[flag] = get_timestamp(value) if value else None
        except ValueError as exc:
            print(f'invalid value for "{flag}": {exc}', file=sys.stderr)
            return 1
    pod = pods.find(ctx.api, opts.name)
    members = [
        (pods.container_name(c), c["Id"])
        for c in pod.members
        if not opts.container or pods.container_name(c) == opts.container
    ]
    if not members:
        print(f"Error: pod {pod.name} has no container {opts.container!r}", file=sys.stderr)
        return 1
    log_opts = LogOptions(opts.follow, opts.tail, timestamps=opts.timestamps, **times)
    try:
        print_logs(ctx.api, members, log_opts, PrefixWriter())
    except KeyboardInterrupt:
        return 130
    return 0
