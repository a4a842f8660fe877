"""Named, supervised asyncio tasks: a task that raises is reported and restarted.

Every task the runtime starts has a name (shown in ``asyncio`` debug output and in reports). A
crash becomes a ``StageCrashed`` system event and the task is started again after a back-off on
the runtime clock, up to ``max_restarts``; the rest of the loop carries on meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from glasses.runtime.clock import Clock
from glasses.runtime.events import Event, StageCrashed

log = logging.getLogger(__name__)

TaskFactory = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """``backoff_s`` doubles after each crash up to ``max_backoff_s`` (seconds, runtime clock)."""

    max_restarts: int = 10
    backoff_s: float = 0.05
    max_backoff_s: float = 2.0


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
        self.restarts: dict[str, int] = {}
        self.failed: dict[str, str] = {}  # tasks that exhausted their restarts, with the error

    def spawn(self, name: str, factory: TaskFactory, policy: RestartPolicy | None = None) -> None:
        if name in self._tasks:
            raise ValueError(f"a task named {name!r} is already running")
        task = asyncio.get_running_loop().create_task(
            self._supervise(name, factory, policy or RestartPolicy()), name=name
        )
        self._tasks[name] = task

    async def _supervise(self, name: str, factory: TaskFactory, policy: RestartPolicy) -> None:
        restarts = 0
        backoff = policy.backoff_s
        while True:
            try:
                await factory()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a crashing stage must not take the loop down
                restarts += 1
                self.restarts[name] = restarts
                error = f"{type(exc).__name__}: {exc}"
                log.warning("task %s crashed (%s); restart %d", name, error, restarts)
                self._publish(
                    StageCrashed(
                        t_ns=self._clock.now_ns(),
                        source=name,
                        stage=name,
                        error=error,
                        restart=restarts,
                    )
                )
                if restarts > policy.max_restarts:
                    self.failed[name] = error
                    log.error("task %s gave up after %d restarts", name, policy.max_restarts)
                    if self._on_give_up is not None:
                        self._on_give_up(name)
                    return
                await self._clock.sleep(backoff)
                backoff = min(backoff * 2, policy.max_backoff_s)

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
