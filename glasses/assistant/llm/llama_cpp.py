"""llama.cpp in process (``llama-cpp-python``, the ``llm`` extra): any GGUF and its chat template.

``LlamaCppModel(path, chat_format=…)`` loads the GGUF on first use (``load()`` does it
explicitly: blocking, about 0.5 s for Gemma 3 270M plus a warm-up decode that takes the first
decode's extra 0.5–3 s off the first question, so call it off the event loop) and streams
``create_chat_completion(stream=True)``. Nothing happens in ``stream()`` itself: the reply's
first ``next()`` loads the model if needed, evaluates the prompt (the prefill, the main cost
before the first piece) and samples; each later ``next()`` costs one token's decode.

One reply runs at a time: a llama.cpp context holds one conversation. Starting a reply closes
the one before it, and every generation step holds the model's lock, so two streams never
interleave on the context. ``close()`` cancels at once from any thread: the stream is marked
closed, and an abort callback installed on the context stops a decode in progress between two
graph nodes (a prompt's prefill included: measured 3–25 ms), so a ``next()`` blocked in another
thread returns (ending the stream) instead of finishing the prefill. llama.cpp reuses the KV
cache of the previous prompt's common prefix (a fixed system prompt is evaluated once), and
``prefill`` evaluates the start of a coming prompt ahead of it (the conversation so far). A
reply's leading ``<think>…</think>`` block (Qwen3) is not yielded (``think``).

llama.cpp's own log lines go to this module's logger at DEBUG, never to stderr (the library's
``verbose=False`` still printed its warnings: its log-level table predates ggml's). Loading
with ``verbose=False`` also points the process's stdout and stderr at /dev/null while the file
loads (llama-cpp-python does that): load before the TUI draws, or accept a blank ~0.5 s.

Failures are ``LlmError`` of one line: llama-cpp-python not installed (install the ``llm``
extra), a GGUF missing or not loadable (``glasses models pull …``), a prompt longer than the
context, and any error of llama.cpp during generation.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glasses.assistant.llm.base import ChatMessage, LlmError
from glasses.assistant.llm.think import visible

logger = logging.getLogger(__name__)

INSTALL_FIX = "install the llm extra: pip install 'glasses[llm]' (builds llama.cpp, ~6 min)"
_SHOWN_CHARS = 160
_WARMUP_TOKENS = 8
_NO_SYSTEM_FORMATS = frozenset({"gemma"})
"""Chat formats of llama-cpp-python that drop system messages: these are folded into the
first user message instead (Gemma's own template does that)."""

_llama_cpp: Any = None
_log_callback: Any = None  # the ctypes callback llama.cpp logs through: kept alive here
_IMPORT_LOCK = threading.Lock()


def _import_llama_cpp() -> Any:
    """``llama_cpp``, imported once, with llama.cpp's log lines routed to ``logger``."""
    global _llama_cpp, _log_callback
    with _IMPORT_LOCK:
        if _llama_cpp is None:
            try:
                import llama_cpp
            except ImportError:
                raise LlmError(f"llama-cpp-python is not installed; fix: {INSTALL_FIX}") from None
            except (OSError, RuntimeError) as exc:  # its shared library did not load
                raise LlmError(
                    f"llama-cpp-python cannot load its library ({_first_line(exc)}); "
                    f"fix: reinstall it: {INSTALL_FIX}"
                ) from None
            _log_callback = llama_cpp.llama_log_callback(_log)
            llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))
            _llama_cpp = llama_cpp
    return _llama_cpp


def _log(level: int, text: bytes, user_data: Any) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("llama.cpp: %s", text.decode("utf-8", errors="replace").rstrip())


@dataclass(frozen=True, slots=True)
class LlamaTimings:
    """Where one reply's time went, from llama.cpp's own counters.

    ``prompt_tokens``: tokens evaluated for the prompt (a prefix cached from the previous reply
    is not counted); ``prefill_ms``: their evaluation; ``tokens``: tokens decoded after it;
    ``decode_ms``: their evaluation (sampling and detokenising excluded).
    """

    prompt_tokens: int
    prefill_ms: float
    tokens: int
    decode_ms: float

    @property
    def decode_ms_per_token(self) -> float:
        return self.decode_ms / self.tokens if self.tokens else 0.0


class LlamaCppModel:
    """A GGUF chat model run by llama.cpp in this process.

    ``path``: the GGUF file. ``chat_format``: a llama-cpp-python chat format name
    (``"gemma"``, ``"chatml"``, …); ``None`` uses the template inside the GGUF. ``n_ctx``:
    context length in tokens (prompt and reply together). ``n_threads``: CPU threads for
    prefill and decode (default 1: on two cores busy with other work, 2 threads measured up to
    5× slower than 1: llama.cpp's threads spin-wait for each other). ``seed``: the sampler's seed
    (replies at temperature 0 are greedy anyway). ``model_id``: the manifest id a missing
    file is pulled with (default: found by file name).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        chat_format: str | None = None,
        n_ctx: int = 2048,
        n_threads: int = 1,
        seed: int = 0,
        model_id: str | None = None,
    ) -> None:
        if n_ctx < 64 or n_threads < 1:
            raise LlmError(
                f"llama.cpp needs n_ctx >= 64 and n_threads >= 1 (got {n_ctx}, {n_threads})"
            )
        self.path = Path(path)
        self.chat_format = chat_format
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.seed = seed
        self.model_id = model_id
        self.load_s: float | None = None
        """Seconds the last ``load()`` took to read the GGUF (None before it)."""
        self.warmup_s: float | None = None
        """Seconds the last ``load()`` then spent on its warm-up decodes."""
        self._llama: Any = None
        # Held by load() and by every generation step: one user of the context at a time.
        self._lock = threading.Lock()
        self._abort_cb: Any = None
        self._generating: LlamaCppStream | None = None  # whose step runs now (abort callback)
        # Set while llama.cpp computes a reply's step (its abort callback has been called):
        # what a caller waits on to know a prefill or decode is under way.
        self.computing = threading.Event()
        self._live: LlamaCppStream | None = None  # whose generator is open on the context
        self._newest: LlamaCppStream | None = None

    @property
    def name(self) -> str:
        return f"llama.cpp:{self.path.stem}"

    @property
    def vision(self) -> bool:
        return False

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    def load(self) -> None:
        """Load the GGUF now and run two warm-up decodes, so that the first reply costs what
        later ones do (idempotent; blocking, about 1 s: call it off the event loop)."""
        with self._lock:
            self._load_locked()

    def close(self) -> None:
        """Cancel any reply and free the model (a later use loads it again)."""
        if self._newest is not None:
            self._newest.close()
        with self._lock:
            self._end_live()
            if self._llama is not None:
                self._llama.close()
                self._llama = None

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: Sequence[str] = (),
    ) -> LlamaCppStream:
        """The reply to ``messages`` (generated by the stream's ``next()`` calls); the reply
        before it, if still open, is closed: the context holds one."""
        for m in messages:
            if m.image_jpeg is not None:
                raise LlmError(f"{self.name} takes no images (a text model); send text only")
        if max_tokens < 1:
            raise LlmError(f"max_tokens must be >= 1, got {max_tokens}")
        turns = [{"role": m.role, "content": m.content} for m in messages]
        if self.chat_format in _NO_SYSTEM_FORMATS:
            turns = _fold_system(turns)
        request = {
            "messages": turns,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stop": list(stop),
            "seed": self.seed,
            "stream": True,
        }
        if self._newest is not None:
            self._newest.close()
        self._newest = LlamaCppStream(self, request)
        return self._newest

    def prefill(self, messages: Sequence[ChatMessage]) -> None:
        """Evaluate ``messages`` now, while nothing waits for a reply (blocking): the next
        prompt that starts the same way evaluates only what follows them, since llama.cpp keeps
        the last prompt's state and reuses its common prefix. A reply started meanwhile cancels
        this at once (``stream`` closes the one before it). Costs one token's decode more."""
        stream = self.stream(messages, max_tokens=1)
        try:
            next(stream, None)
        finally:
            stream.close()

    def _load_locked(self) -> Any:
        if self._llama is not None:
            return self._llama
        llama_cpp = _import_llama_cpp()
        if not self.path.is_file():
            raise LlmError(f"model file {self.path} is missing; fix: {self._fix()}")
        started = time.perf_counter()
        try:
            llama = llama_cpp.Llama(
                model_path=str(self.path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                seed=self.seed,
                chat_format=self.chat_format,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise LlmError(
                f"model file {self.path} cannot be loaded by llama.cpp (not a GGUF, corrupt, or "
                f"an architecture this llama.cpp lacks: {_first_line(exc)}); "
                f"fix: glasses models verify, then {self._fix()}"
            ) from None
        self.load_s = time.perf_counter() - started
        self._abort_cb = llama_cpp.ggml_abort_callback(self._should_abort)
        llama_cpp.llama_set_abort_callback(llama.ctx, self._abort_cb, ctypes.c_void_p(0))
        started = time.perf_counter()
        try:
            # A warm-up run, as llama.cpp's own tools do before serving (weights paged in,
            # buffers allocated): a fresh process's first reply was measured 0.5–3 s slower
            # than later ones with Gemma 3 270M on two cores; spend that here instead.
            warm = llama.tokenize(b"Hello, glasses.")[:_WARMUP_TOKENS]
            llama.eval(warm)
            llama.eval(warm[-1:])
            llama.reset()
        except (ValueError, RuntimeError) as exc:
            llama.close()
            raise LlmError(
                f"model file {self.path} loads but llama.cpp cannot run it ({_first_line(exc)}); "
                f"fix: glasses models verify, then {self._fix()}"
            ) from None
        self.warmup_s = time.perf_counter() - started
        self._llama = llama
        logger.debug(
            "loaded %s in %.2f s, warmed up in %.2f s", self.path, self.load_s, self.warmup_s
        )
        return llama

    def _should_abort(self, _data: Any) -> bool:
        """llama.cpp's abort callback, called between graph nodes of every decode."""
        stream = self._generating
        if stream is None:
            return False
        if not self.computing.is_set():
            self.computing.set()
        return stream.closed

    def _end_live(self) -> None:
        """Close the open generator on the context (lock held)."""
        if self._live is not None:
            self._live._end()
            self._live = None

    def _fix(self) -> str:
        model_id = self.model_id or _manifest_id(self.path)
        if model_id:
            return f"run glasses models pull {model_id}"
        return "run glasses models pull qwen3-0.6b (or give the path of a GGUF file)"

    def timings(self) -> LlamaTimings | None:
        """llama.cpp's counters since the newest reply started (None before any load)."""
        if self._llama is None:
            return None
        data = _llama_cpp.llama_perf_context(self._llama.ctx)
        return LlamaTimings(
            prompt_tokens=int(data.n_p_eval),
            prefill_ms=float(data.t_p_eval_ms),
            tokens=int(data.n_eval),
            decode_ms=float(data.t_eval_ms),
        )


class LlamaCppStream:
    """One reply of a ``LlamaCppModel`` (a ``TokenStream``): blocking ``next()``, and
    ``close()`` that cancels from any thread."""

    def __init__(self, model: LlamaCppModel, request: dict[str, Any]) -> None:
        self._model = model
        self._request = request
        self._pieces: Generator[str, None, None] | None = None
        self._closed = False
        self._ended = False

    @property
    def closed(self) -> bool:
        return self._closed

    def __iter__(self) -> LlamaCppStream:
        return self

    def __next__(self) -> str:
        model = self._model
        with model._lock:
            if self._closed or self._ended:
                self._end()
                raise StopIteration
            model._generating = self
            try:
                piece = self._step()
            except StopIteration:
                self._end()
                raise
            except LlmError:
                self._end()
                if self._closed:
                    raise StopIteration from None
                raise
            except Exception as exc:  # llama.cpp raises ValueError/RuntimeError/KeyError
                self._end()
                if self._closed:  # the abort callback stopped a decode: not a failure
                    raise StopIteration from None
                raise LlmError(
                    f"{model.name} failed while generating: {_first_line(exc)}"
                ) from None
            finally:
                model._generating = None
                model.computing.clear()
            if self._closed:
                self._end()
                raise StopIteration
            return piece

    def close(self) -> None:
        """Cancel: nothing more is yielded; a decode running in another thread stops."""
        self._closed = True
        model = self._model
        if model._lock.acquire(blocking=False):
            try:
                self._end()
            finally:
                model._lock.release()
        # Otherwise a step holds the lock: the abort callback stops its decode if it is this
        # stream's, and this stream's generator is closed by its next next() or the next
        # stream's first step.

    def _step(self) -> str:
        """The next non-empty piece (lock held)."""
        model = self._model
        if self._pieces is None:
            llama = model._load_locked()
            model._end_live()  # an older reply still open on the context
            _llama_cpp.llama_synchronize(llama.ctx)  # counts a cancelled decode before the reset
            _llama_cpp.llama_perf_context_reset(llama.ctx)
            self._pieces = visible(_deltas(llama, self._request))
            model._live = self
        return next(self._pieces)

    def _end(self) -> None:
        """Close the generator on the context (lock held); the stream yields nothing more."""
        self._ended = True
        if self._pieces is not None:
            self._pieces.close()
            self._pieces = None
        if self._model._live is self:
            self._model._live = None


def _deltas(llama: Any, request: dict[str, Any]) -> Generator[str, None, None]:
    """The text of ``create_chat_completion``'s chunks, with llama-cpp-python's
    context-overflow error turned into a one-line fix."""
    chunks = llama.create_chat_completion(**request)
    try:
        for chunk in chunks:
            choices = chunk.get("choices") or [{}]
            piece = choices[0].get("delta", {}).get("content")
            if piece:
                yield str(piece)
    except ValueError as exc:
        text = _first_line(exc)
        if "exceed context window" in text:
            raise LlmError(
                f"the prompt is too long for the model's context ({text}); fix: shorten the "
                "conversation kept in the prompt, or raise n_ctx"
            ) from None
        raise
    finally:
        chunks.close()


def _fold_system(turns: list[dict[str, str]]) -> list[dict[str, str]]:
    """System messages put at the head of the first user message, as Gemma's own template
    does (llama-cpp-python's "gemma" format drops them)."""
    system = "\n\n".join(t["content"] for t in turns if t["role"] == "system" and t["content"])
    rest = [t for t in turns if t["role"] != "system"]
    if not system:
        return rest
    for i, turn in enumerate(rest):
        if turn["role"] == "user":
            rest[i] = {"role": "user", "content": f"{system}\n\n{turn['content']}"}
            return rest
    return [{"role": "user", "content": system}, *rest]


def _manifest_id(path: Path) -> str:
    """The manifest id whose file is named like ``path`` ("" when none is): a hint for the
    fix in an error message, so an unreadable manifest only loses the hint."""
    from models.registry import ModelError, load_manifest

    try:
        entries = load_manifest()
    except ModelError:
        return ""
    return next((e.id for e in entries if e.filename == path.name), "")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:_SHOWN_CHARS]
