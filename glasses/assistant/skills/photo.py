"""The ``photo`` skill: save the newest camera frame with bystanders' faces blurred."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np

from glasses.assistant.intents import PHOTO
from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.assistant.triggers import OnGesture, Phrase, Trigger
from glasses.perception.faces import FaceDetector, blur_faces
from glasses.runtime.events import Card, Intent

# What detecting, blurring and writing one photo is charged on the virtual clock (measured
# 0.1 s idle, up to ~0.3 s under load, for a 640×480 frame: three cascade passes, blur, PNG).
NOMINAL_COST_NS = 250_000_000
PHOTOS_DIR_ENV = "GLASSES_PHOTOS_DIR"


def default_photo_dir() -> Path:
    """``$GLASSES_PHOTOS_DIR``, else ``glasses-photos`` in the system temp directory.

    A temporary default on purpose: the simulator and tests never write elsewhere; a device
    set-up points the variable (or ``PhotoSkill(store_dir=…)``) at the user's photo folder.
    """
    configured = os.environ.get(PHOTOS_DIR_ENV)
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "glasses-photos"


class PhotoSkill(Skill):
    """Saves the newest frame as PNG in ``store_dir`` with every detected face blurred.

    ``saved`` lists the files written, oldest first. The face detector is built on the first
    photo (loading the cascades takes ~50 ms nobody who never takes a photo should pay).
    """

    name: ClassVar[str] = "photo"
    intents: ClassVar[tuple[str, ...]] = (PHOTO,)
    phrases: ClassVar[tuple[str | Phrase, ...]] = ("take a photo", "take a picture")
    # A nod at a shown card is the card's (or nothing): only a nod at an empty HUD is a photo.
    triggers: ClassVar[tuple[Trigger, ...]] = (OnGesture("nod", PHOTO, when="idle"),)

    def __init__(
        self, store_dir: Path | None = None, *, detector: FaceDetector | None = None
    ) -> None:
        self.store_dir = store_dir
        self._detector = detector
        self.saved: list[Path] = []

    @property
    def detector(self) -> FaceDetector:
        if self._detector is None:
            self._detector = FaceDetector()
        return self._detector

    async def handle(self, intent: Intent, ctx: SkillContext) -> Reply:
        frame = ctx.latest_frame()
        if frame is None:
            return Reply(
                card=Card(title="Photo", body="No camera view yet.", layout="toast", ttl_s=3.0)
            )
        directory = self.store_dir if self.store_dir is not None else default_photo_dir()
        # Named by the frame's capture time on the runtime clock: deterministic in the simulator.
        stem = f"photo-{frame.t_ns // 1_000_000:09d}ms-{frame.index:06d}"
        detector, image = self.detector, frame.image

        def save() -> tuple[Path, int]:
            faces = detector.detect(image)
            path = _unique(directory, stem)
            _write_png(path, blur_faces(image, faces))
            return path, len(faces)

        try:
            path, count = await ctx.clock.run_blocking(save, cost_ns=NOMINAL_COST_NS)
        except OSError as exc:
            return Reply(
                card=Card(
                    title="Photo",
                    body=f"Photo not saved: {exc.strerror or exc}",
                    layout="toast",
                    ttl_s=3.0,
                )
            )
        self.saved.append(path)
        faces = f"{count} face{'' if count == 1 else 's'} blurred"
        return Reply(
            card=Card(title="Photo", body=f"Photo saved ({faces})", layout="toast", ttl_s=3.0)
        )


def _unique(directory: Path, stem: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path, n = directory / f"{stem}.png", 1
    while path.exists():
        n += 1
        path = directory / f"{stem}-{n}.png"
    return path


def _write_png(path: Path, image: np.ndarray) -> None:
    ok, data = cv2.imencode(".png", image)
    if not ok:  # pragma: no cover - PNG encoding of a uint8 image does not fail
        raise OSError(f"cannot encode {path.name} as PNG")
    path.write_bytes(data.tobytes())
