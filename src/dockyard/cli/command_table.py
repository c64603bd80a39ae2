"""Command words -> "module:function" for every command beyond the system ones.

Each group word form Docker accepts ("container ls", "container list", "container ps") and
the top-level shortcuts ("ps") point at the same function.
"""

from __future__ import annotations


def _group(group: str, module: str, verbs: dict[str, str]) -> dict[str, str]:
    out = {}
    for verbs_text, func in verbs.items():
        for verb in verbs_text.split("|"):
            out[f"{group} {verb}"] = func if ":" in func else f"{module}:{func}"
    return out


COMMANDS: dict[str, str] = {
    # top-level shortcuts
    "attach": "attach:attach",
    "build": "build:build",
    "commit": "containers:commit",
    "cp": "cp:cp",
    "create": "run:create",
    "diff": "containers:diff",
    "exec": "attach:exec_",
    "export": "containers:export",
    "history": "images:history",
    "images": "images:images",
    "import": "images:import_",
    "inspect": "inspect:inspect",
    "kill": "lifecycle:kill",
    "load": "images:load",
    "login": "registry:login",
    "logout": "registry:logout",
    "logs": "attach:logs",
    "pause": "lifecycle:pause",
    "port": "containers:port",
    "ps": "ps:ps",
    "pull": "registry:pull",
    "push": "registry:push",
    "rename": "lifecycle:rename",
    "restart": "lifecycle:restart",
    "rm": "lifecycle:rm",
    "rmi": "images:rmi",
    "run": "run:run",
    "save": "images:save",
    "search": "registry:search",
    "start": "lifecycle:start",
    "stats": "containers:stats",
    "stop": "lifecycle:stop",
    "tag": "images:tag",
    "top": "containers:top",
    "unpause": "lifecycle:unpause",
    "update": "lifecycle:update",
    "wait": "lifecycle:wait",
    "builder build": "build:build",
    "builder prune": "build:prune",
    "buildx build": "build:build",
    "completion": "completion:completion",
}

COMMANDS.update(
    _group(
        "container",
        "containers",
        {
            "attach": "attach:attach",
            "commit": "commit",
            "cp": "cp:cp",
            "diff": "diff",
            "exec": "attach:exec_",
            "export": "export",
            "kill": "lifecycle:kill",
            "logs": "attach:logs",
            "ls|list|ps": "ps:ps",
            "pause": "lifecycle:pause",
            "port": "port",
            "prune": "lifecycle:prune",
            "rename": "lifecycle:rename",
            "restart": "lifecycle:restart",
            "rm|remove": "lifecycle:rm",
            "start": "lifecycle:start",
            "stats": "stats",
            "stop": "lifecycle:stop",
            "top": "top",
            "unpause": "lifecycle:unpause",
            "update": "lifecycle:update",
            "wait": "lifecycle:wait",
        },
    )
)
COMMANDS.update(
    {
        "container create": "run:create",
        "container run": "run:run",
        "container inspect": "inspect:container_inspect",
        "image inspect": "inspect:image_inspect",
        "network inspect": "inspect:network_inspect",
        "volume inspect": "inspect:volume_inspect",
    }
)
COMMANDS.update(
    _group(
        "image",
        "images",
        {
            "build": "build:build",
            "history": "history",
            "import": "import_",
            "load": "load",
            "ls|list": "images",
            "prune": "prune",
            "pull": "registry:pull",
            "push": "registry:push",
            "rm|remove": "rmi",
            "save": "save",
            "tag": "tag",
        },
    )
)
COMMANDS.update(
    _group(
        "network",
        "networks",
        {
            "connect": "connect",
            "create": "create",
            "disconnect": "disconnect",
            "ls|list": "ls",
            "prune": "prune",
            "rm|remove": "rm",
        },
    )
)
COMMANDS.update(
    _group(
        "volume",
        "volumes",
        {
            "create": "create",
            "ls|list": "ls",
            "prune": "prune",
            "rm|remove": "rm",
        },
    )
)
COMMANDS.update(
    _group(
        "context",
        "contexts",
        {
            "create": "create",
            "inspect": "inspect",
            "ls|list": "ls",
            "rm|remove": "rm",
            "show": "show",
            "use": "use",
        },
    )
)
