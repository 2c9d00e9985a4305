"""ament_python package that installs griptalk from the repository's own folders (no copies):
the Python packages in src/ and sim/, and launch/, config/, urdf/ into share/griptalk.
Console scripts come from the repository's pyproject.toml, so the node list lives in one place."""
import os
import tomllib
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
rel = lambda p: os.path.relpath(p, HERE)  # noqa: E731 - setuptools wants paths relative to setup.py

scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
packages = find_packages(str(ROOT / "src")) + find_packages(str(ROOT / "sim"))
package_dir = {p: rel(ROOT / ("sim" if p.startswith("griptalk_sim") else "src") / p.replace(".", "/"))
               for p in packages}


def share(folder: str, pattern: str):
    return (f"share/griptalk/{folder}", [rel(f) for f in sorted((ROOT / folder).glob(pattern)) if f.is_file()])


setup(
    name="griptalk",
    version="0.1.0",
    packages=packages,
    package_dir=package_dir,
    package_data={"griptalk": ["*/weights/*", "bench/data/*.yaml"], "griptalk_sim": ["scenes/*.yaml"]},
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/griptalk"]),
        ("share/griptalk", ["package.xml"]),
        share("launch", "*.yaml"),
        share("config", "*"),
        share("config/robots", "*.yaml"),
        share("urdf", "*"),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    entry_points={"console_scripts": [f"{name} = {target}" for name, target in scripts.items()]},
)
