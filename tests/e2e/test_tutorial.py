"""The tutorial's flows, each through the real `docker` CLI and through `dockyard`, against a
private dockyardd (the `cli` fixture of tests/conftest.py runs every test with both) holding
the application images dockyard builds (nginx, mysql/mariadb, redis, python)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tutorial_flows as flows  # noqa: E402
from daemon_harness import IMAGES_OUT, TestDaemon  # noqa: E402
from testing.flowkit import Cli, Resources  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.geteuid() != 0, reason="needs root")]

APP_IMAGES = ("nginx", "mysql", "redis", "python")


@pytest.fixture(scope="module")
def app_images(daemon: TestDaemon) -> None:
    """images/out/<name>.tar, made by scripts/make-images (scripts/test runs it). They are built
    from Debian's packages: when the mirror could not be reached, the flows that need them skip."""
    missing = [n for n in APP_IMAGES if not (IMAGES_OUT / f"{n}.tar").exists()]
    if missing:
        pytest.skip(f"images/out lacks {', '.join(missing)}: scripts/make-images could not make them")
    for name in APP_IMAGES:
        daemon.load_image(name)


needs_app_images = pytest.mark.usefixtures("app_images")


def test_version_info(cli: Cli) -> None:
    flows.flow_version_info(cli)


def test_hello_world(cli: Cli, res: Resources) -> None:
    flows.flow_hello_world(cli, res)


def test_hello_world_named_rm_rmi_load(cli: Cli, res: Resources) -> None:
    flows.flow_hello_world_named_then_rmi(cli, res)


@needs_app_images
def test_nginx_cp_and_stop_removes(cli: Cli, res: Resources, tmp_path: Path) -> None:
    flows.flow_nginx_cp(cli, res, tmp_path)


@needs_app_images
def test_nginx_host_volume(cli: Cli, res: Resources, tmp_path: Path) -> None:
    flows.flow_nginx_volume(cli, res, tmp_path)


@needs_app_images
def test_mysql_conf_and_data_dirs(cli: Cli, res: Resources, tmp_path: Path) -> None:
    flows.flow_mysql(cli, res, tmp_path)


@needs_app_images
def test_mysql_env_and_initdb(cli: Cli, res: Resources, tmp_path: Path) -> None:
    flows.flow_mysql_env_and_initdb(cli, res, tmp_path)


@needs_app_images
def test_mysql_random_and_empty_root_password(cli: Cli, res: Resources) -> None:
    flows.flow_mysql_random_and_empty_root_password(cli, res)


@needs_app_images
def test_mysql_without_password_fails(cli: Cli, res: Resources) -> None:
    flows.flow_mysql_without_password(cli, res)


@needs_app_images
def test_mysql_failing_initdb_stops(cli: Cli, res: Resources, tmp_path: Path) -> None:
    flows.flow_mysql_failing_initdb(cli, res, tmp_path)


@needs_app_images
def test_redis_master_three_replicas_link(cli: Cli, res: Resources) -> None:
    flows.flow_redis_link(cli, res)


@needs_app_images
def test_flask_app_from_python(cli: Cli, res: Resources, tmp_path: Path) -> None:
    flows.flow_flask_app(cli, res, tmp_path)


@needs_app_images
def test_port_already_allocated(cli: Cli, res: Resources) -> None:
    flows.flow_port_already_allocated(cli, res)


@needs_app_images
def test_image_contracts(cli: Cli) -> None:
    flows.flow_image_contracts(cli)


def test_gitlab_is_not_served(cli: Cli) -> None:
    flows.flow_gitlab_not_served(cli)


def test_ps_start_stop_rm(cli: Cli, res: Resources) -> None:
    flows.flow_ps_start_stop(cli, res)
