"""Named, supervised asyncio tasks: a task that raises is reported and restarted.

Every task the runtime starts has a name (shown in ``asyncio`` debug output and in reports). A
crash becomes a ``StageCrashed`` system event and the task is started again after a back-off on
the runtime clock; the rest of the loop carries on meanwhile.

Restarts are limited over a sliding window, as systemd's ``StartLimitBurst`` within
``StartLimitIntervalSec``: a task that crashes more than ``max_restarts`` times within
``window_s`` seconds gives up for good (its last ``StageCrashed`` says ``gave_up``, and it is
listed in ``Supervisor.failed``). A stage that trips on one frame in a hundred keeps running
however long the session; one that crashes on every event gives up within seconds.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from glasses.runtime.clock import NS_PER_S, Clock
from glasses.runtime.events import Event, StageCrashed

log = logging.getLogger(__name__)

TaskFactory = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """When a crashed task is restarted, and when it gives up.

    ``max_restarts``: restarts allowed within any ``window_s`` seconds of runtime clock (the
    crash after them gives up; ``0``: never restart). The back-off before a restart is
    ``backoff_s`` doubled for each other crash still in the window, up to ``max_backoff_s``
    (seconds, runtime clock): crashes long apart restart quickly.

    A task crashing as fast as the back-off lets it must give up, so the window must hold more
    than ``max_restarts`` longest back-offs: ``max_restarts * max_backoff_s < window_s``.
    """

    max_restarts: int = 10
    window_s: float = 10.0
    backoff_s: float = 0.05
    max_backoff_s: float = 0.5

    def __post_init__(self) -> None:
        if self.max_restarts < 0:
            raise ValueError(f"max_restarts must be >= 0, got {self.max_restarts}")
        if not 0 < self.backoff_s <= self.max_backoff_s or not math.isfinite(self.max_backoff_s):
            raise ValueError(
                f"need 0 < backoff_s <= max_backoff_s (finite), got {self.backoff_s}, "
                f"{self.max_backoff_s}"
            )
        if not (
            math.isfinite(self.window_s) and self.max_restarts * self.max_backoff_s < self.window_s
        ):
            raise ValueError(
                f"window_s ({self.window_s}) must be finite and exceed max_restarts × "
                f"max_backoff_s ({self.max_restarts} × {self.max_backoff_s}), or a task that "
                "always crashes would never give up"
            )

    def backoff(self, recent_crashes: int) -> float:
        """Seconds to wait before restarting after the ``recent_crashes``-th crash in the
        window (1 for the first)."""
        return min(self.backoff_s * 2 ** max(0, recent_crashes - 1), self.max_backoff_s)


class Supervisor:
    def __init__(
        self,
        clock: Clock,
        publish: Callable[[Event], None],
        on_give_up: Callable[[str], None] | None = None,
    ) -> None:
        self._clock = clock
        self._publish = publish
        self._on_give_up = on_give_up  # called with the name of a task that gave up for good
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.restarts: dict[str, int] = {}  # crashes per task over the whole session
        self.failed: dict[str, str] = {}  # tasks that gave up for good, with the last error

    def spawn(self, name: str, factory: TaskFactory, policy: RestartPolicy | None = None) -> None:
        if name in self._tasks:
            raise ValueError(f"a task named {name!r} is already running")
        task = asyncio.get_running_loop().create_task(
            self._supervise(name, factory, policy or RestartPolicy()), name=name
        )
        self._tasks[name] = task

    async def _supervise(self, name: str, factory: TaskFactory, policy: RestartPolicy) -> None:
        window_ns = round(policy.window_s * NS_PER_S)
        crashes: deque[int] = deque()  # clock times of the crashes within the window
        while True:
            try:
                await factory()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a crashing stage must not take the loop down
                now = self._clock.now_ns()
                crashes.append(now)
                while crashes[0] <= now - window_ns:
                    crashes.popleft()
                restarts = self.restarts.get(name, 0) + 1
                self.restarts[name] = restarts
                error = f"{type(exc).__name__}: {exc}"
                gave_up = len(crashes) > policy.max_restarts
                if gave_up:
                    self.failed[name] = error
                    log.error(
                        "task %s gave up: %d crashes within %g s (%s)",
                        name,
                        len(crashes),
                        policy.window_s,
                        error,
                    )
                else:
                    log.warning("task %s crashed (%s); restart %d", name, error, restarts)
                self._publish(
                    StageCrashed(
                        t_ns=now,
                        source=name,
                        stage=name,
                        error=error,
                        restart=restarts,
                        gave_up=gave_up,
                    )
                )
                if gave_up:
                    if self._on_give_up is not None:
                        self._on_give_up(name)
                    return
                await self._clock.sleep(policy.backoff(len(crashes)))

    def cancel(self, name: str) -> bool:
        """Cancel the task ``name`` (no restart); False if no such task is running."""
        task = self._tasks.pop(name, None)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    def running(self) -> list[str]:
        return [name for name, task in self._tasks.items() if not task.done()]
