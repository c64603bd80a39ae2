"""The tutorial's "使用Docker" flows (hello-world, Nginx, MySQL, Redis master + replicas, a Flask
app built FROM python:3), written once against a `Cli` so the same steps run through the real
`docker` CLI and through `dockyard`.

nginx, mysql, redis and python are the images dockyard builds itself (images/<name>/, made
by scripts/make-images): Debian's packages behind the official images' contracts.
"""

from __future__ import annotations

import gzip
import json
import socket
import time
from pathlib import Path

import pytest
from testing.flowkit import Cli, Resources, free_port, http_get, http_get_until, wait_until

IMAGES_OUT = Path(__file__).resolve().parents[2] / "images" / "out"
HELLO_LINES = ("Hello from", "This message shows that your installation appears to be working correctly.")

# httpd as PID 1 ignores SIGTERM, so a plain `stop` would wait its 10 s grace period.
STOP = ("stop", "-t", "1")


def flow_version_info(cli: Cli) -> None:
    """`docker version`, `docker info` (step 7 of the installation)."""
    out = cli.ok("version")
    assert "Client" in out and "Server" in out
    assert cli.ok("version", "--format", "{{.Server.Os}}").strip() == "linux"
    assert cli.ok("version", "--format", "{{.Server.APIVersion}}").strip() >= "1.24"
    assert cli.ok("info", "--format", "{{.Driver}}").strip() == "overlay2"
    assert int(cli.ok("info", "--format", "{{.Images}}").strip()) >= 2
    info = cli.ok("info")
    assert "Containers:" in info and "Server Version:" in info


def flow_hello_world(cli: Cli, res: Resources) -> None:
    """`run --rm hello-world` prints the greeting, exits 0 and leaves no container."""
    name = res.container("hello")
    proc = cli.run("run", "--rm", "--name", name, "hello-world")
    assert proc.returncode == 0, proc.stderr
    for line in HELLO_LINES:
        assert line in proc.stdout
    assert name not in cli.names(all=True)
    assert not cli.exists(name)


def flow_hello_world_named_then_rmi(cli: Cli, res: Resources) -> None:
    """`container run --name mycontainer hello-world`, `container rm`, `rmi hello-world`,
    then the image comes back with `load` (the tutorial's `pull`, without a registry)."""
    name = res.container("mycontainer")
    out = cli.ok("container", "run", "--name", name, "hello-world")
    assert HELLO_LINES[0] in out
    assert cli.state(name) == "exited"
    assert cli.fmt("{{.State.ExitCode}}", name) == "0"
    listing = cli.ok("container", "ls", "-a", "--format", "{{.Names}} {{.Status}}")
    assert any(line.startswith(f"{name} Exited (0)") for line in listing.splitlines()), listing
    assert cli.ok("container", "rm", name).strip() == name
    assert not cli.exists(name)

    repo_tags = cli.ok("images", "--format", "{{.Repository}}:{{.Tag}}").split()
    assert "hello-world:latest" in repo_tags
    try:
        out = cli.ok("rmi", "hello-world")
        assert "Untagged: hello-world:latest" in out
        assert "hello-world:latest" not in cli.ok("images", "--format", "{{.Repository}}:{{.Tag}}").split()
        assert cli.run("run", "--rm", "hello-world").returncode != 0
    finally:
        loaded = cli.ok("load", "-i", str(IMAGES_OUT / "hello-world.tar"))
    assert "hello-world:latest" in loaded
    assert HELLO_LINES[0] in cli.ok("run", "--rm", "hello-world")


NGINX_WELCOME = "<title>Welcome to nginx!</title>"
NGINX_HTML = "/usr/share/nginx/html"
# What the tutorial puts in $PWD/mysql/conf/mysqld.cnf.
MYSQL_CNF = """\
[mysqld]
pid-file=/var/run/mysqld/mysqld.pid
socket=/var/run/mysqld/mysqld.sock
datadir=/var/lib/mysql
log-error=/var/log/mysql/error.log
server-id=1
log-bin=/var/log/mysql/mysql-bin.log
expire_logs_days=30
max_binlog_size=256M
symbolic-links=0
"""
MYSQL_NO_PASSWORD = """\
[ERROR] [Entrypoint]: Database is uninitialized and password option is not specified
    You need to specify one of the following as an environment variable:
    - MYSQL_ROOT_PASSWORD
    - MYSQL_ALLOW_EMPTY_PASSWORD
    - MYSQL_RANDOM_ROOT_PASSWORD
"""
MYSQL_UID = 999  # the mysql user of the image, as in the official one
PRODUCTS = ["Ice Cream", "Chocolate", "Coca Cola", "Hamburger"]


def flow_nginx_cp(cli: Cli, res: Resources, tmp_path: Path) -> None:
    """`container run -d -p P:80 --rm --name mynginx nginx` serves the welcome page,
    `container cp index.html mynginx:/usr/share/nginx/html` replaces it, requests show in
    `logs`, and `stop` (SIGQUIT, the image's STOPSIGNAL) ends and removes it at once."""
    name = res.container("mynginx")
    port = free_port()
    cid = cli.ok("container", "run", "-d", "-p", f"{port}:80", "--rm", "--name", name, "nginx").strip()
    assert len(cid) == 64 and all(c in "0123456789abcdef" for c in cid), cid
    assert NGINX_WELCOME in http_get(f"http://127.0.0.1:{port}/")

    page = tmp_path / "index.html"
    page.write_text("<h1>hello from the host</h1>\n")
    cli.ok("container", "cp", str(page), f"{name}:{NGINX_HTML}")
    assert http_get_until(f"http://127.0.0.1:{port}/", "hello from the host") == page.read_text()
    assert cli.ok("exec", name, "cat", f"{NGINX_HTML}/index.html") == page.read_text()

    # docker ps: the row shows the image, the port mapping and the name
    rows = [r for r in cli.ok("ps").splitlines()[1:] if r.rstrip().endswith(name)]
    assert len(rows) == 1, cli.ok("ps")
    assert rows[0].startswith(cid[:12]) and " nginx " in rows[0]
    assert f"0.0.0.0:{port}->80/tcp" in rows[0]
    assert f"0.0.0.0:{port}" in cli.ok("port", name, "80")
    # the access log goes to the container's stdout
    wait_until(lambda: '"GET / HTTP/1.1" 200' in cli.ok("logs", name), what="access log in logs")

    back = tmp_path / "back"
    back.mkdir()
    cli.ok("cp", f"{name}:{NGINX_HTML}/index.html", str(back))
    assert (back / "index.html").read_text() == page.read_text()

    started = time.monotonic()
    cli.ok("container", "stop", name)
    assert time.monotonic() - started < 5  # nginx quits on SIGQUIT; no 10 s grace period
    wait_until(lambda: not cli.exists(name), timeout=10, what="--rm container removed")


def flow_nginx_volume(cli: Cli, res: Resources, tmp_path: Path) -> None:
    """`run ... --volume hostdir:/usr/share/nginx/html nginx`: host files are served and host
    changes are seen at once."""
    name = res.container("mynginx")
    port = free_port()
    html = tmp_path / "html"
    html.mkdir()
    (html / "index.html").write_text("version 1\n")
    cli.ok(
        "container", "run", "-d", "-p", f"{port}:80", "--rm", "--name", name,
        "--volume", f"{html}:{NGINX_HTML}", "nginx",
    )  # fmt: skip
    assert http_get(f"http://127.0.0.1:{port}/") == "version 1\n"
    (html / "index.html").write_text("version 2\n")
    (html / "new.html").write_text("a new page\n")
    assert http_get_until(f"http://127.0.0.1:{port}/", "version 2") == "version 2\n"
    assert http_get(f"http://127.0.0.1:{port}/new.html") == "a new page\n"
    cli.ok("exec", name, "sh", "-c", f"echo from-container > {NGINX_HTML}/made.txt")
    assert (html / "made.txt").read_text() == "from-container\n"
    mounts = json.loads(cli.fmt("{{json .Mounts}}", name))
    assert [(m["Type"], m["Source"], m["Destination"], m["RW"]) for m in mounts] == [
        ("bind", str(html), NGINX_HTML, True)
    ]
    cli.ok("stop", name)
    wait_until(lambda: not cli.exists(name), timeout=10, what="--rm container removed")
    assert (html / "index.html").read_text() == "version 2\n"  # host data untouched


def mysql_greeting(port: int) -> bytes:
    """The server's first packet on a TCP connection (protocol 10 + version string)."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.settimeout(2)
        return s.recv(256)


def wait_mysql(cli: Cli, name: str, password: str, timeout: float = 90) -> None:
    """Until the real server (not the entrypoint's socket-only temporary one) answers."""

    def ready() -> bool:
        if cli.state(name) != "running":
            raise AssertionError(f"{name} stopped: {cli.run('logs', name).stderr}")
        pw = [f"-p{password}"] if password else []
        probe = cli.run("exec", name, "mysql", "-uroot", *pw, "-h127.0.0.1", "-e", "select 1")
        return probe.returncode == 0

    wait_until(ready, timeout=timeout, interval=0.3, what=f"{name} accepting TCP connections")


def flow_mysql(cli: Cli, res: Resources, tmp_path: Path) -> None:
    """The tutorial's MySQL steps: `run -d -p P:3306 --name mysql57 -v conf:/etc/mysql/mysql.conf.d
    -v data:/var/lib/mysql -e MYSQL_ROOT_PASSWORD=123456 mysql:5.7`, `exec ... mysql -e`, root
    from another container and through the published port, and the data outliving `rm`."""
    name = res.container("mysql57")
    conf, data = tmp_path / "conf", tmp_path / "data"
    conf.mkdir()
    data.mkdir()
    (conf / "mysqld.cnf").write_text(MYSQL_CNF)
    port = free_port()
    volumes = ["-v", f"{conf}:/etc/mysql/mysql.conf.d", "-v", f"{data}:/var/lib/mysql"]
    cli.ok("run", "-d", "-p", f"{port}:3306", "--name", name, *volumes,
           "-e", "MYSQL_ROOT_PASSWORD=123456", "mysql:5.7")  # fmt: skip
    wait_mysql(cli, name, "123456")
    assert b"MariaDB" in mysql_greeting(port)  # the published port reaches the server

    def sql(container: str, query: str) -> str:
        return cli.ok("exec", container, "mysql", "-uroot", "-p123456", "-N", "-e", query)

    sql(name, "alter user 'root'@'%' identified by '123456' password expire never;")
    sql(name, "create database shop; create table shop.t (v varchar(20)); insert into shop.t values ('kept');")
    assert sql(name, "select @@server_id, @@log_bin").split() == ["1", "1"]  # the mounted config
    out = cli.ok("run", "--rm", "--link", f"{name}:db", "mysql:5.7",
                 "mysql", "-hdb", "-uroot", "-p123456", "-N", "-e", "select v from shop.t")  # fmt: skip
    assert out.strip() == "kept"
    # and as a client on the host would, through the published port
    out = cli.ok("run", "--rm", "--network", "host", "mysql:5.7", "mysql", "-h127.0.0.1", f"-P{port}",
                 "-uroot", "-p123456", "-N", "-e", "select count(*) from shop.t")  # fmt: skip
    assert out.strip() == "1"
    assert (data / "shop").is_dir() and (data / "shop").stat().st_uid == MYSQL_UID

    cli.ok("stop", name)  # SIGTERM: mysqld shuts down cleanly
    assert cli.fmt("{{.State.ExitCode}}", name) == "0"
    cli.ok("rm", name)
    again = res.container("mysql57-again")
    cli.ok("run", "-d", "--name", again, *volumes, "mysql:5.7")  # no password needed: data exists
    wait_mysql(cli, again, "123456")
    assert sql(again, "select v from shop.t").strip() == "kept"
    log = cli.ok("exec", again, "cat", "/var/log/mysql/error.log")
    assert "ready for connections" in log and "crash recovery" not in log.lower(), log


def flow_mysql_env_and_initdb(cli: Cli, res: Resources, tmp_path: Path) -> None:
    """MARIADB_ROOT_PASSWORD, MYSQL_DATABASE, MYSQL_USER + MYSQL_PASSWORD and the first start's
    /docker-entrypoint-initdb.d (*.sql, *.sql.gz, a sourced *.sh) on mariadb:10.11."""
    name = res.container("mariadb")
    initdb = tmp_path / "initdb"
    initdb.mkdir()
    (initdb / "01-schema.sql").write_text("create table items (name varchar(20));\n")
    (initdb / "02-data.sql.gz").write_bytes(gzip.compress(b"insert into items values ('gz');\n"))
    (initdb / "03-more.sh").write_text(
        "docker_process_sql <<<\"insert into items values ('sh');\"\n"
    )
    cli.ok(
        "run", "-d", "--name", name, "-e", "MARIADB_ROOT_PASSWORD=rootpw", "-e", "MYSQL_DATABASE=shop",
        "-e", "MYSQL_USER=app", "-e", "MYSQL_PASSWORD=apppw",
        "-v", f"{initdb}:/docker-entrypoint-initdb.d", "mariadb:10.11",
    )  # fmt: skip
    wait_mysql(cli, name, "rootpw")
    logs = cli.run("logs", name)
    assert "running /docker-entrypoint-initdb.d/01-schema.sql" in logs.stdout, logs
    out = cli.ok("run", "--rm", "--link", f"{name}:db", "mariadb:10.11", "mysql", "-hdb", "-uapp",
                 "-papppw", "-N", "-e", "select name from shop.items order by name")  # fmt: skip
    assert out.split() == ["gz", "sh"]
    denied = cli.run("exec", name, "mysql", "-uapp", "-papppw", "-h127.0.0.1", "-e", "create database other")
    assert denied.returncode != 0 and "denied" in denied.stderr  # app owns shop only


def flow_mysql_random_and_empty_root_password(cli: Cli, res: Resources) -> None:
    """MYSQL_RANDOM_ROOT_PASSWORD prints the generated password; MARIADB_ALLOW_EMPTY_ROOT_PASSWORD
    leaves root without one."""
    rand, empty = res.container("randompw"), res.container("emptypw")
    cli.ok("run", "-d", "--name", rand, "-e", "MYSQL_RANDOM_ROOT_PASSWORD=yes", "mysql")
    cli.ok("run", "-d", "--name", empty, "-e", "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1", "mariadb")
    line = wait_until(
        lambda: next((x for x in cli.run("logs", rand).stdout.splitlines() if "GENERATED ROOT PASSWORD: " in x), None),
        timeout=90, interval=0.3, what="generated password in logs",
    )  # fmt: skip
    password = line.split("GENERATED ROOT PASSWORD: ", 1)[1].strip()
    assert len(password) >= 20 and password.isalnum(), line
    wait_mysql(cli, rand, password)
    wait_mysql(cli, empty, "")
    refused = cli.run("exec", rand, "mysql", "-uroot", "-pwrong", "-h127.0.0.1", "-e", "select 1")
    assert refused.returncode != 0 and "Access denied" in refused.stderr


def flow_mysql_without_password(cli: Cli, res: Resources) -> None:
    """No password variable: the official error on stderr and exit status 1."""
    name = res.container("nopassword")
    proc = cli.run("run", "--name", name, "mysql:5.7", timeout=60)
    assert proc.returncode == 1, proc
    assert MYSQL_NO_PASSWORD in proc.stderr
    assert cli.fmt("{{.State.ExitCode}}", name) == "1"
    assert MYSQL_NO_PASSWORD in cli.run("logs", name).stderr


def flow_mysql_failing_initdb(cli: Cli, res: Resources, tmp_path: Path) -> None:
    """An initdb script that fails stops the container; its error is in `logs`."""
    name = res.container("badinit")
    initdb = tmp_path / "initdb"
    initdb.mkdir()
    script = initdb / "01-broken.sh"
    script.write_text("#!/bin/sh\necho 'initdb step failed: no such table' >&2\nexit 3\n")
    script.chmod(0o755)
    cli.ok("run", "-d", "--name", name, "-e", "MYSQL_ROOT_PASSWORD=x",
           "-v", f"{initdb}:/docker-entrypoint-initdb.d", "mysql:5.7")  # fmt: skip
    wait_until(lambda: cli.state(name) == "exited", timeout=90, interval=0.3, what="container stops")
    assert cli.fmt("{{.State.ExitCode}}", name) != "0"
    logs = cli.run("logs", name)
    assert "running /docker-entrypoint-initdb.d/01-broken.sh" in logs.stdout
    assert "initdb step failed: no such table" in logs.stderr


def flow_redis_link(cli: Cli, res: Resources) -> None:
    """The tutorial's master and three `redis-server --replicaof redis-master 6379` replicas
    over `--link`: `connected_slaves:3`, writes replicate, the published port answers."""
    master = res.container("redis-master")
    port = free_port()
    cli.ok("run", "-d", "-p", f"{port}:6379", "--name", master, "redis")
    replicas = []
    for i in (1, 2, 3):
        r = res.container(f"redis-slave-{i}")
        replicas.append(r)
        cli.ok(
            "run", "-d", "-p", f"{free_port()}:6379", "--name", r, "--link", f"{master}:redis-master",
            "redis", "redis-server", "--replicaof", "redis-master", "6379",
        )  # fmt: skip
    wait_until(
        lambda: "connected_slaves:3" in cli.ok("exec", master, "redis-cli", "info", "replication"),
        timeout=30, what="three replicas connected",
    )  # fmt: skip
    assert cli.ok("exec", master, "redis-cli", "set", "greeting", "hello").strip() == "OK"
    for r in replicas:
        wait_until(lambda r=r: cli.ok("exec", r, "redis-cli", "get", "greeting").strip() == "hello",
                   what=f"{r} replicated the write")  # fmt: skip
        info = cli.ok("exec", r, "redis-cli", "info", "replication")
        assert "role:slave" in info and "master_link_status:up" in info, info
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"PING\r\n")
        assert s.recv(64) == b"+PONG\r\n"  # protected mode off, listening on all interfaces
    status = cli.ok("exec", master, "cat", "/proc/1/status")
    assert any(line.split()[:2] == ["Uid:", "999"] for line in status.splitlines()), status
    assert cli.ok("exec", master, "pwd").strip() == "/data"


def flow_flask_app(cli: Cli, res: Resources, tmp_path: Path) -> None:
    """The tutorial's Dockerfile for a Flask API, `FROM python:3` with Debian's python3-flask:
    `build`, `history`, `run -d -p P:8000`, and the API answers JSON."""
    ctx = tmp_path / "myapp"
    (ctx / "api").mkdir(parents=True)
    (ctx / "api" / "app.py").write_text(
        "from flask import Flask, jsonify\n\napp = Flask(__name__)\n\n\n"
        "@app.route('/api/products')\ndef products():\n"
        f"    return jsonify(products={PRODUCTS!r})\n"
    )
    start = ctx / "api" / "start.sh"
    start.write_text("#!/bin/sh\nexec flask --app app run --host 0.0.0.0 --port 8000\n")
    start.chmod(0o755)
    (ctx / "Dockerfile").write_text(
        "FROM python:3\n"
        'MAINTAINER jackfrued "jackfrued@126.com"\n'
        "RUN apt-get update && apt-get install -y --no-install-recommends python3-flask"
        " && rm -rf /var/lib/apt/lists/*\n"
        "ADD api/* /root/api/\n"
        "WORKDIR /root/api\n"
        'ENTRYPOINT ["./start.sh"]\n'
        "EXPOSE 8000\n"
    )
    tag = res.image("jackfrued/myapp", "latest")
    build = cli.run("build", "-t", tag, str(ctx), timeout=300)
    if build.returncode != 0 and "Unable to connect to deb.debian.org" in build.stdout + build.stderr:
        pytest.skip("the Debian mirror is unreachable from containers (the build runs apt-get)")
    assert build.returncode == 0, build
    history = cli.ok("history", tag)
    assert '/bin/sh -c #(nop)  ENTRYPOINT ["./start.sh"]' in history, history
    assert '/bin/sh -c #(nop)  CMD ["python3"]' in history, history
    name = res.container("myapp")
    port = free_port()
    cli.ok("run", "-d", "-p", f"{port}:8000", "--name", name, tag)
    body = http_get(f"http://127.0.0.1:{port}/api/products", timeout=30)
    assert json.loads(body) == {"products": PRODUCTS}


def flow_port_already_allocated(cli: Cli, res: Resources) -> None:
    """A second nginx on a taken host port: Docker's error and status, no container left."""
    first, second = res.container("web1"), res.container("web2")
    port = free_port()
    cli.ok("run", "-d", "-p", f"{port}:80", "--name", first, "nginx")
    proc = cli.run("run", "-d", "-p", f"{port}:80", "--rm", "--name", second, "nginx")
    assert proc.returncode == 125, proc
    assert f"Bind for 0.0.0.0:{port} failed: port is already allocated" in proc.stderr
    assert not cli.exists(second)
    assert NGINX_WELCOME in http_get(f"http://127.0.0.1:{port}/")  # the first one is untouched


def flow_image_contracts(cli: Cli) -> None:
    """The images' configuration as the official images have it, under every tag."""

    def config(ref: str) -> dict:
        return json.loads(cli.fmt("{{json .Config}}", ref, command="image inspect"))

    def same_image(*refs: str) -> None:
        ids = {cli.fmt("{{.Id}}", r, command="image inspect") for r in refs}
        assert len(ids) == 1, (refs, ids)

    same_image("nginx", "nginx:1.22", "nginx:latest")
    same_image("mysql:5.7", "mysql:8", "mysql:latest", "mariadb:10.11", "mariadb:latest")
    same_image("redis", "redis:7", "redis:latest")
    same_image("python:3", "python:3.11", "python:latest")
    nginx = config("nginx")
    assert nginx["StopSignal"] == "SIGQUIT" and nginx["ExposedPorts"] == {"80/tcp": {}}
    assert nginx["Cmd"] == ["nginx", "-g", "daemon off;"]
    mysql = config("mysql:5.7")
    assert mysql["Volumes"] == {"/var/lib/mysql": {}} and mysql["ExposedPorts"] == {"3306/tcp": {}}
    assert "MariaDB" in mysql["Labels"]["org.opencontainers.image.description"]
    redis = config("redis")
    assert redis["WorkingDir"] == "/data" and redis["Volumes"] == {"/data": {}}
    assert redis["Cmd"] == ["redis-server"]
    assert config("python:3")["Cmd"] == ["python3"]
    for ref in ("nginx", "mysql:5.7", "redis", "python:3"):
        assert config(ref)["Labels"]["org.opencontainers.image.description"]
    out = cli.ok("run", "--rm", "python:3", "sh", "-c",
                 "python --version && pip --version && python -m venv --without-pip /tmp/v && /tmp/v/bin/python -c 'print(6*7)'")  # fmt: skip
    assert out.startswith("Python 3.11") and out.rstrip().endswith("42"), out
    assert cli.ok("run", "--rm", "redis", "redis-cli", "--version").startswith("redis-cli 7.")


def flow_gitlab_not_served(cli: Cli) -> None:
    """No Debian package makes GitLab: the pull fails as Docker's does without Docker Hub."""
    proc = cli.run("pull", "gitlab/gitlab-ce")
    assert proc.returncode == 1, proc
    assert (
        'Error response from daemon: Get "https://registry-1.docker.io/v2/": dial tcp: '
        "lookup registry-1.docker.io" in proc.stderr
    ), proc.stderr


def flow_ps_start_stop(cli: Cli, res: Resources) -> None:
    """`docker ps`, `docker start/stop mynginx`, `container ls -a`, `rm`, `rm -f` as in the
    tutorial, on a container without --rm."""
    name = res.container("mynginx")
    port = free_port()
    cli.ok("run", "-d", "-p", f"{port}:80", "--name", name, "busybox", "sh", "-c",
           "mkdir -p /www && echo up > /www/index.html && exec httpd -f -p 80 -h /www")  # fmt: skip
    assert http_get(f"http://127.0.0.1:{port}/") == "up\n"
    cli.ok(*STOP, name)
    assert cli.state(name) == "exited"
    assert name not in cli.names(all=False)
    assert name in cli.names(all=True)
    cli.ok("start", name)
    assert cli.state(name) == "running"
    assert http_get(f"http://127.0.0.1:{port}/") == "up\n"  # the container's own files survive
    assert cli.run("rm", name).returncode != 0  # running: needs -f
    assert cli.exists(name)
    assert cli.ok("rm", "-f", name).strip() == name
    assert not cli.exists(name)
