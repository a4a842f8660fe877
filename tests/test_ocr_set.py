"""The generated OCR set: real TrueType faces, deterministic frames, ground truth, scoring."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import ocr_set
from simulator.ocr_set import FACES, OcrScore, edit_distance, score

try:
    ocr_set.font_paths()
except ocr_set.FontsMissing as exc:  # a machine set up without `make setup`
    pytest.skip(str(exc), allow_module_level=True)


def test_every_face_is_a_dejavu_truetype_file() -> None:
    paths = ocr_set.font_paths()
    assert set(paths) == set(FACES)
    for path in paths.values():
        assert path.suffix == ".ttf" and path.read_bytes()[:4] == b"\x00\x01\x00\x00"


def test_frames_are_deterministic_by_seed_and_index() -> None:
    a, b = ocr_set.sample(5, seed=3), ocr_set.sample(5, seed=3)
    assert np.array_equal(a.image, b.image) and a.lines == b.lines and a.face == b.face
    c = ocr_set.sample(5, seed=4)
    assert not np.array_equal(a.image, c.image)
    assert a.image.shape == (480, 640, 3) and a.image.dtype == np.uint8


def test_the_set_has_ground_truth_in_six_faces_and_three_kinds() -> None:
    samples = ocr_set.validation_set(12)
    assert {s.face for s in samples} == set(FACES)
    assert {s.kind for s in samples} <= {"sign", "menu", "label"}
    assert len({s.kind for s in samples}) >= 2
    for s in samples:
        assert s.lines and all(line.strip() == line and line for line in s.lines)
    assert any(" " in line for s in samples for line in s.lines)  # word spaces are tested
    cal = ocr_set.calibration_set(2)
    assert not np.array_equal(cal[0].image, samples[0].image)


def test_scoring_counts_exact_lines_and_character_errors() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    s = score(["Way out", "Level 2"], ["Level 2", "Wayout"])
    assert (s.lines, s.exact) == (2, 1)
    assert s.char_errors == edit_distance("Way out\nLevel 2", "Level 2\nWayout")
    total = s + OcrScore(2, 2, 0, 10)
    assert total.line_exact == 0.75 and total.chars == s.chars + 10


def test_our_reader_reads_most_lines_of_the_harder_set() -> None:
    from glasses.perception.ocr import OcrReader

    reader = OcrReader(verify=False, precision="fp32")
    total = OcrScore()
    for s in ocr_set.validation_set(6):
        total = total + score(s.lines, [line.text for line in reader.read(s.image)])
    assert total.line_exact >= 0.8, total
    assert total.cer < 0.1, total
