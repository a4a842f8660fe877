"""The memory: the SQLite store, the remember/recall skills through the dispatcher, the CLI."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import cv2
import numpy as np
import pytest

from glasses.app.services import session_services
from glasses.assistant.dispatch import SkillStage
from glasses.assistant.intents import ASK, RECALL
from glasses.assistant.memory import (
    MEMORY_FILE,
    MemoryStoreError,
    SqliteMemory,
    default_memory_path,
    how_long_ago,
    query_words,
)
from glasses.assistant.services import Services
from glasses.assistant.skills import RecallSkill, RememberSkill, builtin_skills
from glasses.assistant.skills.memory import thumbnail_jpeg
from glasses.assistant.triggers import TriggerTable
from glasses.cli.main import main
from glasses.runtime.events import (
    CodesDetected,
    DecodedCode,
    Event,
    HudUpdate,
    Intent,
    Say,
    TextRead,
    VideoFrame,
)
from glasses.runtime.testing import drive

MS = 1_000_000
S = 1_000_000_000


class Wall:
    """A wall clock the test moves by hand (Unix seconds)."""

    def __init__(self, t: float = 1_767_261_600.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def wall() -> Wall:
    return Wall()


@pytest.fixture
def store(tmp_path: Path, wall: Wall) -> SqliteMemory:
    return SqliteMemory(tmp_path / "data" / MEMORY_FILE, now=wall)


# -- the store -----------------------------------------------------------------------------------


def test_add_search_newest_first_and_forget(store: SqliteMemory, wall: Wall) -> None:
    first = store.add("the car is on level three", seen_text="P3 ZONE B")
    wall.t += 60
    second = store.add("my keys are on the table")
    wall.t += 60
    third = store.add("the other car is at the station")
    assert first < second < third

    assert [e.id for e in store.search("car")] == [third, first]  # newest first
    assert [e.id for e in store.recent()] == [third, second, first]
    (keys,) = store.search("where are my keys")  # "where", "are", "my" say how, not what
    assert keys.text == "my keys are on the table"
    assert keys.t_unix_s == wall.t - 60
    assert store.search("key")[0].id == second  # stemmed: "key" finds "keys"
    assert store.search("zone b")[0].seen_text == "P3 ZONE B"  # the text read in view counts
    # Every word first; if no entry holds them all, any of them.
    assert [e.id for e in store.search("car level")] == [first]
    assert [e.id for e in store.search("table station")] == [third, second]
    assert store.search("passport") == []
    assert [e.id for e in store.search("car", limit=1)] == [third]

    assert store.forget(first) is True
    assert store.forget(first) is False
    assert store.search("level") == []
    assert store.get(first) is None
    assert store.count() == 2
    assert store.add("a new one") > third  # a forgotten id is never given again


@pytest.mark.parametrize(
    "query",
    [
        'car" OR "keys',
        "car* NEAR(keys)",
        "keys) OR (car",
        "text:car",
        "^car",
        '"""',
        "'; DROP TABLE entries; --",
        "car AND NOT keys",
        "-keys",
        "{text}: car",
    ],
)
def test_fts_syntax_in_a_query_is_only_words(store: SqliteMemory, query: str) -> None:
    store.add("the car is on level three")
    store.add("my keys are on the table")
    found = store.search(query)  # never an FTS5 syntax error, never an injected operator
    words = set(query_words(query))
    assert all(any(w in e.text for w in words) for e in found)
    assert store.count() == 2


def test_only_stop_words_still_search(store: SqliteMemory) -> None:
    store.add("where is it")
    assert query_words("where is it") == ["where", "is", "it"]
    assert len(store.search("where is it")) == 1
    assert store.search("   ") == [] and store.search("?!") == []


def test_words_are_kept_as_given_and_entries_need_words(store: SqliteMemory) -> None:
    entry_id = store.add("  Gate   B12,  row 7 \n")
    entry = store.get(entry_id)
    assert entry is not None and entry.text == "Gate B12, row 7"
    with pytest.raises(ValueError, match="needs words"):
        store.add("  ")


def test_nothing_is_created_until_used_then_private(tmp_path: Path, wall: Wall) -> None:
    folder = tmp_path / "data" / "glasses"
    store = SqliteMemory(folder / MEMORY_FILE, now=wall)
    assert not folder.exists()
    store.add("x marks the spot")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in (MEMORY_FILE, f"{MEMORY_FILE}-wal", f"{MEMORY_FILE}-shm"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    conn = sqlite3.connect(folder / MEMORY_FILE)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()
    store.close()


def test_a_symlinked_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "glasses").symlink_to(tmp_path / "elsewhere")
    store = SqliteMemory(tmp_path / "glasses" / MEMORY_FILE)
    with pytest.raises(MemoryStoreError, match="symbolic link"):
        store.add("diverted")
    assert not list((tmp_path / "elsewhere").iterdir())


def test_forget_overwrites_the_words_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / MEMORY_FILE
    with SqliteMemory(path) as store:
        store.add("keep this one")
        secret = store.add("the safe code is zebra4711")
        assert store.forget(secret)
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"zebra4711" not in data
    assert b"keep this one" in data


def test_the_default_path_follows_xdg_data_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_memory_path() == tmp_path / "glasses" / MEMORY_FILE
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert default_memory_path() == Path.home() / ".local/share/glasses" / MEMORY_FILE


def _damaged(path: Path) -> None:
    """A real memory database whose pages are then overwritten in the middle."""
    with SqliteMemory(path) as store:
        for i in range(200):
            store.add(f"entry number {i} " + "padding " * 40)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[4096 : 4096 * 6] = b"\xa5" * (4096 * 5)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["not a database", "damaged pages"])
def test_a_corrupt_file_is_one_line_naming_the_file_and_the_fix(
    tmp_path: Path, damage: str
) -> None:
    path = tmp_path / MEMORY_FILE
    if damage == "not a database":
        path.write_bytes(b"this is no SQLite file " * 300)
    else:
        _damaged(path)
    store = SqliteMemory(path)
    for use in (store.recent, lambda: store.search("entry number"), lambda: store.add("more")):
        with pytest.raises(MemoryStoreError) as info:
            use()
        message = str(info.value)
        assert "\n" not in message
        assert message.startswith(f"{path}: not a readable memory database")
        assert f"mv {path} {path}.damaged" in message


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / MEMORY_FILE
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(MemoryStoreError, match="newer glasses"):
        SqliteMemory(path).recent()


def test_how_long_ago() -> None:
    said = [how_long_ago(s) for s in (-3, 0, 9.9, 12, 59.9, 60, 3599, 3600, 86399, 86400, 2e5)]
    assert said == [
        "just now",
        "just now",
        "just now",
        "12 s ago",
        "59 s ago",
        "1 min ago",
        "59 min ago",
        "1 h ago",
        "23 h ago",
        "1 day ago",
        "2 days ago",
    ]


# -- the skills, through the dispatcher --------------------------------------------------------


def _scene() -> np.ndarray:
    image = np.full((480, 640, 3), 200, np.uint8)
    cv2.putText(image, "LEVEL 3", (120, 260), cv2.FONT_HERSHEY_SIMPLEX, 3, (0, 0, 0), 8)
    return image


def _run(services: Services, said: list[tuple[float, str]], *, frames: bool = True) -> list[Event]:
    """Each ``(t_s, transcript)`` as an ``ask`` intent (as the listener emits open speech), with
    a camera frame and what perception read from it just before."""
    stage = SkillStage(builtin_skills(), services)
    events: list[Event] = []
    if frames:
        events += [
            VideoFrame(t_ns=100 * MS, source="camera", image=_scene(), index=0),
            TextRead(
                t_ns=150 * MS, source="ocr", lines=("LEVEL 3",), frame_index=0, frame_t_ns=100 * MS
            ),
            CodesDetected(
                t_ns=160 * MS,
                source="codes",
                codes=(DecodedCode("QR", "https://example.org/p3"),),
                frame_index=0,
                frame_t_ns=100 * MS,
            ),
        ]
    events += [
        Intent(t_ns=round(t * S), source="listen", name=ASK, phrase=text, turn_id=n)
        for n, (t, text) in enumerate(said, start=1)
    ]
    driven = drive([stage], events, round((said[-1][0] + 1) * S), observers=[stage.see])
    driven.raise_on_crash()
    return list(driven.events)


def _cards(events: list[Event]) -> list[str]:
    return [
        f"{e.card.title}|{e.card.body}|{'/'.join(e.card.items)}"
        for e in events
        if isinstance(e, HudUpdate) and e.card is not None
    ]


def _memory(tmp_path: Path, *, capturing: bool, wall: Wall) -> Services:
    return session_services(data_dir=tmp_path, capturing=lambda: capturing, wall_time=wall)


def test_remember_stores_words_time_text_in_view_and_a_thumbnail(
    tmp_path: Path, wall: Wall
) -> None:
    services = _memory(tmp_path, capturing=True, wall=wall)
    events = _run(services, [(1.0, "Remember that I parked on level 3.")])
    assert _cards(events) == ["Remembered|“I parked on level 3”|"]
    assert [e.text for e in events if isinstance(e, Say)] == ["Got it."]
    with SqliteMemory(tmp_path / MEMORY_FILE) as store:
        (entry,) = store.recent()
    assert entry.text == "I parked on level 3"  # as Whisper wrote it, "that" dropped
    assert entry.t_unix_s == wall.t
    assert entry.seen_text == "LEVEL 3\nhttps://example.org/p3"
    assert entry.thumbnail_jpeg is not None
    thumb = cv2.imdecode(np.frombuffer(entry.thumbnail_jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert thumb is not None and thumb.shape == (120, 160, 3)
    assert len(entry.thumbnail_jpeg) < 12_000


def test_with_the_capture_indicator_off_only_the_words_are_stored(
    tmp_path: Path, wall: Wall
) -> None:
    services = _memory(tmp_path, capturing=False, wall=wall)
    events = _run(services, [(1.0, "remember the car is on level three")])
    assert _cards(events) == ["Remembered|“the car is on level three”|"]
    with SqliteMemory(tmp_path / MEMORY_FILE) as store:
        (entry,) = store.recent()
    assert entry.text == "the car is on level three"
    assert entry.thumbnail_jpeg is None
    assert entry.seen_text == ""  # text read while it was on is something the camera saw


def test_stale_reads_are_not_in_view(tmp_path: Path, wall: Wall) -> None:
    services = _memory(tmp_path, capturing=True, wall=wall)
    _run(services, [(9.0, "remember the bike is by the tree")])  # read 8.85 s before
    with SqliteMemory(tmp_path / MEMORY_FILE) as store:
        (entry,) = store.recent()
    assert entry.seen_text == ""
    assert entry.thumbnail_jpeg is not None  # the newest frame is still the view


def test_recall_lists_matches_newest_first_with_how_long_ago(tmp_path: Path, wall: Wall) -> None:
    with SqliteMemory(tmp_path / MEMORY_FILE, now=wall) as store:
        store.add("I parked on level 3")
        wall.t += 3600
        store.add("my keys are on the table")
        wall.t += 120
        store.add("I parked the bike at the station")
    wall.t += 30
    services = _memory(tmp_path, capturing=True, wall=wall)
    events = _run(
        services,
        [
            (1.0, "Where did I park?"),
            (2.0, "where are my keys"),
            (3.0, "where's my passport"),
            (4.0, "what do you remember about the table"),
        ],
    )
    assert _cards(events) == [
        "Memory||I parked the bike at the station (30 s ago)/I parked on level 3 (1 h ago)",
        "Memory||my keys are on the table (2 min ago)",
        "Not remembered|Nothing about “my passport”.|",
        "Memory||my keys are on the table (2 min ago)",
    ]
    said = [e.text for e in events if isinstance(e, Say)]
    assert said[0] == "I parked the bike at the station, 30 s ago."
    assert said[2] == "I don't remember anything about that."
    intents = [e.name for e in events if isinstance(e, Intent)]
    assert intents == [ASK] * 4  # rewritten inside the dispatcher, never an LLM question


def test_what_do_you_remember_lists_the_newest(tmp_path: Path, wall: Wall) -> None:
    services = _memory(tmp_path, capturing=True, wall=wall)
    stage = SkillStage([RememberSkill(), RecallSkill()], services)
    intent = Intent(t_ns=1 * S, source="listen", name=RECALL, phrase="what do you remember")
    events = drive([stage], [intent], 2 * S).events
    assert _cards(list(events)) == ["Nothing remembered yet||"]
    assert services.memory is not None
    services.memory.add("one")
    services.memory.add("two")
    events = drive([stage], [intent], 2 * S).events
    assert _cards(list(events)) == ["Recent memories||two (just now)/one (just now)"]


def test_open_speech_the_memory_skills_claim(tmp_path: Path) -> None:
    table = TriggerTable.build(builtin_skills())
    claims = {
        "remember I parked on level 3": ("remember", "i parked on level 3"),
        "please remember that the code is 4711": ("remember", "the code is 4711"),
        "where is the car": ("recall", "the car"),
        "where's my wallet": ("recall", "my wallet"),
        "where did I put my keys": ("recall", "put my keys"),
        "what did I say about the meeting": ("recall", "say about the meeting"),
        "do you remember the name of the hotel": ("recall", "the name of the hotel"),
    }
    for said, (intent, what) in claims.items():
        assert table.text(said) == (intent, (("what", what),)), said
    assert table.text("what do you remember") == ("recall", ())
    for question in ("what is the weather today", "how tall is the eiffel tower", "i remember"):
        assert table.text(question) is None, question
    assert "what do you remember" in [p.text for p in table.phrases]


def test_a_damaged_store_is_a_card_not_a_crash(tmp_path: Path, wall: Wall) -> None:
    (tmp_path / MEMORY_FILE).write_bytes(b"garbage " * 1000)
    services = _memory(tmp_path, capturing=True, wall=wall)
    events = _run(services, [(1.0, "remember the car is outside"), (2.0, "where is the car")])
    cards = _cards(events)
    assert cards[0].startswith(f"Not remembered|{tmp_path / MEMORY_FILE}: not a readable")
    assert cards[1].startswith("Memory unavailable|")
    assert not [e for e in events if type(e).__name__ == "StageCrashed"]


def test_without_a_store_memory_is_off() -> None:
    events = _run(Services(), [(1.0, "remember the car is outside")], frames=False)
    assert _cards(events) == ["Memory is off|No memory store is set up.|"]


def test_the_simulator_store_is_in_ram_and_fresh(tmp_path: Path) -> None:
    a, b = session_services(), session_services()
    assert isinstance(a.memory, SqliteMemory) and a.memory.path is None
    a.memory.add("only in a")
    assert b.memory is not None and b.memory.recent() == []


def test_thumbnail_is_never_scaled_up() -> None:
    small = np.zeros((60, 80, 3), np.uint8)
    decoded = cv2.imdecode(np.frombuffer(thumbnail_jpeg(small), np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None and decoded.shape == (60, 80, 3)


# -- the command line --------------------------------------------------------------------------


def test_cli_list_search_forget(
    tmp_path: Path, wall: Wall, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / MEMORY_FILE
    assert main(["memory", "list", "--db", str(db)]) == 0
    assert "nothing remembered yet" in capsys.readouterr().out
    assert not db.exists()  # listing never creates the file

    with SqliteMemory(db) as store:
        car = store.add(
            "the car is on level three", seen_text="LEVEL 3", thumbnail_jpeg=b"x" * 3000
        )
        keys = store.add("my keys are on the table")
    assert main(["memory", "list", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [f"#{keys}", f"#{car}"]
    assert lines[0].endswith("(just now)  my keys are on the table")
    assert lines[1].endswith("the car is on level three  [seen: LEVEL 3; thumbnail 3.0 kB]")

    assert main(["memory", "search", "--db", str(db), "where", "is", "the", "car?"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(f"#{car} ")
    assert main(["memory", "search", "--db", str(db), "passport"]) == 0
    assert capsys.readouterr().out == "nothing remembered about 'passport'\n"

    assert main(["memory", "forget", "--db", str(db), str(car)]) == 0
    assert capsys.readouterr().out == f"forgot #{car}: the car is on level three\n"
    assert main(["memory", "forget", "--db", str(db), str(car)]) == 1
    assert capsys.readouterr().err == f"glasses memory: no entry #{car} in {db}\n"


def test_cli_uses_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with SqliteMemory(tmp_path / "glasses" / MEMORY_FILE) as store:
        store.add("the umbrella is in the hall")
    assert main(["memory", "search", "umbrella"]) == 0
    assert "the umbrella is in the hall" in capsys.readouterr().out


def test_cli_damaged_database_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / MEMORY_FILE
    db.write_bytes(b"garbage " * 1000)
    for action in (["list"], ["search", "car"], ["forget", "1"]):
        assert main(["memory", *action, "--db", str(db)]) == 3
        out = capsys.readouterr()
        assert out.out == ""
        assert out.err.count("\n") == 1 and "Traceback" not in out.err
        assert out.err.startswith(f"glasses memory: {db}: not a readable memory database")
        assert f"mv {db} {db}.damaged" in out.err


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["list", "-n", "0"], "the limit must be from 1"),
        (["list", "-n", "-1"], "the limit must be from 1"),
        (["search", "-n", str(2**70), "car"], "the limit must be from 1"),
        (["search", "-n", "many", "car"], "the limit must be a whole number"),
        (["forget", str(2**63)], "an entry id must be from 1"),
        (["forget", "0"], "an entry id must be from 1"),
    ],
)
def test_cli_counts_out_of_range_are_usage_errors(
    tmp_path: Path, args: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # A limit of 0 or less listed nothing and said nothing was remembered; an id or limit
    # past SQLite's integers was an OverflowError traceback.
    db = tmp_path / MEMORY_FILE
    with SqliteMemory(db) as store:
        store.add("the car is on level three")
    with pytest.raises(SystemExit) as exited:
        main(["memory", args[0], "--db", str(db), *args[1:]])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert complaint in err and "Traceback" not in err


def test_cli_list_and_search_leave_an_empty_file_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / MEMORY_FILE
    db.touch()
    for action in (["list"], ["search", "car"]):
        assert main(["memory", *action, "--db", str(db)]) == 0
        assert capsys.readouterr().out == f"nothing remembered yet ({db} is empty)\n"
        assert db.stat().st_size == 0  # not made into a database
