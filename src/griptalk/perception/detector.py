"""The trained nano YOLO detector: classes, confidences and boxes of the objects in a frame.

The network (trained by `train_detector.py`) is run directly in torch on one thread, in bfloat16
where the CPU computes it natively (`precision`); its raw output is decoded here and boxes are
suppressed with OpenCV's per-class NMS, so nothing of ultralytics runs per frame (ultralytics is
only needed to unpickle the checkpoint).
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from griptalk.camera import CameraModel
from griptalk.perception.detector_input import detector_input

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "detector.pt"
_STRIDE = 32  # the network's input sides must be multiples of this
_PAD_VALUE = 114  # ultralytics' letterbox grey, as in training
PRECISIONS = ("auto", "float32", "bfloat16")


@dataclass(frozen=True)
class Detection:
    object_class: str
    confidence: float
    box: np.ndarray  # x0, y0, x1, y1 in the camera image's pixels


@dataclass(frozen=True)
class DetectorConfig:
    weights: str = str(DEFAULT_WEIGHTS)
    min_confidence: float = 0.3
    nms_iou: float = 0.6  # boxes of one class overlapping more than this are one object
    input_width_px: int = 320  # as trained
    torch_threads: int = 1  # more threads collapse under load on a 2-core machine
    # The network's arithmetic. "auto": bfloat16 where the CPU has it natively (AVX512-BF16 or AMX),
    # else float32; emulated bfloat16 is slower than float32.
    precision: str = "auto"

    def __post_init__(self) -> None:
        if not Path(self.weights).is_file():
            raise ValueError(f"detector weights not found: {self.weights}")
        if not 0.0 < self.min_confidence < 1.0:
            raise ValueError(f"min_confidence must be in (0, 1), got {self.min_confidence}")
        if not 0.0 < self.nms_iou <= 1.0:
            raise ValueError(f"nms_iou must be in (0, 1], got {self.nms_iou}")
        if self.input_width_px < _STRIDE or self.input_width_px % _STRIDE:
            raise ValueError(f"input_width_px must be a positive multiple of {_STRIDE}, got {self.input_width_px}")
        if self.torch_threads < 1:
            raise ValueError(f"torch_threads must be >= 1, got {self.torch_threads}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")


class Detector:
    def __init__(self, config: DetectorConfig | None = None) -> None:
        self.config = config or DetectorConfig()
        # ultralytics reads its settings on import: offline, in a folder of its own.
        os.environ.setdefault("YOLO_OFFLINE", "1")
        os.environ.setdefault("YOLO_CONFIG_DIR", str(Path(tempfile.gettempdir()) / "griptalk_ultralytics"))
        import torch

        torch.set_num_threads(self.config.torch_threads)
        checkpoint = torch.load(self.config.weights, map_location="cpu", weights_only=False)
        model = (checkpoint.get("ema") or checkpoint["model"]).float()
        # Channels-last convolutions: 2-3 ms less CPU per frame of the network's ~25 ms (same outputs to 4e-4).
        self._model = model.fuse(verbose=False).eval().to(memory_format=torch.channels_last)
        self.classes = tuple(model.names[i] for i in range(len(model.names)))
        self.bfloat16 = self.config.precision == "bfloat16" or (
            self.config.precision == "auto" and native_bfloat16(torch.cpu.get_capabilities()))
        self._torch = torch

    def detect(self, rgb: np.ndarray, depth: np.ndarray, camera: CameraModel,
               points: np.ndarray | None = None) -> list[Detection]:
        """Objects in one RGB-D frame, most confident first (`points`: its `base_frame_points`, if known)."""
        image = detector_input(rgb, depth, camera, self.config.input_width_px, points)
        return self.detect_input(image, camera.width)

    def detect_input(self, image: np.ndarray, camera_width_px: int) -> list[Detection]:
        """Objects in a detector-input image (`detector_input`), boxes scaled to a camera image
        `camera_width_px` wide."""
        h, w, _ = image.shape
        padded_h, padded_w = (-(-h // _STRIDE) * _STRIDE), (-(-w // _STRIDE) * _STRIDE)
        top, left = (padded_h - h) // 2, (padded_w - w) // 2
        canvas = np.full((padded_h, padded_w, 3), _PAD_VALUE, dtype=np.uint8)
        canvas[top:top + h, left:left + w] = image
        # ultralytics reads training images as BGR and flips them to RGB: flip the same way.
        batch = self._torch.from_numpy(np.ascontiguousarray(canvas[..., ::-1])).permute(2, 0, 1)[None]  # channels last
        with self._torch.inference_mode(), self._torch.autocast("cpu", self._torch.bfloat16, enabled=self.bfloat16):
            output = self._model(batch.float().contiguous(memory_format=self._torch.channels_last) / 255.0)
        output = output[0] if isinstance(output, (tuple, list)) else output
        prediction = output[0].T.float().numpy()  # (anchors, 4 + classes)
        scores = prediction[:, 4:]
        class_ids = scores.argmax(axis=1)
        confidence = scores[np.arange(len(scores)), class_ids]
        keep = confidence >= self.config.min_confidence
        centre_wh, confidence, class_ids = prediction[keep, :4], confidence[keep], class_ids[keep]
        scale = camera_width_px / w
        corners = np.column_stack([centre_wh[:, :2] - centre_wh[:, 2:] / 2.0 - (left, top), centre_wh[:, 2:]])
        chosen = cv2.dnn.NMSBoxesBatched(corners.tolist(), confidence.tolist(), class_ids.tolist(),
                                         self.config.min_confidence, self.config.nms_iou)
        detections = []
        for i in np.asarray(chosen, dtype=int).reshape(-1):
            x0, y0, bw, bh = corners[i]
            detections.append(Detection(self.classes[class_ids[i]], float(confidence[i]),
                                        np.array([x0, y0, x0 + bw, y0 + bh]) * scale))
        return sorted(detections, key=lambda d: -d.confidence)


def native_bfloat16(cpu_capabilities: dict) -> bool:
    """Whether a CPU (`torch.cpu.get_capabilities()`) computes bfloat16 in hardware."""
    return bool(cpu_capabilities.get("avx512_bf16") or cpu_capabilities.get("amx_bf16"))
