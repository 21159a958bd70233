"""Logging, configured once per process from ``Settings.log_level``: what was dropped, fallen
back or rebuilt is logged under the ``assistant`` logger to stderr."""

from __future__ import annotations

import logging

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "WARNING") -> None:
    """Send the ``assistant`` loggers to stderr at ``level`` (a second call only changes the level)."""
    root = logging.getLogger("assistant")
    root.setLevel(level)
    if not any(getattr(h, "_assistant", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(_FORMAT, datefmt="%H:%M:%S"))
        handler._assistant = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        root.propagate = False
