"""``glasses blur IMAGE OUT [--detector haar|yunet] [--json]``: write IMAGE with every face
blurred to OUT.

The output format follows OUT's extension (``.png``, ``.jpg``, …). Prints how many faces were
blurred. ``--detector haar`` (default) uses OpenCV's bundled cascades; ``yunet`` the DNN model
users pull with ``glasses models pull face-yunet``. exit codes: 0 written (also with no faces:
OUT is then a copy); 2 the image is missing or unreadable, or OUT cannot be written; 3 the face
model (cascade or YuNet) is missing, altered or corrupt.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

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
    p.set_defaults(func=run)


def write_image(path: Path, image: Any) -> str:
    """Encode ``image`` by ``path``'s extension and write it; returns "" or the problem."""
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
        path.write_bytes(data.tobytes())
    except OSError as exc:
        return f"cannot write ({exc.strerror or exc})"
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
