"""`dockyard compose …` and `docker compose …` (the CLI plugin), with `convert --kube`.

Compose sits a floor below kube and cannot hand its project to `kube generate`; this program,
on kube's floor, can. `compose convert --kube` (or `config --kube`) writes the project's
Kubernetes manifests as `dockyard kube generate -f` does, taking Compose's global flags
(-f, -p, --project-directory, --env-file, --profile); every other command line goes to
compose's own program unchanged.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

KUBE_FLAG = "--kube"
_CONVERT = ("convert", "config")


def wants_kube(argv: list[str]) -> bool:
    from ..compose.main import split_command

    before, command, after = split_command(argv)
    return command in _CONVERT and KUBE_FLAG in (before + after)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if wants_kube(argv):
        return convert(argv)
    from ..compose.main import main as compose_main

    return compose_main(argv)


def plugin_main() -> int:
    """The docker CLI plugin entry (`docker-compose`)."""
    argv = sys.argv[1:]
    if argv[:1] == ["compose"] and wants_kube(argv[1:]):
        return convert(argv[1:])
    from ..compose.main import plugin_main as compose_plugin_main

    return compose_plugin_main()


class _Parser(argparse.ArgumentParser):
    """Compose's flag errors: the message on stderr, exit status 1."""

    def error(self, message: str) -> NoReturn:
        print(message.replace("unrecognized arguments", "unknown flag"), file=sys.stderr)
        raise SystemExit(1)


def _engine() -> Any:
    from ..client.api import Client
    from ..client.engine import Engine
    from ..compose.backend import docker_host

    return Engine(Client(docker_host()))


def convert(argv: list[str]) -> int:
    from ..client.api import APIError, DaemonUnreachable
    from ..compose.backend import docker_host
    from ..compose.errors import ComposeError
    from ..compose.main import global_flags, split_command
    from ..compose.options import load_project
    from . import from_compose
    from .commands import add_output_options, emit
    from .yamlio import ManifestError

    before, command, after = split_command(argv)
    p = _Parser(
        prog=f"docker compose {command}",
        usage=f"docker compose {command} --kube [OPTIONS]",
        parents=[global_flags()],
        allow_abbrev=False,
        conflict_handler="resolve",
    )
    p.add_argument(KUBE_FLAG, action="store_true", help="Kubernetes manifests of the project")
    add_output_options(p)
    opts = p.parse_args(before + after)
    if opts.pull_secret and not opts.registry:
        p.error("--pull-secret needs --registry")
    try:
        app = from_compose.application(load_project(opts))
        return emit(_engine, app, opts)
    except ComposeError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except (ManifestError, APIError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except DaemonUnreachable as exc:  # --registry pushes through the daemon
        print(f"Cannot connect to the Docker daemon at {docker_host()}. ({exc})", file=sys.stderr)
        return 1
