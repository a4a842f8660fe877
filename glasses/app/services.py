"""The skills' shared services for one session, assembled in one place for every front end.

``data_dir`` holds what the assistant keeps between sessions: the memory
(``data_dir/memory.sqlite3``; live runs pass the user's, ``glasses.assistant.memory.
default_data_dir()``). Without one (the simulator) the memory lives in RAM for the session only,
so that a scenario's outcome never depends on an earlier run; the simulator also passes a
``wall_time`` that follows its virtual clock.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from glasses.assistant.catalogue import demo_catalogue
from glasses.assistant.llm.base import LanguageModel
from glasses.assistant.memory import IN_MEMORY, MEMORY_FILE, SqliteMemory
from glasses.assistant.services import Catalogue, Services


def session_services(
    *,
    data_dir: Path | None = None,
    llm: LanguageModel | None = None,
    capturing: Callable[[], bool] | None = None,
    battery: Callable[[], float | None] | None = None,
    wall_time: Callable[[], float] | None = None,
    catalogue: Catalogue | None = None,
) -> Services:
    """Services for a session: the language model (None: the ``ask`` skill says it has none),
    the memory (in ``data_dir``, else in RAM; its file is opened at the first "remember" or
    "where is", not here), the camera's capture indicator, the battery (None: unknown), the
    wall clock (Unix seconds; None: the system's) and the product catalogue (None: the demo
    catalogue shipped in the package, made-up prices at "Demo" shops)."""
    services = Services(llm=llm, catalogue=catalogue if catalogue is not None else demo_catalogue())
    if wall_time is not None:
        services.wall_time = wall_time
    path = data_dir / MEMORY_FILE if data_dir is not None else IN_MEMORY
    services.memory = SqliteMemory(path, now=lambda: services.wall_time())
    if capturing is not None:
        services.capturing = capturing
    if battery is not None:
        services.battery = battery
    return services
