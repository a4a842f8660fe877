"""``glasses blur IMAGE OUT [--detector haar|yunet] [--json] [--force]``: write IMAGE with every
face blurred to OUT.

The output format follows OUT's extension (``.png``, ``.jpg``, …). Prints how many faces were
blurred. ``--detector haar`` (default) uses OpenCV's bundled cascades; ``yunet`` the DNN model
users pull with ``glasses models pull face-yunet``. OUT is checked before any work and written
whole or not at all (a full disk leaves no truncated file under its name); OUT may be IMAGE
itself only with ``--force``. exit codes: 0 written (also with no faces: OUT is then a copy);
2 the image is missing or unreadable, OUT cannot be written, or OUT is IMAGE without
``--force``; 3 the face model (cascade or YuNet) is missing, altered or corrupt.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from glasses.atomic import output_problem, write_bytes
from glasses.cli.scan_cmd import load_image

EXIT_OK = 0
EXIT_IMAGE = 2
EXIT_MODEL = 3


def add_parser(sub: Any) -> None:
    p = sub.add_parser("blur", help="write a copy of a photo with faces blurred")
    p.add_argument("image", type=Path, help="image file (PNG, JPEG, …)")
    p.add_argument("out", type=Path, help="output file; its extension picks the format")
    p.add_argument(
        "--detector",
        choices=("haar", "yunet"),
        default="haar",
        help="haar (bundled, default) or yunet (a DNN: glasses models pull face-yunet)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print JSON {faces, out, boxes} (boxes as [x, y, w, h] in px)",
    )
    p.add_argument(
        "--force", action="store_true", help="allow OUT to be IMAGE itself (overwrite the photo)"
    )
    p.set_defaults(func=run)


def write_image(path: Path, image: Any) -> str:
    """Encode ``image`` by ``path``'s extension and write it atomically; returns "" or the
    problem."""
    import cv2

    suffix = path.suffix.lower()
    if not suffix:
        return "no file extension (use .png or .jpg)"
    try:
        ok, data = cv2.imencode(suffix, image)
    except cv2.error:
        ok = False
    if not ok:
        return f"cannot encode images as {suffix} (use .png or .jpg)"
    try:
        write_bytes(path, data.tobytes())
    except OSError as exc:
        return f"cannot write ({exc.strerror or exc})"
    return ""


def check_output(image: Path, out: Path, *, force: bool) -> str:
    """Why ``out`` cannot take the blurred copy of ``image`` ("" if it can), before the work."""
    problem = output_problem(out)
    if problem:
        return f"cannot write ({problem})"
    try:
        same = out.exists() and os.path.samefile(image, out)
    except OSError:
        same = False
    if same and not force:
        return f"is the input image {image}; pass --force to overwrite it"
    if not out.suffix:
        return "no file extension (use .png or .jpg)"
    return ""


def run(args: argparse.Namespace) -> int:
    from glasses.perception.faces import (
        YUNET_MODEL_ID,
        FaceDetector,
        FaceModelError,
        YuNetFaceDetector,
        blur_faces,
    )
    from models.registry import ModelError, Registry

    image = load_image(args.image, "blur")
    if image is None:
        return EXIT_IMAGE
    problem = check_output(args.image, args.out, force=args.force)
    if problem:
        print(f"glasses blur: {args.out}: {problem}", file=sys.stderr)
        return EXIT_IMAGE
    detector: FaceDetector | YuNetFaceDetector
    try:
        if args.detector == "yunet":
            detector = YuNetFaceDetector(Registry().path(YUNET_MODEL_ID))
        else:
            detector = FaceDetector()
    except (FaceModelError, ModelError) as exc:
        print(f"glasses blur: {exc}", file=sys.stderr)
        return EXIT_MODEL
    faces = detector.detect(image)
    problem = write_image(args.out, blur_faces(image, faces))
    if problem:
        print(f"glasses blur: {args.out}: {problem}", file=sys.stderr)
        return EXIT_IMAGE
    if args.json:
        payload = {
            "faces": len(faces),
            "out": str(args.out),
            "boxes": [[f.x, f.y, f.w, f.h] for f in faces],
        }
        print(json.dumps(payload))
    else:
        print(f"{len(faces)} face{'' if len(faces) == 1 else 's'} blurred → {args.out}")
    return EXIT_OK
