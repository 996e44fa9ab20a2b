"""Several server processes on one port, each with its own listening socket, so that the kernel spreads
the connections among them.

With uvicorn's one shared socket, the worker whose event loop wakes first accepts up to a backlog of
waiting connections at once and keeps them (keep-alive): under load one worker served 17 of 20 users'
connections while the other idled (19.7 s against 0.1 s of CPU in ``bench/web_load.py``), so two workers
used one core. With ``SO_REUSEPORT`` each worker listens on a socket of its own and the kernel hashes each
new connection to one of them.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.supervisors.multiprocess import Multiprocess

STARTUP_FAILURE = 3
"""The exit status uvicorn gives when it cannot listen (as its single-process server does)."""


def spreads_connections() -> bool:
    """Whether this system can give each worker its own socket on the port (Linux and the BSDs)."""
    return hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A socket listening on ``host:port`` that other sockets of this user may listen on too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family=family, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class SpreadWorkers(Multiprocess):
    """uvicorn's supervisor (start, health checks, restarts, signals), each worker given a socket of its own.

    The supervisor reads ``sockets`` once for every worker it starts, and starts that worker at once: each
    read makes a new listening socket and closes the parent's copy of the one made before, which its worker
    holds by then. A worker that died thereby leaves no socket behind that nobody accepts on once its
    replacement is started.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        self._made: socket.socket | None = None
        super().__init__(config, sockets=[])

    @property
    def sockets(self) -> list[socket.socket]:
        if self._made is not None:
            self._made.close()
        self._made = listening_socket(self.config.host, self.config.port, self.config.backlog)
        return [self._made]

    @sockets.setter
    def sockets(self, _given: list[socket.socket]) -> None:
        """Ignored: the sockets are made per worker."""

    def run(self) -> None:
        try:
            super().run()
        finally:
            if self._made is not None:
                self._made.close()


def serve_workers(app: str, *, workers: int, **options: Any) -> None:
    """Run the app factory ``app`` (``module:function``) in ``workers`` processes listening on one port."""
    config = uvicorn.Config(app, factory=True, workers=workers, **options)
    if not spreads_connections():
        uvicorn.run(app, factory=True, workers=workers, **options)
        return
    try:  # fail at once, in the parent, where the port is taken (by a socket that does not share it)
        listening_socket(config.host, config.port, config.backlog).close()
    except OSError as exc:
        logging.getLogger("uvicorn.error").error(exc)
        sys.exit(STARTUP_FAILURE)
    SpreadWorkers(config).run()
