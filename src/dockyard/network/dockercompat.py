"""Living next to Docker's daemon.

Docker sets the iptables `filter` FORWARD policy to DROP. A packet is dropped when any
base chain on its hook drops it, so accepts in our own nft table cannot win against it.
Docker's documented place for other people's rules is the DOCKER-USER chain, which it
jumps to first from FORWARD and never flushes: we insert "accept" for our bridges there
(tagged with a comment naming our table) and keep all our filtering in our own table.

We also create DOCKER-USER when dockerd is installed but not yet started, so that a Docker
started after us finds our rules already in place.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess

CHAIN = "DOCKER-USER"


def _iptables(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["iptables", "-w", "-t", "filter", *args], capture_output=True, text=True, check=False
    )


def available() -> bool:
    return shutil.which("iptables") is not None


def _chain_exists() -> bool:
    return _iptables("-S", CHAIN).returncode == 0


def _forward_drops() -> bool:
    proc = _iptables("-S", "FORWARD")
    return proc.returncode == 0 and "-P FORWARD DROP" in proc.stdout


def _wanted(bridges: list[str], tag: str) -> list[list[str]]:
    rules = []
    for b in bridges:
        for direction in ("-i", "-o"):
            rules.append([direction, b, "-m", "comment", "--comment", tag, "-j", "ACCEPT"])
    return rules


def _ours(tag: str) -> list[list[str]]:
    """Our rules currently in DOCKER-USER, as argument lists for -D."""
    proc = _iptables("-S", CHAIN)
    out = []
    for line in proc.stdout.splitlines():
        args = shlex.split(line)
        if args[:2] == ["-A", CHAIN] and tag in args:
            out.append(args[2:])
    return out


def sync(bridges: list[str], tag: str) -> bool:
    """Make DOCKER-USER accept exactly our `bridges`; return whether anything was needed."""
    if not available():
        return False
    if not _chain_exists():
        if not bridges or not (_forward_drops() or shutil.which("dockerd")):
            return False
        if _iptables("-N", CHAIN).returncode != 0:
            return False
    wanted = _wanted(bridges, tag)
    have = _ours(tag)
    for rule in have:
        if rule not in wanted:
            _iptables("-D", CHAIN, *rule)
    for rule in reversed(wanted):
        if rule not in have:
            _iptables("-I", CHAIN, "1", *rule)
    return True


def cleanup(tag: str) -> None:
    """Remove our rules; remove the chain too when it is empty and nobody jumps to it."""
    if not available() or not _chain_exists():
        return
    for rule in _ours(tag):
        _iptables("-D", CHAIN, *rule)
    if not _iptables("-S", CHAIN).stdout.strip().replace(f"-N {CHAIN}", ""):
        _iptables("-X", CHAIN)  # fails harmlessly while FORWARD still jumps to it
