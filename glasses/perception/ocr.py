"""Reading text (signs, labels, pages) from camera frames with the PP-OCRv6 models.

Pure and blocking: ``OcrReader.read`` takes one image and returns its text lines; a perception
stage runs it off the event loop. The detection and recognition models are the ones the
``rapidocr`` wheel ships (see ``models/manifest.toml``), run through our own onnxruntime
sessions with our own pre- and post-processing:

1. Detection (DB): the frame, scaled so its shorter side is ``det_side_px`` (multiples of 32),
   gives a text probability map; each connected region above ``det_threshold`` becomes a rotated
   rectangle, grown by the DB "unclip" distance (area × ratio / perimeter) on every side.
2. Recognition (CTC): each rectangle is warped upright to a crop 48 px high; crops sorted by
   aspect ratio are recognised in batches padded to the batch's widest; greedy CTC decoding keeps
   the model's space character, so words stay apart.
3. Reading order: lines grouped into rows by vertical overlap, rows top to bottom, lines in a row
   left to right.

The 180° text-direction classifier is not used: it flipped correct upright crops.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import onnxruntime as ort

from glasses.allocator import on_release
from models.registry import ModelError, Registry, default_registry, open_session

log = logging.getLogger(__name__)

DET_MODEL = "ppocr-det"
REC_MODEL = "ppocr-rec"
_REC_HEIGHT_PX = 48
# Narrowest batch width, as a width/height ratio (the models' 320×48 training shape).
_REC_MIN_RATIO = 320 / 48
_DET_MULTIPLE_PX = 32
_MIN_BOX_SIDE_PX = 3  # on the probability map; smaller regions are specks
Precision = Literal["auto", "fp32", "int8"]


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One line of text: ``score`` is the mean CTC confidence (0..1) of its characters;
    ``box`` its four corners (top-left, top-right, bottom-right, bottom-left) in px of the
    image given to ``OcrReader.read``."""

    text: str
    score: float
    box: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class OcrSettings:
    """Tuning for glasses frames.

    ``det_side_px``: the detector's input is scaled so its shorter side is this many px (a
    640×480 frame runs at its own size with 480), its longer side capped at ``det_max_side_px``.
    Smaller sides are faster (384: 0.77 of the time, 98.5 % of the hard set's lines exact
    against 99.2 %) but a lone character next to a word is then read as noise ("PLATFORM 4"
    as "PLATFORM" on the voice scenario's sign), so 480 stays.
    ``det_threshold``: probability above which a map pixel is text. ``box_threshold``: minimum
    mean probability inside a region for it to be kept. ``unclip_ratio``: how far regions are
    grown (DB's ratio). ``min_score``: lines recognised with a lower mean confidence are dropped.
    ``rec_batch``: crops per recognition batch at most; ``rec_max_pad``: how much wider (as a
    fraction) than its narrowest crop a batch may be padded. ``threads``: onnxruntime
    intra-op threads.
    """

    det_side_px: int = 480
    det_max_side_px: int = 960
    det_threshold: float = 0.3
    box_threshold: float = 0.4  # 0.5 dropped the lone "4" of "PLATFORM 4" (its box is thin)
    unclip_ratio: float = 1.6
    min_score: float = 0.5
    rec_batch: int = 6
    rec_max_pad: float = 0.25
    threads: int = 2

    def __post_init__(self) -> None:
        if self.det_side_px < _DET_MULTIPLE_PX or self.det_max_side_px < self.det_side_px:
            raise ValueError(
                f"det_side_px must be >= {_DET_MULTIPLE_PX} and <= det_max_side_px, got "
                f"{self.det_side_px} and {self.det_max_side_px}"
            )
        if self.rec_max_pad < 0:
            raise ValueError(f"rec_max_pad must be >= 0, got {self.rec_max_pad}")
        if self.rec_batch < 1 or self.threads < 1:
            raise ValueError(
                f"rec_batch and threads must be >= 1, got {self.rec_batch}, {self.threads}"
            )


_SESSIONS: dict[tuple[str, int, int, int], ort.InferenceSession] = {}


def _shared_session(path: Path, threads: int) -> tuple[ort.InferenceSession, bool]:
    """The session of the model file at ``path``, opened once per process (and again when the
    file changes) and shared by every reader: the read skill's and the frame summary's, and
    each scenario's of a batch (one reader costs ~130 MB, its weights prepacked by the graph
    optimisations). onnxruntime sessions may run concurrently. True when it was opened now."""
    try:
        info = path.stat()
    except OSError:  # gone: open_session says so in its one line
        return open_session(path, session_options(threads)), True
    key = (str(path.resolve()), info.st_mtime_ns, info.st_size, threads)
    session = _SESSIONS.get(key)
    if session is not None:
        return session, False
    session = _SESSIONS[key] = open_session(path, session_options(threads))
    return session, True


_ARENA_LOCK = threading.Lock()
_arena_registered = False


def _shared_arena() -> None:
    """Register, once per process, the CPU memory arena the sessions of ``session_options``
    share (``session.use_env_allocators``) instead of one arena each."""
    global _arena_registered
    with _ARENA_LOCK:
        if not _arena_registered:
            memory = ort.OrtMemoryInfo(
                "Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT
            )
            ort.create_and_register_allocator(memory, None)  # None: the default arena settings
            _arena_registered = True


_SHRINK_WITH: list[tuple[ort.InferenceSession, str]] = []


def _shrink_arena() -> None:
    """Give the shared arena's free regions back (``memory.enable_memory_arena_shrinkage``,
    which onnxruntime applies at the end of a run: here a detector run on a 32×32 blank, ~1 ms).
    The arena keeps a 640×480 frame's activations (~60 MB) between reads, so reads seconds apart
    do not fault them in again; a Whisper decode, ~100 MB of its own, asks for them first
    (``glasses.allocator.release_free_memory``)."""
    for session, name in _SHRINK_WITH[:1]:
        options = ort.RunOptions()
        options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        session.run(None, {name: np.zeros((1, 3, 32, 32), np.float32)}, options)


def session_options(threads: int) -> ort.SessionOptions:
    """Our onnxruntime settings: all graph optimisations, ``threads`` intra-op threads that
    sleep rather than spin between runs (spinning steals the CPU from the event loop).

    ``ORT_ENABLE_ALL`` adds the layout optimisations (NCHWc convolution kernels on x86): the
    PP-OCR detector runs 1.5× faster than at ``EXTENDED`` (231 → 152 ms per 640×480 frame on
    this 2-core machine under load), the recogniser about the same.

    Memory: no memory patterns (onnxruntime plans and keeps one per input shape, and the
    recogniser's batch width changes with every line), and one activation arena shared by every
    session opened with these options: the detector and the recogniser run one after the other,
    so the recogniser's tensors fit in what the detector's left free. The OCR reader over 36
    reads of 12 generated 640×480 signs kept 212 MB with its own arenas and patterns, 158 MB
    without patterns, 134 MB with the arena shared too, at the same ms per read and the same
    text.
    """
    _shared_arena()
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.enable_mem_pattern = False
    options.add_session_config_entry("session.use_env_allocators", "1")
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only
    return options


class OcrReader:
    """Reads the text lines in an image. Loads both models and warms them up on construction.

    ``registry`` finds and verifies the model files (``verify=False`` skips the fp32 files'
    sha256 check, ~40 ms). ``precision``: ``fp32`` runs the shipped models; ``int8`` the
    quantized files of ``glasses models quantize`` (a ``ModelError`` if absent or altered);
    ``auto`` (the default) a model's int8 file only where it exists, still has the sha256 its
    report recorded, and the report shows line accuracy within 1 point of fp32; an int8 file
    that fails its check is skipped for the fp32 model, with a warning. ``overrides`` maps a
    model id to an explicit file (quantization reports use it to try one candidate).
    ``model_paths`` tells which files were loaded. Raises ``ModelError`` (one line) when a model
    file is missing, corrupt or not loadable. Thread-safe: onnxruntime sessions may run
    concurrently.
    """

    def __init__(
        self,
        settings: OcrSettings | None = None,
        *,
        registry: Registry | None = None,
        verify: bool = True,
        precision: Precision = "auto",
        overrides: Mapping[str, Path] | None = None,
    ) -> None:
        if precision not in ("auto", "fp32", "int8"):
            raise ValueError(f"precision must be auto, fp32 or int8, got {precision!r}")
        self.settings = settings or OcrSettings()
        registry = registry or default_registry()
        det_path = registry.path(DET_MODEL, check=verify)
        rec_path = registry.path(REC_MODEL, check=verify)
        self.model_paths = {DET_MODEL: det_path, REC_MODEL: rec_path}
        if precision != "fp32":
            from models import quantize  # light: onnxruntime.quantization loads lazily there

            for model_id in (DET_MODEL, REC_MODEL):
                check = quantize.check_int8(model_id, registry.cache_dir, cached=True)
                if precision == "int8" and check.status != "ok":
                    raise ModelError(check.message())
                if check.status == "ok" and (precision == "int8" or check.accepted):
                    self.model_paths[model_id] = check.path
                elif check.fault:  # bit rot, a truncated copy: never run it
                    log.warning("%s; using the checked fp32 model instead", check.message())
        self.model_paths.update(overrides or {})
        det_path, rec_path = self.model_paths[DET_MODEL], self.model_paths[REC_MODEL]
        threads = self.settings.threads
        self._det, det_new = _shared_session(det_path, threads)
        self._rec, rec_new = _shared_session(rec_path, threads)
        self._det_input = self._det.get_inputs()[0].name
        _SHRINK_WITH[:] = [(self._det, self._det_input)]  # any session on the shared arena
        on_release(_shrink_arena)
        self._rec_input = self._rec.get_inputs()[0].name
        self._charset = _charset(self._rec, rec_path)
        if det_new or rec_new:
            self._warm_up()

    def read(self, image: np.ndarray, *, center_fraction: float = 1.0) -> list[OcrLine]:
        """The text lines of ``image`` (H×W×3 BGR or H×W grey, uint8), in reading order.

        ``center_fraction`` in (0, 1] restricts reading to the centred window that spans this
        fraction of the width and of the height ("what I'm looking at"); boxes stay in px of
        ``image``. Raises ``ValueError`` for anything but a non-empty uint8 grey or BGR image.
        """
        bgr = _as_bgr(image)
        if not 0.0 < center_fraction <= 1.0:
            raise ValueError(f"center_fraction must be within (0, 1], got {center_fraction}")
        x0 = y0 = 0
        if center_fraction < 1.0:
            h, w = bgr.shape[:2]
            cw, ch = max(1, round(w * center_fraction)), max(1, round(h * center_fraction))
            x0, y0 = (w - cw) // 2, (h - ch) // 2
            bgr = bgr[y0 : y0 + ch, x0 : x0 + cw]
        boxes = self._detect(bgr)
        if not boxes:
            return []
        crops = [_crop(bgr, box) for box in boxes]
        texts = self._recognise(crops)
        offset = np.array([x0, y0], np.float32)
        lines = [
            OcrLine(text, score, tuple((float(x), float(y)) for x, y in box + offset))
            for (text, score), box in zip(texts, boxes, strict=True)
            if text.strip() and score >= self.settings.min_score
        ]
        return reading_order(lines)

    # ----------------------------------------------------------------------------------------
    # Detection

    def detector_input(self, bgr: np.ndarray) -> np.ndarray:
        """The detector's 1×3×H×W input for a BGR image (also calibration data)."""
        h, w = bgr.shape[:2]
        rw, rh = self._det_size(h, w)
        resized = cv2.resize(bgr, (rw, rh)) if (rw, rh) != (w, h) else bgr
        return _normalise(resized)[np.newaxis]

    def crops(self, image: np.ndarray) -> list[np.ndarray]:
        """The upright line crops the detector finds in ``image`` (before recognition)."""
        bgr = _as_bgr(image)
        return [_crop(bgr, box) for box in self._detect(bgr)]

    def _det_size(self, h: int, w: int) -> tuple[int, int]:
        s = self.settings
        scale = s.det_side_px / min(h, w)
        scale = min(scale, s.det_max_side_px / max(h, w))
        rh = max(_DET_MULTIPLE_PX, round(h * scale / _DET_MULTIPLE_PX) * _DET_MULTIPLE_PX)
        rw = max(_DET_MULTIPLE_PX, round(w * scale / _DET_MULTIPLE_PX) * _DET_MULTIPLE_PX)
        return rw, rh

    def _detect(self, bgr: np.ndarray) -> list[np.ndarray]:
        """Text boxes as 4×2 float32 corners (tl, tr, br, bl) in px of ``bgr``."""
        s = self.settings
        h, w = bgr.shape[:2]
        rw, rh = self._det_size(h, w)
        tensor = self.detector_input(bgr)
        prob = self._det.run(None, {self._det_input: tensor})[0][0, 0]
        mask = cv2.dilate((prob > s.det_threshold).astype(np.uint8), np.ones((2, 2), np.uint8))
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        sx, sy = w / rw, h / rh
        boxes: list[np.ndarray] = []
        for contour in contours:
            rect = cv2.minAreaRect(contour)
            (cx, cy), (bw, bh), angle = rect
            if min(bw, bh) < _MIN_BOX_SIDE_PX:
                continue
            if _mean_inside(prob, cv2.boxPoints(rect)) < s.box_threshold:
                continue
            # DB's unclip: grow by area × ratio / perimeter on every side (a rectangle offset
            # with round joins has this rectangle, grown by the distance, as its minimal box).
            d = bw * bh * s.unclip_ratio / (2.0 * (bw + bh))
            grown = ((cx, cy), (bw + 2 * d, bh + 2 * d), angle)
            if min(bw, bh) + 2 * d < _MIN_BOX_SIDE_PX + 2:
                continue
            corners = _order_corners(cv2.boxPoints(grown)) * np.array([sx, sy], np.float32)
            corners[:, 0] = np.clip(corners[:, 0], 0, w - 1)
            corners[:, 1] = np.clip(corners[:, 1], 0, h - 1)
            if _side_lengths(corners).min() <= _MIN_BOX_SIDE_PX:
                continue
            boxes.append(corners)
        return boxes

    # ----------------------------------------------------------------------------------------
    # Recognition

    def _recognise(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """(text, mean confidence) per crop, in the order given; batched by aspect ratio."""
        out: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        for idx, batch in self.recogniser_batches(crops):
            probs = self._rec.run(None, {self._rec_input: batch})[0]
            for row, i in enumerate(idx):
                out[i] = _ctc_decode(probs[row], self._charset)
        return out

    def recogniser_batches(self, crops: Sequence[np.ndarray]) -> list[tuple[list[int], np.ndarray]]:
        """(crop indices, N×3×48×W input) per recognition batch: crops sorted by aspect ratio,
        right-padded to the batch's widest (also calibration data)."""
        ratios = [c.shape[1] / c.shape[0] for c in crops]
        order = [int(i) for i in np.argsort(ratios)]
        n, pad = self.settings.rec_batch, self.settings.rec_max_pad
        groups: list[list[int]] = []
        for i in order:
            # A crop joins the batch unless it is full or padding its first (narrowest) crop
            # to this one would waste more than ``rec_max_pad``: the recogniser's cost grows
            # with the padded width, and padding a short line to a long one costs more than
            # the batching saves.
            group = groups[-1] if groups else None
            first = max(_REC_MIN_RATIO, ratios[group[0]]) if group else 0.0
            if group and len(group) < n and max(_REC_MIN_RATIO, ratios[i]) <= first * (1 + pad):
                group.append(i)
            else:
                groups.append([i])
        batches: list[tuple[list[int], np.ndarray]] = []
        for idx in groups:
            max_ratio = max(_REC_MIN_RATIO, *(ratios[i] for i in idx))
            width = math.ceil(_REC_HEIGHT_PX * max_ratio)
            batch = np.zeros((len(idx), 3, _REC_HEIGHT_PX, width), np.float32)
            for row, i in enumerate(idx):
                cw = min(width, math.ceil(_REC_HEIGHT_PX * ratios[i]))
                resized = cv2.resize(crops[i], (cw, _REC_HEIGHT_PX))
                batch[row, :, :, :cw] = _normalise(resized)
            batches.append((idx, batch))
        return batches

    def _warm_up(self) -> None:
        """One run of each model, so the first real frame does not pay for allocations."""
        frame = np.full((480, 640, 3), 255, np.uint8)
        cv2.putText(frame, "warm up", (40, 240), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (0, 0, 0), 4)
        self._detect(frame)
        self._recognise([frame[180:260, 20:400]])


def reading_order(lines: Sequence[OcrLine], *, join_gap: float = 1.0) -> list[OcrLine]:
    """Rows top to bottom, lines within a row left to right, word boxes joined into lines.

    Geometry is measured in each row's own frame: along its text direction (the top edge of
    the row's first box) and across it, so the lines of a tilted label stay apart. Two boxes
    share a row when their extents across the text direction overlap by at least half the
    smaller box's height. Neighbours in a row closer than ``join_gap`` × the smaller box's
    height are one line whose words the detector split ("PLATFORM" + "4"): they are joined
    with a space. Wider gaps (columns of a menu) keep the lines apart.
    """
    rows: list[tuple[np.ndarray, list[OcrLine]]] = []  # (text direction, lines)
    for line in sorted(lines, key=lambda o: _extent(o, _UP)[0]):
        for direction, row in rows:
            across = _normal(direction)
            top, bottom = _extent(line, across)
            r_top = min(_extent(o, across)[0] for o in row)
            r_bottom = max(_extent(o, across)[1] for o in row)
            overlap = min(bottom, r_bottom) - max(top, r_top)
            if overlap >= 0.5 * min(bottom - top, r_bottom - r_top):
                row.append(line)
                break
        else:
            rows.append((_direction(line), [line]))
    rows.sort(key=lambda r: sum(_centre(o, _UP) for o in r[1]) / len(r[1]))
    out: list[OcrLine] = []
    for direction, row in rows:
        ordered = sorted(row, key=lambda o: _extent(o, direction)[0])
        out += _join_words(ordered, direction, join_gap)
    return out


_UP = np.array([0.0, 1.0])  # image y: "across" for level text


def _direction(line: OcrLine) -> np.ndarray:
    """Unit vector along the line's text (its top edge, left to right)."""
    (x0, y0), (x1, y1) = line.box[0], line.box[1]
    v = np.array([x1 - x0, y1 - y0], np.float64)
    norm = float(np.hypot(*v))
    return v / norm if norm > 0 else np.array([1.0, 0.0])


def _normal(direction: np.ndarray) -> np.ndarray:
    """Across the text, pointing down the page."""
    return np.array([-direction[1], direction[0]])


def _join_words(row: Sequence[OcrLine], direction: np.ndarray, join_gap: float) -> list[OcrLine]:
    """Join neighbours of one row whose gap along the text is small (see above)."""
    across = _normal(direction)
    out: list[OcrLine] = []
    for line in row:
        if out:
            prev = out[-1]
            gap = _extent(line, direction)[0] - _extent(prev, direction)[1]
            height = min(_span(prev, across), _span(line, across))
            if gap < join_gap * height:
                out[-1] = _joined(prev, line)
                continue
        out.append(line)
    return out


def _joined(a: OcrLine, b: OcrLine) -> OcrLine:
    """``a`` and ``b`` as one line: texts with a space, the score weighted by text length,
    the box the minimal rotated rectangle around both."""
    points = np.array([*a.box, *b.box], np.float32)
    corners = _order_corners(cv2.boxPoints(cv2.minAreaRect(points)))
    score = (a.score * len(a.text) + b.score * len(b.text)) / max(1, len(a.text) + len(b.text))
    return OcrLine(f"{a.text} {b.text}", score, tuple((float(x), float(y)) for x, y in corners))


def _span(line: OcrLine, axis: np.ndarray) -> float:
    lo, hi = _extent(line, axis)
    return hi - lo


def _extent(line: OcrLine, axis: np.ndarray) -> tuple[float, float]:
    """The box's extent projected on the unit vector ``axis`` (px)."""
    values = [p[0] * axis[0] + p[1] * axis[1] for p in line.box]
    return min(values), max(values)


def _centre(line: OcrLine, axis: np.ndarray) -> float:
    lo, hi = _extent(line, axis)
    return (lo + hi) / 2.0


def _charset(session: ort.InferenceSession, path: Path) -> list[str]:
    """CTC classes: blank, the model's ``character`` metadata (one per line), then space."""
    meta = session.get_modelmeta().custom_metadata_map
    if "character" not in meta:
        raise ModelError(
            f"model file {path} has no 'character' metadata: not a PP-OCR recogniser "
            "with its dictionary; run `glasses models verify`"
        )
    return ["", *meta["character"].splitlines(), " "]


def _ctc_decode(probs: np.ndarray, charset: Sequence[str]) -> tuple[str, float]:
    """Greedy CTC over T×C probabilities: collapse repeats, drop blanks (class 0)."""
    best = probs.argmax(axis=1)
    conf = probs.max(axis=1)
    keep = np.ones(len(best), bool)
    keep[1:] = best[1:] != best[:-1]
    keep &= best != 0
    keep &= best < len(charset)
    if not keep.any():
        return "", 0.0
    text = "".join(charset[i] for i in best[keep])
    return text.strip(), float(conf[keep].mean())


def _normalise(bgr: np.ndarray) -> np.ndarray:
    """H×W×3 uint8 → 3×H×W float32 in [-1, 1], as PP-OCR was trained."""
    chw = bgr.transpose(2, 0, 1).astype(np.float32)
    return chw * (2.0 / 255.0) - 1.0


def _mean_inside(prob: np.ndarray, points: np.ndarray) -> float:
    """Mean of ``prob`` inside the polygon ``points`` (map px), over its bounding box only."""
    h, w = prob.shape
    x0 = int(np.clip(np.floor(points[:, 0].min()), 0, w - 1))
    x1 = int(np.clip(np.ceil(points[:, 0].max()), 0, w - 1))
    y0 = int(np.clip(np.floor(points[:, 1].min()), 0, h - 1))
    y1 = int(np.clip(np.ceil(points[:, 1].max()), 0, h - 1))
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    local = (points - np.array([x0, y0], np.float32)).astype(np.int32)
    cv2.fillPoly(mask, [local], 1)
    return float(cv2.mean(prob[y0 : y1 + 1, x0 : x1 + 1], mask)[0])


def _order_corners(points: np.ndarray) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left (float32)."""
    by_x = points[np.argsort(points[:, 0], kind="stable")]
    left = by_x[:2][np.argsort(by_x[:2, 1], kind="stable")]
    right = by_x[2:][np.argsort(by_x[2:, 1], kind="stable")]
    return np.array([left[0], right[0], right[1], left[1]], np.float32)


def _side_lengths(corners: np.ndarray) -> np.ndarray:
    return np.linalg.norm(corners - np.roll(corners, -1, axis=0), axis=1)


def _crop(bgr: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The box warped upright (width along tl→tr); tall crops (h ≥ 1.5 w) turned 90°."""
    width = max(1, round(max(_side_lengths(corners)[[0, 2]])))
    height = max(1, round(max(_side_lengths(corners)[[1, 3]])))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    crop = cv2.warpPerspective(
        bgr, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    if height >= 1.5 * width:
        crop = np.ascontiguousarray(np.rot90(crop))
    return crop


def _as_bgr(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise ValueError(f"expected a numpy uint8 image, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got dtype {image.dtype} (shape {image.shape})")
    if image.size == 0 or image.ndim < 2 or min(image.shape[:2]) < 1:
        raise ValueError(f"expected a non-empty image, got shape {image.shape}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        bgr: np.ndarray = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        return bgr
    if image.ndim == 3 and image.shape[2] == 3:
        return np.ascontiguousarray(image)
    raise ValueError(f"expected an H×W grey or H×W×3 BGR uint8 image, got shape {image.shape}")
