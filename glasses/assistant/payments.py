"""Payment QR codes: which ones we recognise, and the payee and amount where the code says.

``parse_payment(text)`` reads the text of a QR code and returns a ``PaymentRequest`` (None: no
payment code; ``PaymentCodeError``: it looks like one but is broken, e.g. a bad checksum).
Formats:

* **EMVCo merchant-presented QR** (``000201…``: Pix, PayNow, PromptPay, QR Ph, UPI's and card
  networks' merchant codes): tag-length-value fields; payee (tag 59), city (60), amount (54),
  ISO 4217 numeric currency (53); the CRC-16 (tag 63) must match.
* **UPI** (``upi://pay?pa=…&pn=…&am=…&cu=INR``).
* **Bitcoin** BIP 21 (``bitcoin:<address>?amount=…&label=…``), the amount in BTC.
* **EPC / SEPA credit transfer** (``BCD`` lines: service tag, version, charset, ``SCT``, BIC,
  name, IBAN, ``EUR12.50``, …), the "GiroCode" printed on European invoices.
* **Alipay** (``https://qr.alipay.com/…``) and **WeChat Pay** (``wxp://…``): opaque tokens;
  payee and amount are known only to the wallet's servers.

``PAYMENT_PREFIXES`` are the starts of those texts, for the pay skill's ``OnCode`` trigger
(compared case-insensitively: Alipay codes are often upper case, QR's alphanumeric mode).
Nothing here moves money.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qs, unquote, urlsplit

from glasses.assistant.money import as_decimal

PAYMENT_PREFIXES: tuple[str, ...] = (
    "https://qr.alipay.com/",
    "wxp://",
    "upi://pay",
    "bitcoin:",
    "000201",  # EMVCo MPM: payload format indicator "01"
    "BCD\n",  # EPC069-12 SEPA credit transfer
)

# ISO 4217 numeric → alphabetic, for the currencies of the countries that use EMVCo QR most.
_ISO4217 = {
    "036": "AUD",
    "124": "CAD",
    "156": "CNY",
    "344": "HKD",
    "356": "INR",
    "360": "IDR",
    "392": "JPY",
    "410": "KRW",
    "458": "MYR",
    "608": "PHP",
    "702": "SGD",
    "704": "VND",
    "756": "CHF",
    "764": "THB",
    "784": "AED",
    "826": "GBP",
    "840": "USD",
    "901": "TWD",
    "978": "EUR",
    "986": "BRL",
}
# EMVCo merchant account templates (tags 26–51): globally unique id (sub-tag 00) → network.
_EMV_NETWORKS = {
    "br.gov.bcb.pix": "Pix",
    "sg.paynow": "PayNow",
    "a000000677010111": "PromptPay",
    "a000000677010112": "PromptPay",
    "com.p2pqrpay": "QR Ph",
    "a000000615000101": "DuitNow",
    "id.co.qris.www": "QRIS",
}
# Tags 02–25 are reserved for card networks (EMVCo MPM 4.1).
_EMV_CARD_TAGS = {
    "02": "Visa",
    "03": "Visa",
    "04": "Mastercard",
    "05": "Mastercard",
    "13": "UnionPay",
    "14": "UnionPay",
    "15": "UnionPay",
    "11": "American Express",
    "12": "American Express",
}


class PaymentCodeError(ValueError):
    """A code that announces a payment format but breaks it (bad checksum, missing field)."""


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """A payment a code asks for: the ``scheme`` (e.g. "UPI"), whom (``payee``: a name, or
    "" where the code does not say), how much (``amount`` in ``currency``; None where the
    wearer would enter it) and the code's full ``text``."""

    scheme: str
    payee: str
    amount: Decimal | None
    currency: str
    text: str
    account: str = ""  # an account id where the code shows one (UPI VPA, IBAN, address)


def is_payment_code(text: str) -> bool:
    return text.lower().startswith(tuple(p.lower() for p in PAYMENT_PREFIXES))


def parse_payment(text: str) -> PaymentRequest | None:
    """The payment a QR code's ``text`` asks for, or None if it is no payment code.
    Raises ``PaymentCodeError`` for a code in a payment format that is broken."""
    lower = text.lower()
    if lower.startswith("https://qr.alipay.com/"):
        return PaymentRequest("Alipay", "", None, "CNY", text)
    if lower.startswith("wxp://"):
        return PaymentRequest("WeChat Pay", "", None, "CNY", text)
    if lower.startswith("upi://pay"):
        return _upi(text)
    if lower.startswith("bitcoin:"):
        return _bitcoin(text)
    if lower.startswith("000201"):
        return _emv(text)
    if lower.startswith("bcd\n"):
        return _epc(text)
    return None


def _amount(text: str, what: str) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    if not re.fullmatch(r"\d{1,13}(\.\d{1,8})?", text):
        raise PaymentCodeError(f"{what}: amount {text!r} is not a number")
    return as_decimal(text)


def _upi(text: str) -> PaymentRequest:
    query = parse_qs(urlsplit(text).query, keep_blank_values=True)

    def field(key: str) -> str:
        return query.get(key, [""])[0].strip()

    account = field("pa")
    if not account:
        raise PaymentCodeError("UPI code without a payee address (pa)")
    return PaymentRequest(
        "UPI",
        field("pn") or account,
        _amount(field("am"), "UPI"),
        field("cu").upper() or "INR",
        text,
        account,
    )


def _bitcoin(text: str) -> PaymentRequest:
    rest = text[len("bitcoin:") :]
    address, _, query = rest.partition("?")
    address = unquote(address).strip()
    if not re.fullmatch(r"[A-Za-z0-9]{14,90}", address):
        raise PaymentCodeError(f"bitcoin code with no valid address: {address[:20]!r}")
    fields = parse_qs(query, keep_blank_values=True)
    label = fields.get("label", [""])[0].strip()
    short = f"{address[:8]}...{address[-4:]}"
    return PaymentRequest(
        "Bitcoin",
        label or short,
        _amount(fields.get("amount", [""])[0], "bitcoin"),
        "BTC",
        text,
        address,
    )


def _epc(text: str) -> PaymentRequest:
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    lines += [""] * (12 - len(lines))
    if lines[1] not in ("001", "002") or lines[3] != "SCT":
        raise PaymentCodeError("EPC code: expected version 001 or 002 and SCT on lines 2 and 4")
    name, iban, money = lines[5], lines[6].replace(" ", ""), lines[7]
    if not name or not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        raise PaymentCodeError("EPC code without a beneficiary name and IBAN")
    amount = None
    if money:
        m = re.fullmatch(r"EUR(\d{1,9}(?:\.\d{1,2})?)", money)
        if m is None:
            raise PaymentCodeError(f"EPC code: amount {money!r} is not EUR and a number")
        amount = as_decimal(m.group(1))
    return PaymentRequest("SEPA transfer", name, amount, "EUR", text, iban)


def emv_fields(text: str) -> dict[str, str]:
    """The top-level tag → value fields of an EMVCo QR payload (raises ``PaymentCodeError``
    when a length runs past the end)."""
    fields: dict[str, str] = {}
    i = 0
    while i < len(text):
        tag, length = text[i : i + 2], text[i + 2 : i + 4]
        if len(tag) < 2 or not length.isdigit():
            raise PaymentCodeError(f"EMV QR: field at {i} is not tag, length, value")
        end = i + 4 + int(length)
        if end > len(text):
            raise PaymentCodeError(f"EMV QR: field {tag} runs past the end")
        fields[tag] = text[i + 4 : end]
        i = end
    return fields


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF), as EMVCo QR uses."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _emv(text: str) -> PaymentRequest:
    fields = emv_fields(text)
    crc = fields.get("63", "")
    if not text.endswith("6304" + crc) or len(crc) != 4:
        raise PaymentCodeError("EMV QR without its CRC (tag 63) at the end")
    expected = crc16_ccitt(text[:-4].encode("utf-8"))
    if crc.upper() != f"{expected:04X}":
        raise PaymentCodeError(f"EMV QR checksum {crc} does not match ({expected:04X})")
    numeric = fields.get("53", "")
    currency = _ISO4217.get(numeric, numeric)
    payee = fields.get("59", "").strip()
    city = fields.get("60", "").strip()
    return PaymentRequest(
        _emv_network(fields),
        f"{payee}, {city}" if payee and city else payee,
        _amount(fields.get("54", ""), "EMV QR"),
        currency,
        text,
    )


def _emv_network(fields: dict[str, str]) -> str:
    for tag in sorted(fields):
        if "26" <= tag <= "51":
            try:
                guid = emv_fields(fields[tag]).get("00", "").lower()
            except PaymentCodeError:
                continue
            if guid in _EMV_NETWORKS:
                return _EMV_NETWORKS[guid]
        elif tag in _EMV_CARD_TAGS:
            return _EMV_CARD_TAGS[tag]
    return "EMV QR"


def emv_payload(fields: list[tuple[str, str]]) -> str:
    """An EMVCo QR payload of ``fields`` (tag, value) with its CRC appended (tests, demos)."""
    body = "".join(f"{tag}{len(value):02d}{value}" for tag, value in fields) + "6304"
    return body + f"{crc16_ccitt(body.encode('utf-8')):04X}"
