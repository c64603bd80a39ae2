"""The ioctl link helpers, on the loopback link (which is up: no privilege needed)."""

from __future__ import annotations

import socket

import pytest

from dockyard.network.linkioctl import if_index, set_up


def test_if_index_finds_lo_and_none_for_a_missing_link() -> None:
    assert if_index("lo") == socket.if_nametoindex("lo")
    assert if_index("dy-no-such0") is None


def test_set_up_leaves_an_up_link_and_fails_for_a_missing_one() -> None:
    set_up("lo")  # already up: nothing to change
    with pytest.raises(OSError):
        set_up("dy-no-such0")
