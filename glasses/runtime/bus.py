"""The bus: routes each published event to the inboxes of the stages that accept its type."""

from __future__ import annotations

from collections.abc import Callable

from glasses.runtime.events import Event
from glasses.runtime.inbox import Inbox

Observer = Callable[[Event], None]


class Bus:
    def __init__(self) -> None:
        self._routes: list[tuple[tuple[type[Event], ...], Inbox]] = []
        self._observers: list[Observer] = []
        self.published = 0

    def subscribe(self, types: tuple[type[Event], ...], inbox: Inbox) -> None:
        self._routes.append((types, inbox))

    def observe(self, observer: Observer) -> None:
        """``observer`` sees every event, synchronously, before any stage does (recorders)."""
        self._observers.append(observer)

    def publish(self, event: Event) -> None:
        self.published += 1
        for observer in self._observers:
            observer(event)
        for types, inbox in self._routes:
            if isinstance(event, types):
                inbox.put(event)
