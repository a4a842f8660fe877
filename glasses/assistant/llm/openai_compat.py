"""Any OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp's server, DashScope's Qwen),
streamed, with the standard library only.

``OpenAICompatModel(base_url, model)`` POSTs ``{base_url}/chat/completions`` with
``"stream": true`` and yields each ``choices[0].delta.content`` of the server-sent events
(``data: {…}`` lines, ended by ``data: [DONE]``), less a leading ``<think>…</think>`` block
(``think``). ``base_url`` is the API root, the part before ``/chat/completions``:
``http://127.0.0.1:11434/v1`` for Ollama, ``https://api.openai.com/v1``.

Nothing touches the network before the first ``next()`` of a stream: neither construction nor
``stream()`` opens a socket, so the runtime can build the model on the event loop and read the
stream through ``clock.run_blocking``. ``timeout_s`` bounds the connection and every wait for
more bytes (not the whole reply). The API key is read from the environment variable
``api_key_env`` when a stream starts and sent as a bearer token; a local server needs none.

Every failure is an ``LlmError`` of one line: server down (connection refused), no answer
within the timeout, key refused (HTTP 401/403, naming the variable), model or path not found
(HTTP 404), any other HTTP error with the server's own message, and a malformed or truncated
stream (never taken for the end of the reply). ``close()`` shuts the socket down, which also
wakes a ``next()`` blocked in another thread; that ``next()`` then ends the stream.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import socket
import ssl
import threading
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from glasses.assistant.llm.base import ChatMessage, LlmError
from glasses.assistant.llm.think import visible

_USER_AGENT = "glasses-assistant/1"
# How much of a server's error body goes into a message, and of a bad event into an error.
_SHOWN_CHARS = 160
_ERROR_BODY_BYTES = 4096


class OpenAICompatModel:
    """A chat model behind an OpenAI-compatible HTTP endpoint.

    ``base_url``: ``http://`` or ``https://`` API root (``…/v1``); ``model``: the server's
    model name; ``api_key_env``: the environment variable holding the API key (unset: no
    ``Authorization`` header); ``timeout_s``: seconds allowed to connect and for each wait for
    more of the reply; ``vision``: the model takes images (each ``ChatMessage.image_jpeg`` is
    sent as a ``data:image/jpeg;base64,…`` content part).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str = "OPENAI_API_KEY",
        timeout_s: float = 30.0,
        vision: bool = False,
    ) -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LlmError(
                f"LLM endpoint {base_url!r} is not an http:// or https:// address; "
                "fix: set the URL of the API root, e.g. http://127.0.0.1:11434/v1"
            )
        if not model:
            raise LlmError(f"no model name given for the LLM endpoint {base_url}")
        if timeout_s <= 0:
            raise LlmError(f"LLM timeout must be > 0 s, got {timeout_s}")
        try:
            port = parts.port
        except ValueError:
            raise LlmError(f"LLM endpoint {base_url!r} has an invalid port") from None
        self.base_url = base_url.strip().rstrip("/")
        self.model = model
        self.api_key_env = api_key_env
        self.timeout_s = timeout_s
        self._vision = vision
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = port
        self._path = parts.path.rstrip("/") + "/chat/completions"

    @property
    def name(self) -> str:
        return f"openai:{self.model}@{self.base_url}"

    @property
    def vision(self) -> bool:
        return self._vision

    @property
    def url(self) -> str:
        """The address every request goes to: ``{base_url}/chat/completions``."""
        return f"{self.base_url}/chat/completions"

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> OpenAICompatStream:
        """The reply to ``messages``; the request is sent by the stream's first ``next()``."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [self._message(m) for m in messages],
            "stream": True,
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if stop:
            body["stop"] = list(stop)
        return OpenAICompatStream(self, json.dumps(body).encode("utf-8"))

    def _message(self, message: ChatMessage) -> dict[str, Any]:
        if message.image_jpeg is None:
            return {"role": message.role, "content": message.content}
        if not self._vision:
            raise LlmError(
                f"{self.name} was not configured for images (vision off); "
                "fix: set vision = true for a vision model, or send text only"
            )
        if message.role != "user":
            raise LlmError(f"an image can go only with a user message, not {message.role!r}")
        data = base64.b64encode(message.image_jpeg).decode("ascii")
        return {
            "role": "user",
            "content": [
                {"type": "text", "text": message.content},
                {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{data}"}},
            ],
        }

    def _connect(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(
                self._host,
                self._port,
                timeout=self.timeout_s,
                context=ssl.create_default_context(),
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout_s)

    def _headers(self) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream",
            "User-Agent": _USER_AGENT,
        }
        key = os.environ.get(self.api_key_env, "").strip() if self.api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers


class OpenAICompatStream:
    """One streamed reply (a ``TokenStream``): blocking ``next()``, ``close()`` from any thread.

    The first ``next()`` connects, sends the request and checks the response's status; each
    ``next()`` then reads events until one carries text.
    """

    def __init__(self, model: OpenAICompatModel, body: bytes) -> None:
        self._model = model
        self._body = body
        self._conn: http.client.HTTPConnection | None = None
        self._response: http.client.HTTPResponse | None = None
        self._pieces: Iterator[str] | None = None
        self._closed = False  # by close(): a failure after it is the cancellation, not an error
        self._done = False  # the reply ended (finished, failed or closed)
        # Held by next() while it reads; close() from another thread then only shuts the
        # socket down (waking the read) and next() releases everything.
        self._reading = threading.Lock()

    def __iter__(self) -> OpenAICompatStream:
        return self

    def __next__(self) -> str:
        with self._reading:
            if self._closed or self._done:
                raise StopIteration
            try:
                if self._pieces is None:
                    self._pieces = visible(self._events(self._open()))
                piece = next(self._pieces)
            except StopIteration:
                self._release()
                raise
            except LlmError:
                self._release()
                if self._closed:
                    raise StopIteration from None
                raise
            except (OSError, http.client.HTTPException, ValueError, AttributeError) as exc:
                # ValueError/AttributeError: the response was closed under a read (close()).
                self._release()
                if self._closed:
                    raise StopIteration from None
                raise self._network_error(exc) from None
            if self._closed:
                self._release()
                raise StopIteration
            return piece

    def close(self) -> None:
        """Stop the reply: nothing more is read or yielded. Idempotent, any thread."""
        self._closed = True
        if self._reading.acquire(blocking=False):
            try:
                self._release()
            finally:
                self._reading.release()
            return
        conn = self._conn  # a next() is reading: wake it, it releases the rest
        sock = conn.sock if conn is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed: the reading next() ends anyway
                sock.shutdown(socket.SHUT_RDWR)

    def _release(self) -> None:
        self._done = True
        if self._response is not None:
            self._response.close()
        if self._conn is not None:
            self._conn.close()
        self._response = self._conn = None

    def _open(self) -> http.client.HTTPResponse:
        m = self._model
        self._conn = m._connect()
        self._conn.request("POST", m._path, body=self._body, headers=m._headers())
        response = self._conn.getresponse()
        self._response = response
        if response.status != 200:
            raise self._status_error(response)
        return response

    def _events(self, response: http.client.HTTPResponse) -> Iterator[str]:
        """The text pieces of the response's events, in order; raises ``LlmError`` for a
        malformed event, an error event, or a stream cut before ``[DONE]``."""
        ctype = response.getheader("Content-Type", "")
        if "text/event-stream" not in ctype:
            if "json" in ctype:  # a server that ignored "stream": one whole reply
                yield from self._whole_reply(response.read())
                return
            raise self._malformed(f"Content-Type {ctype or 'missing'}, not text/event-stream")
        data: list[str] = []
        finished = False
        while True:
            raw = response.readline()
            if not raw:  # EOF
                if data:
                    raise self._malformed("the stream ended inside an event")
                if finished:
                    return  # every choice finished; some servers omit [DONE]
                raise self._malformed("the stream ended before [DONE]")
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if line:
                if line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
                continue  # comments (": ping"), event:, id: and retry: lines carry no text
            if not data:
                continue
            payload, data = "\n".join(data), []
            if payload.strip() == "[DONE]":
                return
            piece, done = self._chunk(payload)
            finished = finished or done
            if piece:
                yield piece

    def _chunk(self, payload: str) -> tuple[str, bool]:
        """One event's text and whether it finishes the reply."""
        try:
            event = json.loads(payload)
        except json.JSONDecodeError:
            raise self._malformed(f"an event is not JSON: {payload[:_SHOWN_CHARS]!r}") from None
        if not isinstance(event, dict):
            raise self._malformed(f"an event is not a JSON object: {payload[:_SHOWN_CHARS]!r}")
        if "error" in event:
            raise LlmError(
                f"{self._model.url} failed mid-reply: {_error_text(event)[:_SHOWN_CHARS]}"
            )
        choices = event.get("choices")
        if not isinstance(choices, list):
            raise self._malformed(f"an event has no choices: {payload[:_SHOWN_CHARS]!r}")
        if not choices:
            return "", False  # a usage-only event
        choice = choices[0]
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if not isinstance(delta, dict):
            raise self._malformed(f"an event has no delta: {payload[:_SHOWN_CHARS]!r}")
        content = delta.get("content")
        if content is not None and not isinstance(content, str):
            raise self._malformed(f"delta.content is not text: {payload[:_SHOWN_CHARS]!r}")
        return content or "", choice.get("finish_reason") is not None

    def _whole_reply(self, body: bytes) -> Iterator[str]:
        try:
            reply = json.loads(body)
            content = reply["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise self._malformed(f"a reply without choices: {body[:_SHOWN_CHARS]!r}") from None
        if not isinstance(content, str):
            raise self._malformed("message.content is not text")
        if content:
            yield content

    def _malformed(self, what: str) -> LlmError:
        return LlmError(f"malformed stream from {self._model.url}: {what}")

    def _status_error(self, response: http.client.HTTPResponse) -> LlmError:
        m = self._model
        status = response.status
        try:
            detail = _error_text(response.read(_ERROR_BODY_BYTES))[:_SHOWN_CHARS]
        except (OSError, http.client.HTTPException):
            detail = ""
        said = f": {detail}" if detail else ""
        if status in (401, 403):
            if not os.environ.get(m.api_key_env, "").strip():
                fix = f"set ${m.api_key_env} to the endpoint's API key (it is not set)"
            else:
                fix = f"check the API key in ${m.api_key_env}"
            return LlmError(f"{m.url} refused the API key (HTTP {status}{said}); fix: {fix}")
        if status == 404:
            return LlmError(
                f"{m.url}: model {m.model!r} or the API path not found (HTTP 404{said}); fix: "
                "check the model name (the server's /models lists them) and that the URL "
                "ends at the API root (…/v1)"
            )
        return LlmError(f"{m.url} answered HTTP {status} {response.reason}{said}")

    def _network_error(self, exc: BaseException) -> LlmError:
        m = self._model
        if isinstance(exc, ConnectionRefusedError):
            return LlmError(
                f"cannot reach the LLM server at {m.base_url} (connection refused); "
                "fix: start the server or correct the URL"
            )
        if isinstance(exc, TimeoutError):  # socket.timeout is TimeoutError since 3.10
            return LlmError(
                f"the LLM server at {m.base_url} did not answer within {m.timeout_s:g} s; "
                "fix: check the server, or raise the timeout"
            )
        if isinstance(exc, socket.gaierror):
            return LlmError(f"cannot resolve the LLM server's host in {m.base_url} ({exc})")
        if isinstance(exc, ssl.SSLError):
            return LlmError(f"TLS failed with {m.base_url}: {exc}")
        if isinstance(exc, http.client.IncompleteRead | http.client.RemoteDisconnected):
            return self._malformed(f"the connection closed mid-reply ({type(exc).__name__})")
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return LlmError(f"the LLM server at {m.base_url} failed: {text[:_SHOWN_CHARS]}")


def _error_text(body: bytes | dict[str, Any]) -> str:
    """The message of an OpenAI-style error body (``{"error": {"message": …}}``), or its text,
    on one line."""
    event: Any = body
    if isinstance(body, bytes):
        text = body.decode("utf-8", errors="replace")
        try:
            event = json.loads(text)
        except ValueError:
            return " ".join(text.split())
    if isinstance(event, dict):
        error = event.get("error", event.get("detail", event))
        if isinstance(error, dict):
            error = error.get("message", error)
        return " ".join(str(error).split())
    return " ".join(str(event).split())
