"""``glasses read IMAGE [--json] [--roi]``: the text lines of an image file, in reading order.

exit codes: 0 read (even if no text was found); 2 the image is missing, unreadable or corrupt;
3 a model file is missing, altered or not loadable (one-line message with the fix).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_IMAGE = 2
EXIT_MODEL = 3
# --roi: the centred window spanning this fraction of the width and height.
ROI_FRACTION = 0.6


def add_parser(sub: Any) -> None:
    p = sub.add_parser("read", help="print the text lines of an image (OCR)")
    p.add_argument("image", type=Path, help="image file (PNG, JPEG, …)")
    p.add_argument(
        "--json", action="store_true", help="print a JSON list of {text, score, box} (box in px)"
    )
    p.add_argument(
        "--roi",
        action="store_true",
        help=f"read only the centre ({ROI_FRACTION:.0%}% of width and height)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import cv2

    from glasses.devices.opencv_quiet import quiet_opencv
    from glasses.perception.ocr import OcrReader
    from models.registry import ModelError

    path: Path = args.image
    image = None
    if path.is_file():
        with quiet_opencv():  # a corrupt file makes the decoder log its own error lines
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        why = "not found" if not path.exists() else "not a readable image"
        print(f"glasses read: {path}: {why}", file=sys.stderr)
        return EXIT_IMAGE
    try:
        reader = OcrReader()
    except ModelError as exc:
        print(f"glasses read: {exc}", file=sys.stderr)
        return EXIT_MODEL
    lines = reader.read(image, center_fraction=ROI_FRACTION if args.roi else 1.0)
    if args.json:
        payload = [
            {
                "text": line.text,
                "score": round(line.score, 4),
                "box": [[round(x, 1), round(y, 1)] for x, y in line.box],
            }
            for line in lines
        ]
        print(json.dumps(payload, ensure_ascii=False))
    else:
        for line in lines:
            print(line.text)
    return EXIT_OK
