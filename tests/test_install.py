"""What the README's setup leaves: the headless OpenCV 4 build, and nothing overwriting it."""

import importlib.metadata
from pathlib import Path

import cv2
import pytest

GUI_OPENCV = ["opencv-python", "opencv-contrib-python"]


def test_cv2_is_the_headless_4x_build() -> None:
    assert cv2.__version__.split(".")[0] == "4", cv2.__version__
    gui = [
        line for line in cv2.getBuildInformation().splitlines() if line.strip().startswith("GUI:")
    ]
    assert gui and gui[0].split(":", 1)[1].strip() == "NONE", gui


@pytest.mark.parametrize("dist", GUI_OPENCV)
def test_no_gui_opencv_distribution_installed(dist: str) -> None:
    # A GUI wheel installed after the headless one silently replaces cv2.
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.distribution(dist)


def test_haar_cascades_ship_with_the_wheel() -> None:
    # OpenCV 5 wheels dropped these (and CascadeClassifier); the face path needs them.
    path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"
    assert path.is_file()
    assert not cv2.CascadeClassifier(str(path)).empty()


def test_qr_and_barcode_readers_are_available() -> None:
    assert hasattr(cv2, "QRCodeDetectorAruco")
    assert hasattr(cv2, "barcode") and hasattr(cv2.barcode, "BarcodeDetector")
