"""Amounts of money as the HUD shows them and as the glasses say them.

The HUD font draws ASCII only (``glasses.hud.font``), so amounts are written with the ISO 4217
code, never a symbol: ``EUR 1.49``, ``JPY 320``, ``BTC 0.0005``. Spoken, the currency is a word
where we know it ("1.49 euros"), else its letters.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# Digits after the decimal point, where not 2 (ISO 4217's minor units; BTC: satoshis).
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BTC": 8}
_SPOKEN = {
    "EUR": "euros",
    "USD": "dollars",
    "GBP": "pounds",
    "CNY": "yuan",
    "JPY": "yen",
    "INR": "rupees",
    "CHF": "francs",
    "BRL": "reais",
    "SGD": "Singapore dollars",
    "THB": "baht",
    "BTC": "bitcoin",
}


def as_decimal(amount: Decimal | float | str) -> Decimal:
    """``amount`` as a ``Decimal`` (a float through its shortest repr: 1.1 → 1.1, not
    1.100000000000000088…). Raises ``ValueError`` for text that is not a finite number."""
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except InvalidOperation:
        raise ValueError(f"not an amount of money: {amount!r}") from None
    if not value.is_finite():
        raise ValueError(f"not an amount of money: {amount!r}")
    return value


def _digits(amount: Decimal | float | str, currency: str) -> str:
    value = as_decimal(amount)
    places = _MINOR_UNITS.get(currency.upper(), 2)
    if currency.upper() == "BTC":  # no trailing zeros: 0.0005, not 0.00050000
        text = f"{value.quantize(Decimal(1).scaleb(-places)).normalize():f}"
        return text
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"


def format_money(amount: Decimal | float | str, currency: str) -> str:
    """``EUR 1.49``: the currency code, then the amount to its minor unit."""
    return f"{currency.upper()} {_digits(amount, currency)}".strip()


def spoken_money(amount: Decimal | float | str, currency: str) -> str:
    """``1.49 euros``, ``120 rupees``: what the speaker says."""
    code = currency.upper()
    digits = _digits(amount, code)
    if "." in digits and not digits.split(".")[1].strip("0"):
        digits = digits.split(".")[0]  # "120 rupees", not "120 point zero zero"
    return f"{digits} {_SPOKEN.get(code, ' '.join(code))}".strip()
