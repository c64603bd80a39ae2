"""From parsed global flags to the loaded project (shared by every command)."""

from __future__ import annotations

import argparse
import os

from .loader import LoadOptions, load
from .project import Project


def load_options(opts: argparse.Namespace, interpolate: bool = True) -> LoadOptions:
    return LoadOptions(
        files=opts.files or [],
        project_name=opts.project_name,
        project_directory=opts.project_directory,
        env_files=opts.env_files,
        profiles=_profiles(opts),
        interpolate=interpolate,
        environ=dict(os.environ),
    )


def _profiles(opts: argparse.Namespace) -> list[str]:
    out: list[str] = []
    for value in opts.profiles or []:
        out.extend(p for p in value.split(",") if p)
    return out


def load_project(opts: argparse.Namespace, interpolate: bool = True) -> Project:
    return load(load_options(opts, interpolate))
