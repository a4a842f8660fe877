"""The skills' shared services for one session, assembled in one place for every front end.

``data_dir`` holds what the assistant keeps between sessions (memory); the simulator passes a
fresh directory per scenario so that a scenario's outcome never depends on an earlier run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from glasses.assistant.llm.base import LanguageModel
from glasses.assistant.services import Services


def session_services(
    *,
    data_dir: Path | None = None,
    llm: LanguageModel | None = None,
    capturing: Callable[[], bool] | None = None,
    battery: Callable[[], float | None] | None = None,
) -> Services:
    """Services for a session: the language model (None: the ``ask`` skill says it has none),
    the camera's capture indicator and the battery (None: unknown)."""
    services = Services(llm=llm)
    if capturing is not None:
        services.capturing = capturing
    if battery is not None:
        services.battery = battery
    return services
