"""Real servers started on loopback by the project itself.

Used by the integration tests and by ``intake demo``: a private Dovecot IMAP
server (:class:`DovecotServer`) and a private PostgreSQL cluster
(:class:`PostgresServer`). Both listen only on 127.0.0.1, keep all their
state in their own working directory and work as root or as an ordinary
user.
"""

from .dovecot import DovecotNotInstalled, DovecotServer, ImapAccount, find_dovecot
from .ports import DevServerError, ServerNotInstalled, find_free_port
from .postgres import PostgresNotInstalled, PostgresServer, find_postgres_bindir

__all__ = [
    "DevServerError",
    "DovecotNotInstalled",
    "DovecotServer",
    "ImapAccount",
    "PostgresNotInstalled",
    "PostgresServer",
    "ServerNotInstalled",
    "find_dovecot",
    "find_free_port",
    "find_postgres_bindir",
]
