"""A small TCP proxy that a fault test puts in front of a server (PostgreSQL) and cuts: while cut, connections
already open are reset and new ones refused, as when the server's host drops off the network; restored, it
forwards again on the same port. The machine's shared server itself is never touched."""

import socket
import threading


class TcpProxy:
    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.port = 0  # chosen by the system on the first start, kept across cuts
        self._listener = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self):
        """Refuse new connections and reset the open ones."""
        listener, self._listener = self._listener, None
        _close(listener)
        with self._lock:
            open_sockets, self._open = self._open, set()
        for sock in open_sockets:
            _close(sock)

    restore = start

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # the listener was closed by cut()
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._open.update((client, server))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            _close(sock)
            with self._lock:
                self._open.discard(sock)


def _close(sock):
    # shutdown() first: it wakes a thread blocked in recv() on the socket, close() alone may not.
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
