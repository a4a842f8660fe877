"""The ``photo`` skill: save the newest camera frame with bystanders' faces blurred.

Photos go to the user's data directory (``$XDG_DATA_HOME/glasses/photos``, by default
``~/.local/share/glasses/photos``; ``$GLASSES_PHOTOS_DIR`` overrides it), created for its owner
only (0700) and never entered through a symbolic link. Each file is written whole or not at all
(:mod:`glasses.atomic`), readable by its owner only, and the toast names it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np

from glasses.assistant.intents import PHOTO
from glasses.assistant.skill import Reply, Skill, SkillContext
from glasses.assistant.triggers import OnGesture, Phrase, Trigger
from glasses.atomic import open_private_dir, write_bytes
from glasses.perception.faces import FaceDetector, blur_faces
from glasses.runtime.events import Card, Intent

log = logging.getLogger(__name__)

# What detecting, blurring and writing one photo is charged on the virtual clock (measured
# 0.1 s idle, up to ~0.3 s under load, for a 640×480 frame: three cascade passes, blur, PNG).
NOMINAL_COST_NS = 250_000_000
PHOTOS_DIR_ENV = "GLASSES_PHOTOS_DIR"


def default_photo_dir() -> Path:
    """``$GLASSES_PHOTOS_DIR``, else ``$XDG_DATA_HOME/glasses/photos``, else
    ``~/.local/share/glasses/photos`` (an ``XDG_DATA_HOME`` that is not absolute is ignored, as
    the XDG base directory specification says)."""
    configured = os.environ.get(PHOTOS_DIR_ENV)
    if configured:
        return Path(configured)
    data = os.environ.get("XDG_DATA_HOME", "")
    base = Path(data) if data and Path(data).is_absolute() else Path.home() / ".local" / "share"
    return base / "glasses" / "photos"


class PhotoSkill(Skill):
    """Saves the newest frame as PNG in ``store_dir`` with every detected face blurred.

    ``store_dir``: a folder, a function that gives one when the first photo is taken (the
    simulator's fresh temporary folder), or None for ``default_photo_dir()``. ``saved`` lists
    the files written, oldest first. The face detector is built on the first photo (loading
    the cascades takes ~50 ms nobody who never takes a photo should pay).
    """

    name: ClassVar[str] = "photo"
    intents: ClassVar[tuple[str, ...]] = (PHOTO,)
    phrases: ClassVar[tuple[str | Phrase, ...]] = ("take a photo", "take a picture")
    # A nod at a shown card is the card's (or nothing): only a nod at an empty HUD is a photo.
    triggers: ClassVar[tuple[Trigger, ...]] = (OnGesture("nod", PHOTO, when="idle"),)

    def __init__(
        self,
        store_dir: Path | Callable[[], Path] | None = None,
        *,
        detector: FaceDetector | None = None,
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
        # Named by the frame's capture time on the runtime clock: deterministic in the simulator.
        stem = f"photo-{frame.t_ns // 1_000_000:09d}ms-{frame.index:06d}"
        detector, image = self.detector, frame.image

        def save() -> tuple[Path, int]:
            faces = detector.detect(image)
            return save_png(self.directory(), stem, blur_faces(image, faces)), len(faces)

        try:
            path, count = await ctx.clock.run_blocking(save, cost_ns=NOMINAL_COST_NS)
        except OSError as exc:
            log.warning("photo not saved: %s", exc)
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
        log.info("photo saved: %s (%s)", path, faces)
        return Reply(
            card=Card(
                title="Photo", body=f"Photo saved ({faces})\n{path.name}", layout="toast", ttl_s=3.0
            )
        )

    def directory(self) -> Path:
        """Where the next photo goes (see ``store_dir``)."""
        store = self.store_dir
        if store is None:
            return default_photo_dir()
        return store() if callable(store) else store


def save_png(directory: Path, stem: str, image: np.ndarray) -> Path:
    """Write ``image`` as ``stem.png`` (``stem-2.png``… if taken) in ``directory``, which is
    created for its owner only (0700) if missing; the file is private (0600) and written whole
    or not at all. Raises ``OSError`` (``UnsafeDirectory`` for a folder that is a symbolic link,
    so nobody can divert the photos by planting one)."""
    ok, data = cv2.imencode(".png", image)
    if not ok:  # pragma: no cover - PNG encoding of a uint8 image does not fail
        raise OSError(f"cannot encode {stem} as PNG")
    dir_fd = open_private_dir(directory)
    try:
        name, n = f"{stem}.png", 1
        while _exists(name, dir_fd):
            n += 1
            name = f"{stem}-{n}.png"
        write_bytes(name, data.tobytes(), mode=0o600, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)
    return directory / name


def _exists(name: str, dir_fd: int) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True
