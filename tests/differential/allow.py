"""Differences kept on purpose. Each entry names the steps (a regular expression on the
step's words, placeholders left in), the difference (a regular expression on its text, see
compare.py), the clients it applies to, and why it is kept."""

from __future__ import annotations

import re
from dataclasses import dataclass

BOTH = ("dockyard", "docker-cli")


@dataclass(frozen=True)
class Allowed:
    step: str
    diff: str
    why: str
    clients: tuple[str, ...] = BOTH
    # False where the host decides whether the difference shows (installed plugins, runtimes,
    # resolver): such an entry may go unused without being stale
    always: bool = True

    def covers(self, client: str, step_key: str, diff: str) -> bool:
        return client in self.clients and bool(re.search(self.step, step_key)) and bool(re.search(self.diff, diff))


DOCKYARD = ("dockyard",)

# The reference is dockerd 20.10 (API 1.41); dockyardd serves API 1.45 (Docker 26), and the
# docker CLI 28 negotiates 1.45 with it. Fields that API versions after 1.41 added or
# removed, and Docker 26's rewording of some errors, are differences of version, not of
# behaviour.
_API_VERSION = (
    Allowed(r"inspect", r"HostConfig\.KernelMemory(TCP)?: missing here",
            "KernelMemory/KernelMemoryTCP left HostConfig in API 1.42"),
    Allowed(r"inspect", r"json \S*\.DNSNames: (not in Docker's|Docker null, here list)",
            "EndpointSettings.DNSNames came with API 1.44"),
    Allowed(r"inspect", r"json \S*\.Aliases: Docker list, here null",
            "from API 1.45 Aliases holds only the aliases asked for, not the short container ID"),
    Allowed(r"inspect", r"\.(Container|ContainerConfig|VirtualSize): missing here",
            "image inspect lost Container/ContainerConfig (API 1.45) and VirtualSize (1.44)"),
    Allowed(r"^info", r"\.KernelMemory(TCP)?: missing here", "info lost KernelMemory(TCP) in API 1.42"),
    Allowed(r"^rm ", r"^stderr: .*You cannot remove a running container",
            "Docker 25+ words the refusal to remove a running container as we do"),
    Allowed(r"--filter", r"Invalid filter '[^']*'.*invalid filter '",
            "Docker 23+ writes 'invalid filter' in lower case"),
    Allowed(r"/nosuchbinary", r"here 'docker: Error response from daemon: failed to create task for container: ",
            "Docker 23+ prefixes runtime start failures with 'failed to create task for container'"),
    Allowed(r"image inspect \{p\}nosuch", r"no such image: <p>nosuch: No such image",
            "Docker 26 says 'No such image: NAME:latest' once, 20.10 wrapped it twice"),
)

# The docker CLI 28 decodes JSON into its own structs and encodes them again for `--format
# '{{json .}}'`, so it shows the fields its structs know (some newer than any daemon here,
# some dropped); our CLI prints the daemon's document. Through the docker CLI at dockyardd
# these agree with Docker, so they are the CLIs' difference, not the daemon's.
_CLI_STRUCTS = (
    Allowed(r"inspect", r"json \S*\.GwPriority: missing here", "API 1.48's GwPriority", DOCKYARD),
    Allowed(r"^info", r"\.CDISpecDirs: missing here", "API 1.46's CDISpecDirs", DOCKYARD),
    Allowed(r"^info", r"\.(BridgeNfIp6?tables|RegistryConfig\.AllowNondistributableArtifacts\w+): not in Docker's",
            "fields the CLI 28 structs no longer carry", DOCKYARD),
    Allowed(r"^info", r"\.ClientInfo\.Plugins: Docker \d+ items, here 0",
            "docker has CLI plugins (buildx, compose) installed; dockyard builds those in", DOCKYARD,
            always=False),
)

# What the engines are made of.
_ENGINE = (
    Allowed(r"^version", r"\.Server\.Components: Docker \d items, here 1",
            "dockerd lists containerd, runc and docker-init; dockyardd is one component (runc "
            "runs under conmon, which is not an engine component)"),
    Allowed(r"^info", r"\.(Containerd|Runc|Init)Commit\.Expected: ",
            "dockerd 20.10 names the containerd/runc/init commits it was built for; we have none "
            "(and an empty Expected is left out of the JSON)"),
    Allowed(r"^info", r"\.Runtimes\.",
            "the OCI runtimes offered: runc (and crun when installed) here; dockerd's containerd shims",
            always=False),
)

# Where Docker is at fault, or dockyard does better on purpose.
_DOCKER_BUGS = (
    Allowed(r"^network ls --filter dangling=true", r"^stdout: Docker '<p>-dn\\n', here ''$",
            "dockerd 20.10 calls every user network dangling in a list (it does not count the "
            "containers there); a network with a container attached is not dangling here"),
    Allowed(r"^search ", r"lookup index\.docker\.io on [\d.:]+: no such host.*lookup index\.docker\.io: no such host",
            "both fail offline (the test daemons have no Hub mirror; an installed dockyardd searches "
            "its local mirror); Go's resolver names the DNS server it asked, ours does not",
            always=False),
    Allowed(r"^volume create a b$", r"SRun 'docker volume create --help'",
            "docker 28 prints 'SRun' (a stray S in cobra's max-args text); we print 'Run'"),
)

ALLOWED: tuple[Allowed, ...] = (*_API_VERSION, *_CLI_STRUCTS, *_ENGINE, *_DOCKER_BUGS)


def allowed(client: str, step_key: str, diff: str) -> Allowed | None:
    return next((a for a in ALLOWED if a.covers(client, step_key, diff)), None)
