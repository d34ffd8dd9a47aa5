"""A TCP proxy in front of PostgreSQL that plays the server going away and coming back.

`cut()` is PostgreSQL stopped, as the app sees it: every open connection is dropped and
nothing listens on the port any more (a new connection is refused). `restore()` listens
again on the same port. The real server is never touched, so other work on it goes on.

Used by the outage test (tests/area_clienti/test_database_outage.py) and by the outage
load scenario (`make load-outage`, load/run.py).
"""

from __future__ import annotations

import contextlib
import socket
import threading


class DatabaseProxy:
    """Forwards 127.0.0.1:`port` (0: any free port) to `target` until cut."""

    def __init__(self, target: tuple[str, int], port: int = 0) -> None:
        self.target = target
        self.port = port
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self.restore()

    @property
    def up(self) -> bool:
        return self._listener is not None

    def restore(self) -> None:
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.create_server(("127.0.0.1", self.port))
            self.port = listener.getsockname()[1]
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            ends, self._open = self._open, set()
        if listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for end in ends:
            _shut(end)  # the threads piping from them wake up and close them

    def close(self) -> None:
        """Stop for good: nothing opened through the proxy outlives this."""
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return  # cut: the listener is gone
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _hang_up(client)
                continue
            with self._lock:
                if self._listener is not listener:  # cut while connecting
                    _hang_up(client)
                    _hang_up(upstream)
                    return
                self._open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            # Both ends down, so the thread piping the other way wakes up too and the
            # server sees its client leave (a half-open connection keeps a backend alive);
            # each thread closes only the socket it reads from, once it no longer reads.
            with self._lock:
                self._open -= {source, sink}
            _shut(sink)
            _hang_up(source)


def _shut(end: socket.socket) -> None:
    with contextlib.suppress(OSError):
        end.shutdown(socket.SHUT_RDWR)


def _hang_up(end: socket.socket) -> None:
    _shut(end)
    end.close()
