"""PocketSphinx loading shared by the wake-word spotter, the command recogniser and dictation."""

from __future__ import annotations

from typing import Any

_INSTALL_HINT = "install it: pip install 'pocketsphinx>=5,<6'"


class SphinxUnavailable(RuntimeError):
    """PocketSphinx (or its bundled en-US model) cannot be loaded; the message says what to do."""


def new_decoder(**config: Any) -> Any:
    """A ``pocketsphinx.Decoder`` on the wheel's bundled en-US model, quiet (no log lines).

    ``config`` is passed through (``keyphrase=…``, ``jsgf=…``, ``lm=None``…).
    """
    try:
        import pocketsphinx
    except ImportError as exc:
        raise SphinxUnavailable(f"PocketSphinx is not installed — {_INSTALL_HINT}") from exc
    config.setdefault("loglevel", "FATAL")
    try:
        return pocketsphinx.Decoder(**config)
    except (RuntimeError, ValueError, OSError) as exc:
        problem = " ".join(str(exc).split()) or type(exc).__name__
        raise SphinxUnavailable(
            f"PocketSphinx failed to start: {problem} — {_INSTALL_HINT}"
        ) from exc
