"""The review app under waitress in a background thread: for ``intake demo`` and the tests.

``intake web`` serves in the foreground until stopped; the demo and the
browser tests need the same production server running beside other work
(a poll, a test), started on a known or a free loopback port and stopped
cleanly. ``start()`` returns once the port answers HTTP (readiness, not a
guess at how long start-up takes); ``stop()`` closes the listening socket
and every connection from inside waitress's own loop, then waits for the
request threads.
"""
from __future__ import annotations

import http.client
import logging
import threading

from waitress.server import create_server

from devtools.servers.ports import DevServerError, wait_until

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 20


class WebServer:
    """A WSGI app served by waitress in a daemon thread.

    ``port=0`` lets the kernel pick a free port (no race between probing and
    binding); ``url`` says which one it got. Use as a context manager or call
    ``start()`` / ``stop()``.
    """

    def __init__(self, app, *, host: str = "127.0.0.1", port: int = 0, threads: int = 4) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self.threads = threads
        self.port: int | None = None
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise DevServerError("the web server is not running")
        return f"http://{self.host}:{self.port}/"

    def start(self) -> "WebServer":
        # create_server binds and listens at once: OSError here is "address in use"
        # and the like, which callers report in their own words.
        self._server = create_server(self.app, host=self.host, port=self.requested_port,
                                     threads=self.threads, ident="intake", clear_untrusted_proxy_headers=True)
        self.port = int(self._server.effective_port)
        self._thread = threading.Thread(target=self._server.run, name=f"waitress:{self.port}", daemon=True)
        self._thread.start()
        if not wait_until(self._answers, timeout=READY_TIMEOUT_SECONDS, abort=lambda: not self._thread.is_alive()):
            self.stop()
            raise DevServerError(f"the web app on {self.host}:{self.port} did not answer "
                                 f"within {READY_TIMEOUT_SECONDS} s")
        return self

    def _answers(self) -> bool:
        """Any HTTP response at all means waitress is looping and the app is reachable."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=2)
        try:
            connection.request("GET", "/login")
            connection.getresponse().read()
            return True
        except OSError:
            return False
        finally:
            connection.close()

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = None
        socket_map = server._map  # waitress keeps its listening socket and connections here

        def close_everything() -> None:
            # Runs inside waitress's loop (via its trigger), so no socket is closed
            # under a poll() in progress; the loop ends once its map is empty.
            for dispatcher in list(socket_map.values()):
                dispatcher.close()

        server.trigger.pull_trigger(close_everything)
        if thread is not None:
            thread.join(timeout=10)
            if thread.is_alive():
                log.warning("waitress loop on port %s did not stop", self.port)
        server.task_dispatcher.shutdown(timeout=10)

    def __enter__(self) -> "WebServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
