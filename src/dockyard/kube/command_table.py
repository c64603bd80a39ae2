"""Command words -> "module:function" for `dockyard kube …` and `dockyard pod …`
(the CLI's dispatcher reads this table; the functions live in dockyard.kube.commands)."""

from __future__ import annotations

_MODULE = "dockyard.kube.commands"

COMMANDS: dict[str, str] = {
    "kube generate": f"{_MODULE}:generate",
    "kube play": f"{_MODULE}:play",
    "kube down": f"{_MODULE}:kube_down",
    "pod ls": f"{_MODULE}:pod_ls",
    "pod list": f"{_MODULE}:pod_ls",
    "pod ps": f"{_MODULE}:pod_ls",
    "pod inspect": f"{_MODULE}:pod_inspect",
    "pod rm": f"{_MODULE}:pod_rm",
    "pod remove": f"{_MODULE}:pod_rm",
    "pod logs": f"{_MODULE}:pod_logs",
}
