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

    def inboxes_for(self, event_type: type[Event]) -> list[Inbox]:
        """The inboxes an event of ``event_type`` is delivered to."""
        return [inbox for types, inbox in self._routes if issubclass(event_type, types)]

    def publish(self, event: Event) -> list[Inbox]:
        """Deliver ``event``; returns the inboxes it went to (for backpressure)."""
        self.published += 1
        for observer in self._observers:
            observer(event)
        delivered: list[Inbox] = []
        for types, inbox in self._routes:
            if isinstance(event, types):
                inbox.put(event)
                delivered.append(inbox)
        return delivered
