"""The tutorial's compose project (`temp`: an API built from a Dockerfile, a web server with a
bind mount, redis reached by a link), with busybox standing in for nginx, redis and the
Flask API, as the compose and kube e2e tests use it."""

from __future__ import annotations

from pathlib import Path

COMPOSE = """\
version: '3'
services:
  api-server{suffix}:
    build: ./myapp
    ports:
      - '{api_port}:8000'
    links:
      - redis-master{suffix}
  web-server{suffix}:
    image: busybox
    command: httpd -f -p 80 -h /usr/share/nginx/html
    ports:
      - '{web_port}:80'
    volumes:
      - ./html:/usr/share/nginx/html
  redis-master{suffix}:
    image: busybox
    command: sh -c 'while true; do echo "+PONG" | nc -l -p 6379; done'
    expose:
      - '6379'
"""

# The API: a static JSON answer served by busybox httpd.
API_FILES = {
    "Dockerfile": 'FROM busybox\nWORKDIR /api\nCOPY api/ /api/\nEXPOSE 8000\nCMD ["sh", "/api/start.sh"]\n',
    "api/start.sh": "mkdir -p /www/api\n"
    'echo \'{"products": ["Ice Cream", "Chocolate"]}\' > /www/api/products\n'
    "exec httpd -f -p 8000 -h /www\n",
}


def write(root: Path, api_port: int, web_port: int, suffix: str = "") -> Path:
    """The project under `root` (html/, myapp/, docker-compose.yml); service names get
    `suffix`. Returns the compose file."""
    (root / "html").mkdir(parents=True)
    (root / "html" / "index.html").write_text("<h2>products</h2>\n")
    for name, text in API_FILES.items():
        (root / "myapp" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "myapp" / name).write_text(text)
    compose = root / "docker-compose.yml"
    compose.write_text(COMPOSE.format(suffix=suffix, api_port=api_port, web_port=web_port))
    return compose
