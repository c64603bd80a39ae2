"""Command words -> "module:function" for every command beyond the system ones.

Each group word form Docker accepts ("container ls", "container list", "container ps") and
the top-level shortcuts ("ps") point at the same function.
"""

from __future__ import annotations


def _group(group: str, module: str, verbs: dict[str, str]) -> dict[str, str]:
    out = {}
    for verbs_text, func in verbs.items():
        for verb in verbs_text.split("|"):
            out[f"{group} {verb}"] = f"{module}:{func}"
    return out


COMMANDS: dict[str, str] = {
    # top-level shortcuts
    "attach": "containers:attach",
    "build": "images:build",
    "commit": "containers:commit",
    "cp": "containers:cp",
    "create": "run:create",
    "diff": "containers:diff",
    "exec": "containers:exec_",
    "export": "containers:export",
    "history": "images:history",
    "images": "images:images",
    "import": "images:import_",
    "inspect": "inspect:inspect",
    "kill": "containers:kill",
    "load": "images:load",
    "login": "images:login",
    "logout": "images:logout",
    "logs": "containers:logs",
    "pause": "containers:pause",
    "port": "containers:port",
    "ps": "containers:ps",
    "pull": "images:pull",
    "push": "images:push",
    "rename": "containers:rename",
    "restart": "containers:restart",
    "rm": "containers:rm",
    "rmi": "images:rmi",
    "run": "run:run",
    "save": "images:save",
    "search": "images:search",
    "start": "containers:start",
    "stats": "containers:stats",
    "stop": "containers:stop",
    "tag": "images:tag",
    "top": "containers:top",
    "unpause": "containers:unpause",
    "update": "containers:update",
    "wait": "containers:wait",
    "builder build": "images:build",
    "buildx build": "images:build",
}

COMMANDS.update(
    _group(
        "container",
        "containers",
        {
            "attach": "attach",
            "commit": "commit",
            "cp": "cp",
            "diff": "diff",
            "exec": "exec_",
            "export": "export",
            "kill": "kill",
            "logs": "logs",
            "ls|list|ps": "ps",
            "pause": "pause",
            "port": "port",
            "prune": "prune",
            "rename": "rename",
            "restart": "restart",
            "rm|remove": "rm",
            "start": "start",
            "stats": "stats",
            "stop": "stop",
            "top": "top",
            "unpause": "unpause",
            "update": "update",
            "wait": "wait",
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
            "build": "build",
            "history": "history",
            "import": "import_",
            "load": "load",
            "ls|list": "images",
            "prune": "prune",
            "pull": "pull",
            "push": "push",
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
