"""Pairing: both sides prove they hold the same 32-byte key (HMAC-SHA256 challenge/response).

::

    companion                                   glasses
      Hello(version, mtu, window, session, Nc) ─►
                                              ◄─ Challenge(mtu', window', Ng)
      Auth(HMAC(key, "companion" | Nc | Ng | mtu' | window')) ─►
                                              ◄─ Welcome(HMAC(key, "glasses" | …), session, resumed)
                                                 (or Refused(NOT_PAIRED) and the link closes)

The agreed MTU and window are inside both proofs, so a middle-man cannot lower them unseen.
Before ``Welcome`` the glasses act on nothing else: any other message is refused, counted,
and closes the connection. The key is not sent; frames after pairing are not individually
authenticated or encrypted (the radio's own link-layer encryption is assumed; see
docs/protocol.md).

Keys: ``GLASSES_LINK_KEY`` (64 hex digits) or the key file ``$XDG_CONFIG_HOME/glasses/link.key``
(``ensure_key_file`` makes one).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from glasses.devices.link import messages as m
from glasses.devices.link.connection import LinkClosed, LinkConnection
from glasses.devices.link.framing import MAX_MTU, MIN_MTU

PROTOCOL_VERSION = 1
KEY_BYTES = 32
KEY_ENV = "GLASSES_LINK_KEY"
HANDSHAKE_TIMEOUT_S = 5.0


class LinkRefused(LinkClosed):
    """Pairing failed: the peer does not hold our key, or refused us (``reason``)."""


def proof(key: bytes, role: str, nonce_c: bytes, nonce_g: bytes, mtu: int, window: int) -> bytes:
    text = b"glasses-link/1 " + role.encode() + b"\0"
    return hmac.new(
        key, text + nonce_c + nonce_g + mtu.to_bytes(2, "little") + bytes([window]), hashlib.sha256
    ).digest()


def parse_key(text: str) -> bytes:
    """A key from 64 hex digits; ValueError otherwise."""
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise ValueError("a link key is 64 hex digits") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"a link key is {KEY_BYTES} bytes (64 hex digits), got {len(key)}")
    return key


def key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "glasses" / "link.key"


def load_key(path: Path | None = None) -> bytes | None:
    """``$GLASSES_LINK_KEY``, else the key file (``path`` or ``key_file()``); None if neither."""
    env = os.environ.get(KEY_ENV)
    if env:
        return parse_key(env)
    path = path or key_file()
    if path.is_file():
        return parse_key(path.read_text())
    return None


def ensure_key_file(path: Path | None = None) -> tuple[Path, bytes]:
    """The key in the key file, making a new random one (mode 0600) if there is none."""
    path = path or key_file()
    if path.is_file():
        return path, parse_key(path.read_text())
    key = secrets.token_bytes(KEY_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key.hex() + "\n")
    return path, key


@dataclass(frozen=True, slots=True)
class Paired:
    """The outcome of a handshake: the ``session`` id, whether the glasses kept its state
    (``resumed``), the agreed ``mtu`` (bytes) and ``window`` (frames), the peer's ``name``."""

    session: int
    resumed: bool
    mtu: int
    window: int
    name: str = ""


async def pair_companion(
    conn: LinkConnection,
    key: bytes,
    *,
    mtu: int,
    window: int,
    resume: int = 0,
    name: str = "companion",
    timeout_s: float = HANDSHAKE_TIMEOUT_S,
) -> Paired:
    """The companion's half of the handshake on a fresh connection (its ``run`` task must be
    running). Raises ``LinkRefused`` if the glasses refuse us or cannot prove the key."""
    nonce_c = secrets.token_bytes(m.NONCE_BYTES)
    conn.send(
        m.Hello(
            version=PROTOCOL_VERSION,
            mtu=mtu,
            window=window,
            session=resume,
            nonce=nonce_c,
            name=name[:64],
        )
    )
    challenge = await conn.expect(m.Challenge, m.Refused, timeout_s=timeout_s)
    if isinstance(challenge, m.Refused):
        raise LinkRefused(f"refused by the glasses: {challenge.reason or challenge.code}")
    if not (MIN_MTU <= challenge.mtu <= min(mtu, MAX_MTU) and 1 <= challenge.window <= window):
        conn.close("bad challenge")
        raise LinkRefused(f"the glasses offered mtu {challenge.mtu}, window {challenge.window}")
    conn.session.set_mtu(challenge.mtu)
    conn.session.set_window(challenge.window)
    args = (nonce_c, challenge.nonce, challenge.mtu, challenge.window)
    conn.send(m.Auth(proof(key, "companion", *args)))
    welcome = await conn.expect(m.Welcome, m.Refused, timeout_s=timeout_s)
    if isinstance(welcome, m.Refused):
        raise LinkRefused(f"refused by the glasses: {welcome.reason or welcome.code}")
    if not hmac.compare_digest(welcome.mac, proof(key, "glasses", *args)):
        conn.close("the glasses did not prove the key")
        raise LinkRefused("the glasses did not prove the pairing key (not our glasses?)")
    return Paired(welcome.session, bool(welcome.resumed), challenge.mtu, challenge.window)


async def pair_glasses(
    conn: LinkConnection,
    key: bytes,
    *,
    mtu: int,
    window: int,
    new_session: int,
    known_sessions: frozenset[int] = frozenset(),
    timeout_s: float = HANDSHAKE_TIMEOUT_S,
) -> Paired:
    """The glasses' half: answer a ``Hello``, check the ``Auth``. A companion resuming one of
    ``known_sessions`` keeps its id (``resumed``); otherwise it gets ``new_session``. Raises
    ``LinkRefused`` (after telling the peer) on a wrong proof or a message out of turn."""
    try:
        hello = await conn.expect(m.Hello, timeout_s=timeout_s)
    except LinkClosed as exc:
        _refuse(conn, m.RefuseCode.PROTOCOL, f"pair first ({exc.reason})")
        raise LinkRefused(exc.reason) from None
    if hello.version != PROTOCOL_VERSION:
        _refuse(conn, m.RefuseCode.VERSION, f"protocol {PROTOCOL_VERSION} only")
        raise LinkRefused(f"companion speaks protocol {hello.version}")
    agreed_mtu = max(MIN_MTU, min(mtu, hello.mtu, MAX_MTU))
    agreed_window = max(1, min(window, hello.window))
    nonce_g = secrets.token_bytes(m.NONCE_BYTES)
    conn.send(m.Challenge(mtu=agreed_mtu, window=agreed_window, nonce=nonce_g))
    conn.session.set_mtu(agreed_mtu)
    conn.session.set_window(agreed_window)
    try:
        auth = await conn.expect(m.Auth, timeout_s=timeout_s)
    except LinkClosed as exc:
        _refuse(conn, m.RefuseCode.PROTOCOL, f"pair first ({exc.reason})")
        raise LinkRefused(exc.reason) from None
    args = (hello.nonce, nonce_g, agreed_mtu, agreed_window)
    if not hmac.compare_digest(auth.mac, proof(key, "companion", *args)):
        _refuse(conn, m.RefuseCode.NOT_PAIRED, "not paired with these glasses")
        raise LinkRefused(f"companion {hello.name!r} is not paired (wrong key)")
    resumed = hello.session != 0 and hello.session in known_sessions
    session = hello.session if resumed else new_session
    conn.send(m.Welcome(mac=proof(key, "glasses", *args), session=session, resumed=int(resumed)))
    return Paired(session, resumed, agreed_mtu, agreed_window, hello.name)


def _refuse(conn: LinkConnection, code: m.RefuseCode, reason: str) -> None:
    if not conn.closed:
        conn.send(m.Refused(code=int(code), reason=reason))
        conn.close(reason, bye=False)
