"""What the host already has under a name: a daemon about to own a bridge, a bridge-name
prefix or an nftables table asks first whether someone else made it."""

from __future__ import annotations

import os

SYS_NET = "/sys/class/net"


def links(prefix: str) -> list[str]:
    """Interfaces of the host's network namespace whose name starts with `prefix`."""
    try:
        names = os.listdir(SYS_NET)
    except OSError:
        return []
    return sorted(n for n in names if n.startswith(prefix))


def link_exists(name: str) -> bool:
    return os.path.exists(os.path.join(SYS_NET, name))


def nft_table_exists(table: str) -> bool:
    # Imported here: a daemon's start asks only for what it does not own yet (its first).
    from . import nftables

    return nftables.exists(table)
