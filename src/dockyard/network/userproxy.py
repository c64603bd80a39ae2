"""A userland TCP proxy for published ports on IPv6 host addresses.

IPv4 traffic to a published port is DNATed by nftables, but a container on an IPv4-only
bridge cannot be reached by NAT from an IPv6 address. Docker answers there with
docker-proxy; we do the same in the daemon: the listening socket that reserves the port
accepts connections and relays each one to the container's address and port."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading

log = logging.getLogger(__name__)

_CHUNK = 65536


class TcpProxy:
    """Relays connections accepted on one listening socket to (ip, port)."""

    def __init__(self, listener: socket.socket, target: tuple[str, int]) -> None:
        self.listener = listener
        self.target = target
        self._closed = threading.Event()
        listener.listen(128)
        threading.Thread(target=self._accept_loop, name=f"proxy:{listener.getsockname()[1]}", daemon=True).start()

    def close(self) -> None:
        """Stop accepting (connections already relayed run to their end)."""
        self._closed.set()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                if self._closed.is_set():
                    return
                continue
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=10)
            upstream.settimeout(None)
        except OSError as exc:
            log.debug("proxy to %s:%d: %s", *self.target, exc)
            client.close()
            return
        back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
        back.start()
        _pump(client, upstream)
        back.join()  # each socket is written by one pump and read by the other
        client.close()
        upstream.close()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    """Copy src to dst until src ends, then half-close dst (the other direction goes on)."""
    try:
        while data := src.recv(_CHUNK):
            dst.sendall(data)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_WR)
    with contextlib.suppress(OSError):
        src.shutdown(socket.SHUT_RD)
