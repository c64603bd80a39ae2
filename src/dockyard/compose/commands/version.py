"""`compose version` and the docker CLI plugin metadata."""

from __future__ import annotations

import argparse
import json

from ... import __version__

# The Compose release whose behaviour we follow: tools parse "Docker Compose version v2.x".
COMPOSE_VERSION = "v2.40.3"


def add_arguments(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument("-f", "--format", dest="format", choices=["pretty", "json"], default=None)
    parser.add_argument("--short", action="store_true")


def run(opts: argparse.Namespace) -> int:
    if opts.short:
        print(COMPOSE_VERSION.lstrip("v"))
    elif opts.format == "json":
        print(json.dumps({"version": COMPOSE_VERSION}))
    else:
        print(f"Docker Compose version {COMPOSE_VERSION} (dockyard {__version__})")
    return 0


def plugin_metadata() -> str:
    return json.dumps(
        {
            "SchemaVersion": "0.1.0",
            "Vendor": "dockyard",
            "Version": COMPOSE_VERSION,
            "ShortDescription": "Docker Compose",
        }
    )
