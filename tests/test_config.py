"""The config file (``glasses.config``): ``file:line`` problems, precedence (command line > file >
defaults, ``wake.toml`` for the wake word), ``glasses config show|check``, and the config reaching
``glasses sim`` and ``glasses run``."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import cv2
import pytest

from glasses.assistant.llm.openai_compat import OpenAICompatModel
from glasses.cli import assistant_options
from glasses.cli.main import build_parser, main
from glasses.config import (
    KEYS,
    ConfigError,
    default_config_path,
    key_lines,
    load_config,
    parse_config,
)
from glasses.speech.wake_config import default_wake_config
from simulator.scenes import SceneSpec, render_scene


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No developer's config file is read; ``$GLASSES_PHOTOS_DIR`` unset."""
    home = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("GLASSES_PHOTOS_DIR", raising=False)
    return home


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    return exc.value.problems


# ---------------------------------------------------------------------------- lines
def test_key_lines_finds_headers_keys_and_dotted_keys_skipping_multiline_strings() -> None:
    text = """# a comment
top = 1
[llm]
model = "x"   # trailing comment
notes = \"\"\"
fake = "not a key"
\"\"\"
"quoted key" = 2
[ wake ]
a.b = 3
"""
    lines = key_lines(text)
    assert lines[("top",)] == 2
    assert lines[("llm",)] == 3
    assert lines[("llm", "model")] == 4
    assert ("llm", "fake") not in lines
    assert lines[("llm", "quoted key")] == 8
    assert lines[("wake",)] == 9
    assert lines[("wake", "a")] == lines[("wake", "a", "b")] == 10


# ---------------------------------------------------------------------------- problems
def test_unknown_key_is_an_error_at_its_line_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, '[display]\nprofile = "g1"\n\n[llm]\nbackend = "none"\nmodle = "x"\n')
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:6: unknown key 'modle' in [llm] (did you mean 'model'?)")


def test_unknown_section_and_a_key_outside_its_section(tmp_path: Path) -> None:
    path = write(tmp_path, 'profile = "g1"\n[lmm]\nbackend = "none"\n')
    assert problems(path) == [
        f"{path}:1: 'profile' belongs in a section: put it under [display]",
        f"{path}:2: unknown section [lmm] (did you mean [llm]?); sections: [display], [wake], "
        "[listen], [asr], [llm], [paths]",
    ]


def test_every_bad_value_is_reported_at_once_each_at_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """[display]
profile = "g11"
[wake]
threshold = 1.5
[listen]
mode = "wak"
[asr]
captions = "sphinx"
[llm]
max_tokens = "12"
vision = 1
api_key_env = "MY KEY"
""",
    )
    found = problems(path)
    assert [p.split(": ", 1)[0] for p in found] == [f"{path}:{n}" for n in (2, 4, 6, 8, 10, 11, 12)]
    text = "\n".join(found)
    assert "unknown display profile 'g11' (did you mean 'g1'?); known: frame, g1, g2, z100" in text
    assert "wake.threshold must be less than 1, got 1.5" in text
    assert "listen.mode must be one of wake, push_to_talk, always, got 'wak'" in text
    assert "(did you mean 'wake'?)" in text
    assert "unknown captions backend 'sphinx'" in text
    assert "llm.max_tokens must be a valid integer, got '12'" in text  # strict: no "12" → 12
    assert "llm.vision must be a valid boolean, got 1" in text
    assert "llm.api_key_env must name an environment variable" in text


def test_a_section_that_is_not_a_table(tmp_path: Path) -> None:
    path = write(tmp_path, 'llm = "gemma-3-270m"\n')
    assert problems(path) == [
        f"{path}:1: 'llm' must be a section ([llm] with its keys under it), got 'gemma-3-270m'"
    ]


def test_invalid_toml_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[llm]\nbackend = "openai\n')
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:2: not valid TOML: ")
    assert "line" not in problem.split(": ", 2)[2]  # tomllib's "(at line 2, …)" became file:2


def test_settings_that_cannot_work_together(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[llm]\nbackend = "openai"\nurl = "ftp://example.org"\n[wake]\nthreshold = 1e-40\n',
    )
    assert problems(path) == [
        f"{path}:2: the openai backend needs llm.model, the server's model name (e.g. "
        "qwen2.5:0.5b; on the command line --llm-model)",
        f"{path}:3: llm.url must be an http:// or https:// URL, got 'ftp://example.org'",
        f"{path}:5: wake.threshold 1e-40 is on PocketSphinx's scale; the model backend's is a "
        'score such as 0.5 (or set wake.backend = "pocketsphinx")',
    ]


def test_pocketsphinx_threshold_on_the_model_scale(tmp_path: Path) -> None:
    path = write(tmp_path, '[wake]\nbackend = "pocketsphinx"\nthreshold = 0.5\n')
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:3: wake.threshold 0.5 is on the model's scale")


def test_an_in_process_model_must_exist(tmp_path: Path) -> None:
    path = write(tmp_path, '[llm]\nbackend = "llama_cpp"\nmodel = "gemma-3-27m"\n')
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:3: unknown model 'gemma-3-27m' (did you mean 'gemma-3-270m'")
    gguf = write(tmp_path, '[llm]\nbackend = "llama_cpp"\nmodel = "/nowhere/m.gguf"\n', "b.toml")
    assert problems(gguf) == [f"{gguf}:3: no GGUF file at /nowhere/m.gguf"]
    none = write(tmp_path, '[llm]\nbackend = "llama_cpp"\n', "c.toml")
    assert problems(none)[0].startswith(f"{none}:2: the llama_cpp backend needs llm.model")


# ---------------------------------------------------------------------------- where and precedence
def test_default_place_follows_xdg(config_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_config_path() == config_home / "glasses" / "config.toml"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")
    assert default_config_path() == Path.home() / ".config" / "glasses" / "config.toml"


def test_no_file_at_the_default_place_means_the_defaults() -> None:
    config = load_config()
    assert not config.found and config.path == default_config_path()
    wake = default_wake_config()
    assert config.profile == "frame" and config.source("display.profile") == "default"
    assert config["wake.backend"] == wake.backend and config.source("wake.backend") == "wake.toml"
    assert config["wake.threshold"] == wake.model_threshold
    assert config["wake.check"] is wake.check is True and config.source("wake.check") == "wake.toml"
    assert config.wake_settings().check is True
    assert config["llm.backend"] == "none"
    assert config.llm_settings().backend == "none"
    assert set(config.settings) == set(KEYS)


def test_the_wake_check_can_be_turned_off_and_takes_only_a_boolean(tmp_path: Path) -> None:
    path = write(tmp_path, "[wake]\ncheck = false\n")
    config = load_config(path)
    assert config["wake.check"] is False and config.source("wake.check") == f"{path}:2"
    assert config.wake_settings().check is False
    path = write(tmp_path, '[wake]\ncheck = "no"\n')
    (problem,) = problems(path)
    assert problem.startswith(f"{path}:2: wake.check") and "bool" in problem


def test_a_missing_config_option_file_is_an_error(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope.toml") == [f"{tmp_path / 'nope.toml'}: no such config file"]


def test_the_file_over_the_defaults_and_the_command_line_over_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """[display]
profile = "g1"
[wake]
backend = "pocketsphinx"
[listen]
mode = "push_to_talk"
[asr]
open_speech = "pocketsphinx"
captions = "vosk"
[llm]
backend = "llama_cpp"
model = "gemma-3-270m"
chat_format = "gemma"
max_tokens = 64
[paths]
photos = "pics"
data = "~/glasses-data"
""",
    )
    config = load_config(path)
    assert config.profile == "g1" and config.source("display.profile") == f"{path}:2"
    # The wake threshold not in the file: wake.toml's for the backend the file chose.
    assert config["wake.threshold"] == default_wake_config().threshold
    assert config.source("wake.threshold") == "wake.toml"
    listen = config.listen_settings()
    assert (listen.mode, listen.open_speech, listen.wake.backend) == (
        "push_to_talk",
        "pocketsphinx",
        "pocketsphinx",
    )
    assert config.captions == "vosk"
    llm = config.llm_settings()
    assert (llm.backend, llm.model, llm.chat_format, llm.max_tokens) == (
        "llama_cpp",
        "gemma-3-270m",
        "gemma",
        64,
    )
    assert config.photos_dir == tmp_path / "pics"  # relative: to the file's folder
    assert config.data_dir == Path.home() / "glasses-data"

    cli = load_config(
        path,
        {
            "display.profile": ("z100", "--profile"),
            "llm.backend": ("openai", "--llm-url"),
            "llm.url": ("http://127.0.0.1:8080/v1", "--llm-url"),
            "llm.model": ("qwen3", "--llm-model"),
        },
    )
    assert cli.profile == "z100" and cli.source("display.profile") == "--profile"
    settings = cli.llm_settings()
    assert (settings.backend, settings.url, settings.model) == (
        "openai",
        "http://127.0.0.1:8080/v1",
        "qwen3",
    )
    # Another backend on the command line: the file's chat format (for its model) is dropped.
    assert settings.chat_format is None and cli.source("llm.chat_format") == "default"
    assert cli["llm.max_tokens"] == 64  # the file's, still


def test_another_model_on_the_command_line_drops_the_files_chat_format(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[llm]\nbackend = "llama_cpp"\nmodel = "gemma-3-270m"\nchat_format = "gemma"\n'
    )
    gguf = write(tmp_path, "not really a model", "other.gguf")
    config = load_config(path, {"llm.model": (str(gguf), "--llm-model")})
    assert config["llm.model"] == str(gguf) and config["llm.chat_format"] is None


def test_photos_env_wins_over_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[paths]\nphotos = "/from/file"\n')
    monkeypatch.setenv("GLASSES_PHOTOS_DIR", str(tmp_path / "env"))
    config = load_config(path)
    assert config.photos_dir == tmp_path / "env"
    assert config.source("paths.photos") == "$GLASSES_PHOTOS_DIR"


def test_command_line_values_are_checked_as_the_files_are() -> None:
    with pytest.raises(ConfigError) as exc:
        load_config(None, {"display.profile": ("hololens", "--profile")})
    assert exc.value.problems == [
        "--profile: unknown display profile 'hololens'; known: frame, g1, g2, z100"
    ]
    with pytest.raises(ConfigError) as exc:
        load_config(None, {"llm.model": ("qwen", "--llm-model")})
    assert exc.value.problems[0].startswith("--llm-model: needs --llm-url URL")


def test_every_key_of_the_docstring_is_a_key() -> None:
    import glasses.config

    documented = glasses.config.__doc__ or ""
    for key in KEYS:
        section, name = key.split(".")
        assert f"[{section}]" in documented and f"{name} =" in documented, key


def test_parse_config_takes_text() -> None:
    file = parse_config('[display]\nprofile = "g2"\n', Path("x.toml"))
    assert file.get("display.profile") == "g2" and file.where("display.profile") == "x.toml:2"


# ---------------------------------------------------------------------------- glasses config
def test_config_is_a_command() -> None:
    help_text = build_parser().format_help()
    assert "config" in help_text


def test_check_prints_ok_or_the_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path, '[display]\nprofile = "g1"\n')
    assert main(["config", "check", str(good)]) == 0
    assert capsys.readouterr().out == f"{good}: ok\n"
    bad = write(tmp_path, '[display]\nprofle = "g1"\n', "bad.toml")
    assert main(["config", "check", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{bad}:2: unknown key 'profle' in [display]")
    assert main(["config", "check", str(tmp_path / "missing.toml")]) == 2
    assert "no such config file" in capsys.readouterr().err


def test_check_without_a_file_at_the_default_place(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check"]) == 0
    assert capsys.readouterr().out == (
        f"{default_config_path()}: ok (no file there: the defaults apply)\n"
    )


def test_show_says_where_each_value_comes_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[display]\nprofile = "g1"\n\n[llm]\nmax_tokens = 50\n')
    assert main(["config", "show", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"# config file: {path}\n" in out
    lines = {line.split("=")[0].strip(): line for line in out.splitlines() if "=" in line}
    assert lines["profile"].endswith(f"# {path}:2")
    assert lines["max_tokens"].endswith(f"# {path}:5")
    assert lines["threshold"].endswith("# wake.toml")
    assert lines["mode"].endswith("# default")

    assert main(["config", "show", "--config", str(path), "--json"]) == 0
    shown: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert shown["found"] is True
    assert shown["settings"]["display.profile"] == {"value": "g1", "source": f"{path}:2"}
    assert shown["settings"]["llm.backend"] == {"value": "none", "source": "default"}


def test_show_a_bad_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "[wake]\nthreshold = 0\n")
    assert main(["config", "show", "--config", str(path)]) == 2
    assert capsys.readouterr().err.startswith(f"{path}:2: wake.threshold must be greater than 0")


def test_the_default_file_is_read(config_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config_home / "glasses" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('[listen]\nmode = "always"\n', encoding="utf-8")
    assert main(["config", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["settings"]["listen.mode"] == {"value": "always", "source": f"{path}:2"}


# ---------------------------------------------------------------------------- sim and run
def test_sim_and_run_stop_on_a_bad_config_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, '[llm]\nbackend = "llama_cpp"\nmodel = "qwen9"\n')
    assert main(["sim", "--headless", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"glasses sim: {path}:3: unknown model 'qwen9'")
    assert err.count("\n") == 1
    assert main(["run", "--camera", "sim:", "--mic", "none", "--config", str(path)]) == 2
    assert capsys.readouterr().err.startswith(f"glasses run: {path}:3: unknown model 'qwen9'")
    assert main(["sim", "--headless", "--config", str(tmp_path / "none.toml")]) == 2
    assert "none.toml: no such config file" in capsys.readouterr().err


def test_an_endpoint_opens_no_socket_before_the_first_question(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_socket(*args: object, **kwargs: object) -> None:
        raise AssertionError("a socket was opened while setting up")

    args = build_parser().parse_args(
        ["sim", "--llm-url", "http://127.0.0.1:9/v1", "--llm-model", "qwen3:0.6b"]
    )
    monkeypatch.setattr(socket, "socket", no_socket)
    monkeypatch.setattr(socket, "create_connection", no_socket)
    config = assistant_options.load(args)
    setup = assistant_options.assistant_setup(args, config, simulator=True)
    assert isinstance(setup.llm, OpenAICompatModel)
    assert setup.llm.name == "openai:qwen3:0.6b@http://127.0.0.1:9/v1"


def test_llm_url_without_a_model_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--headless", "--llm-url", "http://127.0.0.1:9/v1"]) == 2
    assert capsys.readouterr().err.startswith(
        "glasses sim: --llm-url: the openai backend needs llm.model"
    )


@pytest.mark.slow
def test_llm_gemma_is_loaded_before_the_session_with_a_progress_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from glasses.assistant.llm.llama_cpp import LlamaCppModel

    args = build_parser().parse_args(["sim", "--llm", "gemma-3-270m"])
    config = assistant_options.load(args)
    assert config.source("llm.backend") == config.source("llm.model") == "--llm"
    setup = assistant_options.assistant_setup(args, config, simulator=True)
    assert isinstance(setup.llm, LlamaCppModel) and setup.llm.loaded
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "loading the language model llama.cpp:gemma-3-270m-q4_k_m …"
    assert err[1].startswith("language model llama.cpp:gemma-3-270m-q4_k_m ready (")


def test_the_simulator_takes_what_the_scenario_does_not_state(tmp_path: Path) -> None:
    """A scenario's device: section wins; what it leaves out comes from the config."""
    from glasses.app.setup import AssistantSetup
    from glasses.runtime.clock import VirtualClock
    from simulator.rig import SimRig
    from simulator.scenario import DeviceSpec

    path = write(tmp_path, '[display]\nprofile = "g2"\n[listen]\nmode = "push_to_talk"\n')
    config = load_config(path)
    setup = AssistantSetup(profile=config.profile, listen=config.listen_settings())
    unstated = SimRig(VirtualClock(), DeviceSpec(), setup=setup)
    assert unstated.profile.name == "g2"
    assert unstated.pipeline.listen is not None
    assert unstated.pipeline.listen.settings.mode == "push_to_talk"
    stated = SimRig(VirtualClock(), DeviceSpec(profile="g1", listen="wake"), setup=setup)
    assert stated.profile.name == "g1"
    assert stated.pipeline.listen is not None and stated.pipeline.listen.settings.mode == "wake"


def test_run_takes_its_profile_from_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    poster = tmp_path / "poster.png"
    cv2.imwrite(str(poster), render_scene(SceneSpec(kind="qr", content="hello", scale=0.4)))
    path = write(tmp_path, '[display]\nprofile = "g1"\n')
    base = ["run", "--camera", f"file:{poster}", "--mic", "none", "--speaker", "none"]
    code = main([*base, "--headless", "--duration", "0.5", "--config", str(path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "profile     g1 —" in out
    code = main(
        [*base, "--headless", "--duration", "0.5", "--config", str(path), "--profile", "z100"]
    )
    assert code == 0
    assert "profile     z100 —" in capsys.readouterr().out
