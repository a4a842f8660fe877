"""``glasses scan IMAGE [--json]``: the QR codes and barcodes in an image file, with their type.

exit codes: 0 scanned (even if no code was found); 2 the image is missing, unreadable or corrupt.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

EXIT_OK = 0
EXIT_IMAGE = 2


def add_parser(sub: Any) -> None:
    p = sub.add_parser("scan", help="print the QR codes and barcodes in an image")
    p.add_argument("image", type=Path, help="image file (PNG, JPEG, …)")
    p.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list of {type, value, corners} (corners in px)",
    )
    p.set_defaults(func=run)


def load_image(path: Path, command: str) -> np.ndarray | None:
    """The image at ``path`` as BGR, or None after printing one line naming the problem."""
    import cv2

    from glasses.devices.opencv_quiet import quiet_opencv

    image = None
    if path.is_file():
        try:
            data = np.fromfile(str(path), np.uint8)
            with quiet_opencv():  # a corrupt file makes the decoder log its own error lines
                image = cv2.imdecode(data, cv2.IMREAD_COLOR)
        except (OSError, cv2.error):
            image = None
    if image is None:
        why = "not found" if not path.exists() else "not a readable image"
        print(f"glasses {command}: {path}: {why}", file=sys.stderr)
    return image


def run(args: argparse.Namespace) -> int:
    from glasses.perception.codes import CodeReader

    image = load_image(args.image, "scan")
    if image is None:
        return EXIT_IMAGE
    codes = CodeReader().read(image)
    if args.json:
        payload = [
            {
                "type": code.symbology,
                "value": code.value,
                "corners": [[round(x, 1), round(y, 1)] for x, y in code.corners],
            }
            for code in codes
        ]
        print(json.dumps(payload, ensure_ascii=False))
    else:
        for code in codes:
            print(f"{code.symbology}\t{code.value}")
    return EXIT_OK
