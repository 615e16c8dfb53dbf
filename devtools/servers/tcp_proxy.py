"""A TCP relay on loopback whose connections a test can cut, as a NAT, a flaky
network or a server restart would: at once (``cut``), or in the middle of a
server's answer once it has sent ``cut_after_bytes`` (a reset mid-FETCH)."""
from __future__ import annotations

import socket
import threading


class CuttableProxy:
    def __init__(self, upstream: tuple[str, int], *, cut_after_bytes: int | None = None) -> None:
        self.upstream = upstream
        self.cut_after_bytes = cut_after_bytes  # from the server, per connection; None: never
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = "127.0.0.1", self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            threading.Thread(target=self._pump, args=[client, server, None], daemon=True).start()
            threading.Thread(target=self._pump, args=[server, client, self.cut_after_bytes], daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, limit: int | None) -> None:
        passed = 0
        try:
            while data := source.recv(65536):
                if limit is not None and passed + len(data) > limit:
                    target.sendall(data[: limit - passed])
                    self.cuts += 1
                    break
                target.sendall(data)
                passed += len(data)
        except OSError:
            pass
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.sockets.clear()

    def close(self) -> None:
        self.cut()
        self.listener.close()
