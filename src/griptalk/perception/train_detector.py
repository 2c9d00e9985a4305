"""Train the nano YOLO detector from scratch on a rendered dataset, offline, on one CPU thread.

    python -m griptalk.perception.dataset --out runs/detector_data --images 1200 --seed 0
    python -m griptalk.perception.train_detector --data runs/detector_data/data.yaml --epochs 60 --seed 0

Training can go in stretches: `--resume runs/detector/train/weights/last.pt` carries on where an
interrupted run stopped; `--init weights.pt` starts a new run (a new schedule) from trained
weights, and with `--fresh-class-head` relearns the class scores on those weights' features. At
the end the best checkpoint (optimizer stripped, half precision, ~5 MB) is copied to the
package's weights/ folder, where `detector.py` loads it. The shipped weights were trained in
stretches: on a 1134-image set (`dataset` seeds 0-567, before objects' brightness was varied), the
last of those `--init` the previous weights with `--fresh-class-head --hours 1.25` (44 epochs, 75
minutes on one core); then `--init` those weights `--hours 1.1` on the same seeds rendered again
(`dataset --images 1136 --seed 0 --val-fraction 0.0317`: 35 epochs, 66 minutes; best epoch 28).

Offline: YOLO_OFFLINE stops ultralytics from looking for updates and weights, and its settings
folder gets the font it would otherwise download for its plots (matplotlib's DejaVu Sans, under
the name ultralytics looks for). The registry's torchvision is a CUDA build whose C++ ops do not
load on CPU torch, and ultralytics' validator imports it: its `nms` op is supplied in pure torch.
Objects inside containers share anchors with them: `assign_nested_objects` gives those to the object.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
from pathlib import Path

_TORCHVISION_LIB = None  # keeps the op library that defines torchvision::nms alive
WEIGHTS = Path(__file__).resolve().parent / "weights" / "detector.pt"
MODEL_CONFIG = "yolo11n.yaml"  # nano; from scratch: no pretrained weights can be reached
# Colour augmentations would mix up the input's channels (luminance, height, saturation): relight()
# in dataset.py varies the light before the channels are made.
AUGMENT = {"hsv_h": 0.0, "hsv_s": 0.0, "hsv_v": 0.0, "fliplr": 0.5, "mosaic": 1.0, "scale": 0.3,
           "translate": 0.1, "degrees": 0.0}


def prepare_offline(config_dir: Path) -> None:
    """Environment for ultralytics without a network; call before importing it."""
    import matplotlib

    config_dir.mkdir(parents=True, exist_ok=True)
    font = config_dir / "Arial.ttf"
    if not font.exists():
        shutil.copyfile(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf", font)
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_CONFIG_DIR"] = str(config_dir)


def provide_torchvision_nms() -> None:
    """Define `torchvision::nms` (and `qnms`) with ultralytics' pure-torch NMS, then import torchvision.

    Must run before anything imports torchvision; a no-op where torchvision's own ops load.
    """
    import torch

    package = importlib.util.find_spec("torchvision")  # locates it without importing it
    if "torchvision" in sys.modules or package is None:
        return
    try:
        torch.ops.load_library(next(Path(package.origin).parent.glob("_C*.so")))
        return  # a build that matches this torch
    except (OSError, StopIteration):
        pass  # the CUDA build on CPU torch: define the op below
    from ultralytics.utils.nms import TorchNMS

    global _TORCHVISION_LIB
    _TORCHVISION_LIB = torch.library.Library("torchvision", "DEF")
    for name in ("nms", "qnms"):
        _TORCHVISION_LIB.define(f"{name}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        _TORCHVISION_LIB.impl(name, lambda d, s, t: TorchNMS.nms(d.float(), s.float(), t), "CPU")
    import torchvision.extension

    torchvision.extension._has_ops = lambda: True  # its ops.nms checks this before calling the op


def assign_nested_objects() -> None:
    """Give an anchor inside several labelled boxes to the smallest of them (FCOS's rule); call
    before training.

    A cube in a bowl, box or drawer shares its centre with the container. Stock, ultralytics gives
    such an anchor to the box its prediction overlaps most, at first the container's: measured on
    training batches, a cube in a container got 3.7 positive anchors against 6.9 for one on the
    table (7.3 with this rule). The container keeps the anchors outside the object.
    """
    import torch
    from ultralytics.utils.tal import TaskAlignedAssigner

    if getattr(TaskAlignedAssigner, "_assigns_nested_objects", False):
        return
    forward, select = TaskAlignedAssigner._forward, TaskAlignedAssigner.select_highest_overlaps

    def _forward(self, pd_scores, pd_bboxes, anc_points, gt_labels, gt_bboxes, mask_gt, **extra):
        self._gt_area = ((gt_bboxes[..., 2] - gt_bboxes[..., 0]) * (gt_bboxes[..., 3] - gt_bboxes[..., 1]))[..., None]
        return forward(self, pd_scores, pd_bboxes, anc_points, gt_labels, gt_bboxes, mask_gt, **extra)

    def select_highest_overlaps(self, mask_pos, overlaps, n_max_boxes, align_metric):
        # "Highest overlap" only breaks ties between boxes: rank them by smallness instead.
        smallness = torch.where(mask_pos.bool(), -self._gt_area, torch.finfo(overlaps.dtype).min)
        return select(self, mask_pos, smallness.to(overlaps.dtype), n_max_boxes, align_metric)

    TaskAlignedAssigner._forward = _forward
    TaskAlignedAssigner.select_highest_overlaps = select_highest_overlaps
    TaskAlignedAssigner._assigns_nested_objects = True


def reset_class_head(yolo) -> None:
    """Give a loaded model's classification branch the weights of a new, untrained one.

    A class head trained with the stock assigner has learnt that a container's inside is no object:
    fine-tuned with `assign_nested_objects`, a cube in a bowl still scored 0.05 after 100 steps on 8
    images (a new head: 0.6 after 20, as fast as a cube on the table). The box branch and the
    features are kept.
    """
    from ultralytics.nn.tasks import DetectionModel

    fresh = DetectionModel(MODEL_CONFIG, nc=len(yolo.names), verbose=False)  # builds, strides and bias-inits its head
    yolo.model.model[-1].cv3.load_state_dict(fresh.model[-1].cv3.state_dict())


def train(data: Path, epochs: int, image_px: int, seed: int, project: Path, resume: Path | None,
          batch: int, hours: float | None, init: Path | None = None, fresh_class_head: bool = False) -> Path:
    """Train (or resume) and return the best checkpoint's path."""
    prepare_offline(project / "yolo_config")
    import torch

    torch.set_num_threads(1)
    provide_torchvision_nms()
    assign_nested_objects()
    from ultralytics import YOLO

    if resume is not None:
        model = YOLO(str(resume))
        results = model.train(resume=True)
    else:
        model = YOLO(str(init) if init is not None else MODEL_CONFIG)
        if fresh_class_head:
            reset_class_head(model)
        options = {"time": hours} if hours else {}
        results = model.train(data=str(data), epochs=epochs, imgsz=image_px, batch=batch, seed=seed,
                              deterministic=True, device="cpu", workers=0, project=str(project), name="train",
                              exist_ok=True, plots=False, amp=False, patience=epochs, cache=True, verbose=False,
                              warmup_epochs=1, close_mosaic=2,
                              **AUGMENT, **options)
    return Path(results.save_dir if results is not None else model.trainer.save_dir) / "weights" / "best.pt"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m griptalk.perception.train_detector",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, help="data.yaml written by griptalk.perception.dataset")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--image-px", type=int, default=320, help="training image size [px]")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--hours", type=float, default=None, help="stop after this long (overrides --epochs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--project", type=Path, default=Path("runs/detector"), help="training output folder")
    parser.add_argument("--resume", type=Path, default=None, help="last.pt of a stopped run to carry on")
    parser.add_argument("--init", type=Path, default=None, help="start from these weights instead of from scratch")
    parser.add_argument("--fresh-class-head", action="store_true",
                        help="with --init: relearn the class scores on the initial weights' features")
    parser.add_argument("--install", type=Path, default=WEIGHTS, help="where the best weights are copied")
    args = parser.parse_args(argv)
    if args.resume is None and (args.data is None or not args.data.is_file()):
        parser.error("--data must name an existing data.yaml (or give --resume)")
    for path in (args.resume, args.init):
        if path is not None and not path.is_file():
            parser.error(f"no such file {path}")
    if args.epochs < 1 or args.image_px < 32 or args.batch < 1:
        parser.error("need --epochs >= 1, --image-px >= 32, --batch >= 1")
    if args.fresh_class_head and args.init is None:
        parser.error("--fresh-class-head needs --init")
    best = train(args.data, args.epochs, args.image_px, args.seed, args.project, args.resume, args.batch, args.hours,
                 args.init, args.fresh_class_head)
    args.install.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(best, args.install)
    print(f"weights: {args.install} ({args.install.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
