#!/usr/bin/env bash
# Builds griptalk_interfaces with rosidl into a virtual environment that holds the ROS 2 wheels.
# On a robot with apt ROS 2, `colcon build` in ros2_ws/ builds the same sources.
set -euo pipefail
venv=$(cd "${1:?usage: build_interfaces.sh VENV}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
py=$venv/bin/python
site=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
include=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')

# The wheels' exported CMake files name the Python of the container they were built in.
grep -rlZ /opt/python/cp3 "$venv/share" 2>/dev/null | xargs -0 -r sed -i -E \
  -e "s#/opt/python/cp3[0-9]+-cp3[0-9]+/include/python3\.[0-9]+#$include#g" \
  -e "s#/opt/python/cp3[0-9]+-cp3[0-9]+/lib/python3\.[0-9]+/site-packages#$site#g" \
  -e "s#/opt/python/cp3[0-9]+-cp3[0-9]+#$venv#g"

build=$venv/build/griptalk_interfaces
mkdir -p "$build"
export AMENT_PREFIX_PATH=$venv CMAKE_PREFIX_PATH=$venv PATH=$venv/bin:$PATH
cmake -S "$here/src/griptalk_interfaces" -B "$build" -DCMAKE_INSTALL_PREFIX="$venv" \
  -DPython3_EXECUTABLE="$py" -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Release > "$build/configure.log" \
  || { cat "$build/configure.log"; exit 1; }
cmake --build "$build" --target install -- -j"$(nproc)" > "$build/build.log" \
  || { tail -50 "$build/build.log"; exit 1; }
"$py" -c 'import griptalk_interfaces.action, griptalk_interfaces.msg, griptalk_interfaces.srv'
echo "griptalk_interfaces built into $venv"
