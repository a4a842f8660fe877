"""The ``pay`` skill: a payment QR code in view → a card asking the wearer to confirm.

**Simulated**: no money moves and no wallet is contacted. The skill shows what a real wallet
integration would ask and records each confirmed payment in ``PaySkill.paid``; the "Paid" card
says it was simulated.

A payment code (``glasses.assistant.payments``: EMVCo merchant QR, UPI, Bitcoin, SEPA, Alipay,
WeChat Pay) coming into view shows a confirmation card: payee and amount where the code carries
them, and the inputs it takes (``Card.actions``): a nod or a tap pays, a shake cancels. While it
is shown those inputs are the card's (a nod takes no photo, a tap does not dismiss).

Nothing is ever paid without that explicit nod or tap, and only within the window
(``window_s``, on the runtime clock): when it passes, the card turns into "Payment cancelled".
A confirmation that arrives sooner than ``min_look_s`` after the card was asked for is ignored
(the wearer cannot have seen it yet: it was meant for an earlier card). While one payment waits,
another payment code in view is ignored, so a nod always pays the payment its card showed. A
confirmation with no payment waiting shows a toast and does nothing else.

Only the outcome is spoken ("Paid.", "Payment cancelled."), never the payee or the amount:
open-ear speakers are heard by the people around.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import ClassVar

from glasses.assistant.intents import PAY, PAY_CANCEL, PAY_CONFIRM
from glasses.assistant.money import format_money
from glasses.assistant.payments import (
    PAYMENT_PREFIXES,
    PaymentCodeError,
    PaymentRequest,
    is_payment_code,
    parse_payment,
)
from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.assistant.triggers import OnCode, Trigger
from glasses.runtime.clock import NS_PER_S
from glasses.runtime.events import Card, HudUpdate, Intent, Say

log = logging.getLogger(__name__)

# A payment code perception last reported longer ago than this is out of view.
FRESH_NS = int(1.5 * NS_PER_S)
CARD_ACTIONS = (("nod", PAY_CONFIRM), ("tap", PAY_CONFIRM), ("shake", PAY_CANCEL))


@dataclass(frozen=True, slots=True)
class _Pending:
    """A payment waiting for the wearer: asked at ``asked_ns``, void from ``deadline_ns``
    (runtime clock), answered in turn ``turn_id``."""

    request: PaymentRequest
    asked_ns: int
    deadline_ns: int
    turn_id: int | None


def payee_of(request: PaymentRequest) -> str:
    return request.payee or f"{request.scheme} merchant"


def amount_of(request: PaymentRequest) -> str:
    """``INR 120.00``, or "" when the code leaves the amount to the wallet."""
    return format_money(request.amount, request.currency) if request.amount is not None else ""


class PaySkill(Skill):
    """``window_s``: seconds the wearer has to confirm; ``min_look_s``: seconds a card must
    have been up before a confirmation counts. ``paid`` lists the (simulated) payments made,
    oldest first."""

    name: ClassVar[str] = "pay"
    intents: ClassVar[tuple[str, ...]] = (PAY, PAY_CONFIRM, PAY_CANCEL)
    # No phrases: a payment is confirmed by a gesture at its card, never by speech (nor by
    # anything a language model says).
    triggers: ClassVar[tuple[Trigger, ...]] = (
        OnCode(PAY, symbologies=("QR",), prefixes=PAYMENT_PREFIXES),
    )

    def __init__(self, *, window_s: float = 6.0, min_look_s: float = 0.4) -> None:
        if window_s <= 0 or min_look_s < 0 or min_look_s >= window_s:
            raise ValueError(
                f"need 0 <= min_look_s < window_s, got min_look_s={min_look_s}, window_s={window_s}"
            )
        self.window_s = window_s
        self.window_ns = round(window_s * NS_PER_S)
        self.min_look_ns = round(min_look_s * NS_PER_S)
        self.paid: list[PaymentRequest] = []
        self._pending: _Pending | None = None
        self._expiry: asyncio.Task[None] | None = None

    @property
    def pending(self) -> PaymentRequest | None:
        """The payment waiting for a nod, tap or shake (None: none)."""
        return self._pending.request if self._pending is not None else None

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        if intent.name == PAY_CONFIRM:
            return self._confirm(ctx)
        if intent.name == PAY_CANCEL:
            return self._cancel(ctx)
        return self._ask(intent, ctx)

    # ----------------------------------------------------------------------------------------

    def _ask(self, intent: Intent, ctx: SkillContext) -> Reply:
        text = intent.slot("value") or self._code_in_view(ctx)
        if not text:
            return _toast("Pay", "No payment code in view.")
        try:
            request = parse_payment(text)
        except PaymentCodeError as exc:
            log.info("payment code not accepted: %s", exc)
            return Reply(
                card=Card(title="Payment code not valid", body=str(exc), layout="toast", ttl_s=4.0)
            )
        if request is None:
            return _toast("Pay", "Not a payment code.")
        now = ctx.clock.now_ns()
        pending = self._pending
        if pending is not None and now < pending.deadline_ns and pending.request.text != text:
            # The card in view belongs to the payment waiting; a nod must pay that one.
            log.info("payment code ignored: another payment is waiting for confirmation")
            return Reply()
        self._pending = _Pending(request, now, now + self.window_ns, intent.turn_id)
        self._arm(self._pending, ctx)
        amount = amount_of(request)
        payee = payee_of(request)
        return Reply(
            card=Card(
                title=f"Pay {amount}?" if amount else f"Pay {payee}?",
                body=(
                    f"to {payee} ({request.scheme})" if amount else f"Amount: in {request.scheme}"
                )
                + "\nNod or tap: pay. Shake: cancel.",
                # The skill's own timer replaces the card at the deadline; the HUD's ttl is
                # only the safety net, a little later, so the two never race.
                ttl_s=self.window_s + 1.0,
                actions=CARD_ACTIONS,
            ),
        )

    def _confirm(self, ctx: SkillContext) -> Reply:
        pending = self._pending
        if pending is None:
            return _toast("Pay", "No payment to confirm.")
        now = ctx.clock.now_ns()
        if now >= pending.deadline_ns:
            self._clear()
            return self._cancelled(f"No confirmation within {self.window_s:g} s.")
        if now - pending.asked_ns < self.min_look_ns:
            log.info(
                "confirmation %d ms after the card was asked for: ignored",
                (now - pending.asked_ns) // 1_000_000,
            )
            return Reply()
        self._clear()
        request = pending.request
        self.paid.append(request)
        log.info(
            "simulated payment: %s %s to %s", request.scheme, amount_of(request), payee_of(request)
        )
        amount = amount_of(request)
        payee = payee_of(request)
        return Reply(
            card=Card(
                title="Paid",
                body=(f"{amount} to {payee}" if amount else payee)
                + "\nSimulated: no money was sent.",
                ttl_s=5.0,
            ),
            say="Paid.",
        )

    def _cancel(self, ctx: SkillContext) -> Reply:
        if self._pending is None:
            return _toast("Pay", "No payment to cancel.")
        self._clear()
        return self._cancelled("Nothing was paid.")

    def _cancelled(self, why: str) -> Reply:
        return Reply(
            card=Card(title="Payment cancelled", body=why, layout="toast", ttl_s=3.0),
            say="Payment cancelled.",
        )

    def _code_in_view(self, ctx: SkillContext) -> str:
        seen = ctx.seen()
        if ctx.clock.now_ns() - seen.codes_t_ns > FRESH_NS:
            return ""
        return next((c.value for c in seen.codes if is_payment_code(c.value)), "")

    # ----------------------------------------------------------------------------------------
    # The window

    def _arm(self, pending: _Pending, ctx: SkillContext) -> None:
        """Cancel ``pending`` at its deadline unless it is answered first."""
        if self._expiry is not None:
            self._expiry.cancel()
        self._expiry = asyncio.get_running_loop().create_task(
            self._expire(pending, ctx), name="pay-window"
        )
        self._expiry.add_done_callback(_report_failure)

    async def _expire(self, pending: _Pending, ctx: SkillContext) -> None:
        await ctx.clock.sleep_until(pending.deadline_ns)
        if self._pending is not pending:
            return
        self._pending = None
        self._expiry = None
        reply = self._cancelled(f"No confirmation within {self.window_s:g} s.")
        now = ctx.clock.now_ns()
        ctx.emit(HudUpdate(t_ns=now, source=self.name, turn_id=pending.turn_id, card=reply.card))
        ctx.emit(Say(t_ns=now, source=self.name, turn_id=pending.turn_id, text=reply.say))

    def _clear(self) -> None:
        self._pending = None
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None


def _report_failure(task: asyncio.Task[None]) -> None:
    """The window's timer has no supervisor: say if it failed (the payment stays unpaid)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("pay window timer failed", exc_info=task.exception())


def _toast(title: str, body: str) -> Reply:
    return Reply(card=Card(title=title, body=body, layout="toast", ttl_s=2.0))
