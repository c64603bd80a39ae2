"""The tutorial's "使用Docker" flows (hello-world, Nginx, MySQL, Redis master + replicas), written
once against a `Cli` so the same steps run through the real `docker` CLI and through `dockyard`.

The standard images here are busybox and hello-world (no registry is reachable), so:
  nginx  -> busybox httpd serving a directory,
  mysql  -> busybox sh honouring MYSQL_ROOT_PASSWORD and writing to a data volume,
  redis  -> a busybox httpd "master" and three replicas reaching it through --link.
"""

from __future__ import annotations

import json
from pathlib import Path

from flowkit import Cli, Resources, free_port, http_get, http_get_until, wait_until

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


def flow_nginx_cp(cli: Cli, res: Resources, tmp_path: Path) -> None:
    """`run -d -p P:80 --rm --name mynginx`, `cp index.html mynginx:/www/`, fetch it from the
    host, `stop` removes the container."""
    name = res.container("mynginx")
    port = free_port()
    cid = cli.ok(
        "container", "run", "-d", "-p", f"{port}:80", "--rm", "--name", name,
        "busybox", "sh", "-c", "mkdir -p /www && exec httpd -f -p 80 -h /www",
    ).strip()  # fmt: skip
    assert len(cid) == 64 and all(c in "0123456789abcdef" for c in cid), cid
    wait_until(lambda: cli.state(name) == "running", what="mynginx running")

    page = tmp_path / "index.html"
    page.write_text("<h1>hello from the host</h1>\n")
    cli.ok("container", "cp", str(page), f"{name}:/www/")
    assert cli.ok("exec", name, "cat", "/www/index.html") == page.read_text()
    assert http_get(f"http://127.0.0.1:{port}/index.html") == page.read_text()
    assert http_get(f"http://127.0.0.1:{port}/") == page.read_text()

    # docker ps: the row shows the image, the port mapping and the name
    rows = [r for r in cli.ok("ps").splitlines()[1:] if r.rstrip().endswith(name)]
    assert len(rows) == 1, cli.ok("ps")
    assert rows[0].startswith(cid[:12])
    assert f"0.0.0.0:{port}->80/tcp" in rows[0]
    assert " Up " in rows[0]
    assert f"0.0.0.0:{port}" in cli.ok("port", name, "80")

    # cp the other way: from the container to the host
    back = tmp_path / "back"
    back.mkdir()
    cli.ok("cp", f"{name}:/www/index.html", str(back))
    assert (back / "index.html").read_text() == page.read_text()

    cli.ok("container", *STOP, name)
    wait_until(lambda: not cli.exists(name), timeout=10, what="--rm container removed")
    assert name not in cli.names(all=True)


def flow_nginx_volume(cli: Cli, res: Resources, tmp_path: Path) -> None:
    """`run ... --volume hostdir:/usr/share/nginx/html`: host files are served and host changes
    are seen at once."""
    name = res.container("mynginx")
    port = free_port()
    html = tmp_path / "html"
    html.mkdir()
    (html / "index.html").write_text("version 1\n")
    cli.ok(
        "container", "run", "-d", "-p", f"{port}:80", "--rm", "--name", name,
        "--volume", f"{html}:/www", "busybox", "httpd", "-f", "-p", "80", "-h", "/www",
    )  # fmt: skip
    assert http_get(f"http://127.0.0.1:{port}/") == "version 1\n"
    (html / "index.html").write_text("version 2\n")
    (html / "new.html").write_text("a new page\n")
    assert http_get_until(f"http://127.0.0.1:{port}/", "version 2") == "version 2\n"
    assert http_get(f"http://127.0.0.1:{port}/new.html") == "a new page\n"
    # and the other way: what the container writes lands in the host directory
    cli.ok("exec", name, "sh", "-c", "echo from-container > /www/made.txt")
    assert (html / "made.txt").read_text() == "from-container\n"

    mounts = json.loads(cli.fmt("{{json .Mounts}}", name))
    assert [(m["Type"], m["Source"], m["Destination"], m["RW"]) for m in mounts] == [
        ("bind", str(html), "/www", True)
    ]
    cli.ok("stop", "-t", "1", name)
    wait_until(lambda: not cli.exists(name), timeout=10, what="--rm container removed")
    assert (html / "index.html").read_text() == "version 2\n"  # host data untouched


def flow_mysql(cli: Cli, res: Resources, tmp_path: Path) -> None:
    """MySQL-like: `-e MYSQL_ROOT_PASSWORD`, a data volume and a config bind mount; data
    outlives the container and reaches the next one; `volume rm` at the end."""
    name = res.container("mysql57")
    vol = res.volume("dbdata")
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "mysqld.cnf").write_text("[mysqld]\nserver-id=1\n")
    port = free_port()
    cli.ok(
        "run", "-d", "-p", f"{port}:3306", "--name", name,
        "-v", f"{conf}:/etc/mysql/mysql.conf.d", "-v", f"{vol}:/var/lib/mysql",
        "-e", "MYSQL_ROOT_PASSWORD=123456",
        "busybox", "sh", "-c", "echo $MYSQL_ROOT_PASSWORD > /var/lib/mysql/pw; exec sleep 600",
    )  # fmt: skip
    got = wait_until(
        lambda: cli.run("exec", name, "cat", "/var/lib/mysql/pw").stdout.strip(),
        what="password file written",
    )
    assert got == "123456"
    assert "MYSQL_ROOT_PASSWORD=123456" in cli.ok("exec", name, "env").splitlines()
    assert "server-id=1" in cli.ok("exec", name, "cat", "/etc/mysql/mysql.conf.d/mysqld.cnf")
    assert vol in cli.ok("volume", "ls", "-q").split()
    env = json.loads(cli.fmt("{{json .Config.Env}}", name))
    assert "MYSQL_ROOT_PASSWORD=123456" in env
    assert cli.fmt('{{(index (index .NetworkSettings.Ports "3306/tcp") 0).HostPort}}', name) == str(port)

    # a volume in use cannot be removed
    assert cli.run("volume", "rm", vol).returncode != 0
    cli.ok("rm", "-f", name)
    assert not cli.exists(name)
    assert vol in cli.ok("volume", "ls", "-q").split()

    # the data is still there for a new container
    again = cli.ok("run", "--rm", "-v", f"{vol}:/var/lib/mysql", "busybox", "cat", "/var/lib/mysql/pw")
    assert again.strip() == "123456"
    assert cli.ok("volume", "rm", vol).strip() == vol
    assert vol not in cli.ok("volume", "ls", "-q").split()


def flow_redis_link(cli: Cli, res: Resources) -> None:
    """One master, three replicas with `--link redis-master:redis-master`: each replica finds
    the master by name (/etc/hosts) and talks to it; every container has its own IP."""
    master = res.container("redis-master")
    port = free_port()
    cli.ok(
        "run", "-d", "-p", f"{port}:6379", "--name", master, "busybox", "sh", "-c",
        "mkdir -p /data && echo PONG > /data/index.html && exec httpd -f -p 6379 -h /data",
    )  # fmt: skip
    assert http_get(f"http://127.0.0.1:{port}/") == "PONG\n"
    replicas = []
    for i in (1, 2, 3):
        r = res.container(f"redis-slave-{i}")
        replicas.append(r)
        cli.ok(
            "run", "-d", "--name", r, "--link", f"{master}:redis-master", "busybox", "sh", "-c",
            "until wget -qO- http://redis-master:6379/; do sleep 0.1; done; exec sleep 600",
        )  # fmt: skip
    master_ip = cli.fmt("{{ .NetworkSettings.IPAddress }}", master)
    ips = {master: master_ip}
    for r in replicas:
        wait_until(lambda r=r: "PONG" in cli.ok("logs", r), what=f"{r} reached the master")
        hosts = cli.ok("exec", r, "cat", "/etc/hosts")
        entry = [line.split() for line in hosts.splitlines() if "redis-master" in line.split()[1:]]
        assert entry and entry[0][0] == master_ip, hosts
        assert cli.ok("exec", r, "wget", "-qO-", "http://redis-master:6379/") == "PONG\n"
        ping = cli.run("exec", r, "ping", "-c", "1", "-W", "2", "redis-master")
        assert ping.returncode == 0, ping.stdout + ping.stderr
        assert f"({master_ip})" in ping.stdout or master_ip in ping.stdout
        ips[r] = cli.fmt("{{ .NetworkSettings.IPAddress }}", r)
    assert all(ips.values()), ips
    assert len(set(ips.values())) == 4, ips
    links = cli.fmt("{{json .HostConfig.Links}}", replicas[0])
    assert "redis-master" in links
    # the master answers replicas on the container network, not only through the host port
    assert cli.ok("exec", replicas[1], "wget", "-qO-", f"http://{master_ip}:6379/") == "PONG\n"
    for name in [master, *replicas]:
        cli.ok("rm", "-f", name)
    remaining = set(cli.names(all=True))
    assert not remaining & {master, *replicas}


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
