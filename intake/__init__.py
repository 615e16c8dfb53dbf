"""intake: a public mailbox of application forms, turned into a reviewed queue."""

__version__ = "0.1.0"
