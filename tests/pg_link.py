"""A TCP relay in front of PostgreSQL for outage tests: cut (connections reset, new ones refused)
or black-holed (packets dropped), then restored."""

from __future__ import annotations

import threading
from typing import Any


class Link:
    """A TCP relay in front of PostgreSQL that can be cut (every connection dropped, new ones
    refused, as when the server restarts or the network to it goes) and restored."""

    def __init__(self, host: str, port: int) -> None:
        import socket

        self.target = (host, port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._conns: list[Any] = []
        self._listener: Any = None
        self.restore()

    def restore(self) -> None:
        import socket

        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(16)
        self._listener = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def _accept(self, s: Any) -> None:
        import socket

        while True:
            try:
                client, _ = s.accept()
            except OSError:
                return  # cut
            server = socket.create_connection(self.target)
            self._conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a: Any, b: Any) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.close()
            except OSError:
                pass

    def blackhole(self, on: bool = True) -> None:
        """Drop every packet to and from the relay (iptables; needs root): the server and the network
        go silent without a word, as when a host is powered off or a firewall drops the connection."""
        import subprocess

        for flag in ("--dport", "--sport"):
            subprocess.run(
                [
                    "iptables",
                    "-I" if on else "-D",
                    "INPUT",
                    "-p",
                    "tcp",
                    flag,
                    str(self.port),
                    "-j",
                    "DROP",
                ],
                check=on,
                capture_output=not on,
            )  # lifting it twice is harmless

    def cut(self) -> None:
        import socket

        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() waiting on it
        except OSError:
            pass
        self._listener.close()
        for c in self._conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass
        self._conns = []
