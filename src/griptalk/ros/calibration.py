"""The scene camera's calibration parameters (config/camera.yaml), shared by the sim and perception."""
from __future__ import annotations

from griptalk.camera import CameraModel
from griptalk.ros.params import Param, ParameterError

CAMERA_PARAMS = [
    Param("camera.width_px", 640, "image width [px]", 64, 4096),
    Param("camera.height_px", 480, "image height [px]", 48, 4096),
    Param("camera.vertical_fov_deg", 50.0, "vertical field of view [deg]", 10.0, 120.0),
    Param("camera.eye_m", [1.05, 0.0, 0.80], "optical centre in the base frame [m]", -5.0, 5.0),
    Param("camera.target_m", [0.45, 0.0, 0.0], "a point on the optical axis, base frame [m]", -5.0, 5.0),
]


def camera_from_params(values: dict) -> CameraModel:
    eye, target = values["camera.eye_m"], values["camera.target_m"]
    if len(eye) != 3 or len(target) != 3:
        raise ParameterError("camera.eye_m and camera.target_m must have 3 elements [m]")
    try:
        return CameraModel.looking_at(values["camera.width_px"], values["camera.height_px"],
                                      values["camera.vertical_fov_deg"], eye, target)
    except ValueError as e:
        raise ParameterError(f"camera calibration: {e}") from None
