"""The annotated camera video: perception's annotated frames with the current step written on them."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

# Motion-JPEG in AVI: each frame stands alone, so a file cut short by a hard stop still plays.
_FOURCC = cv2.VideoWriter_fourcc(*"MJPG")
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_BAND_PX = 28
_SCALE = 0.5


def draw_caption(frame: np.ndarray, caption: str) -> None:
    """Write `caption` on a dark band along the frame's bottom, cut to fit its width (in place)."""
    h, w = frame.shape[:2]
    band = max(0, h - _BAND_PX)
    frame[band:] //= 3
    text = caption.encode("ascii", "replace").decode()  # Hershey fonts draw ASCII only
    while len(text) > 3 and cv2.getTextSize(text, _FONT, _SCALE, 1)[0][0] > w - 12:
        text = text[:-4] + "..."
    cv2.putText(frame, text, (6, h - 9), _FONT, _SCALE, (255, 255, 255), 1, cv2.LINE_AA)


class AnnotatedVideo:
    """Frames are written as they come; the size is set by the first frame."""

    def __init__(self, path: Path, fps: float) -> None:
        if not (np.isfinite(fps) and fps > 0):
            raise ValueError(f"video fps must be positive, got {fps}")
        self.path = Path(path)
        if self.path.suffix.lower() != ".avi":
            raise ValueError(f"{self.path}: the video is Motion-JPEG AVI, name it *.avi")
        self.fps = float(fps)
        self.frames = 0
        self.size: tuple[int, int] | None = None
        self.writer: cv2.VideoWriter | None = None

    def add(self, rgb: np.ndarray, caption: str) -> None:
        """Write one RGB frame (H×W×3 uint8) with its caption. Raises ValueError for another shape."""
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"a video frame is H×W×3 uint8 RGB, got {rgb.shape} {rgb.dtype}")
        size = (rgb.shape[1], rgb.shape[0])
        if self.writer is None:
            self.writer = cv2.VideoWriter(str(self.path), _FOURCC, self.fps, size)
            if not self.writer.isOpened():
                raise OSError(f"{self.path}: OpenCV cannot write Motion-JPEG video here")
            self.size = size
        elif size != self.size:
            raise ValueError(f"frame size {size} differs from the video's {self.size}")
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        draw_caption(bgr, caption)
        self.writer.write(bgr)
        self.frames += 1

    def close(self) -> None:
        if self.writer is not None:
            self.writer.release()
