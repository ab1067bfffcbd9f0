#!/usr/bin/env bash
# The main job on a built-in example: installs what is missing, builds, and reports the
# training memory of MCUNet under the 256KB paper's sparse-update plan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
./build/app/trainplan memory zoo:mcunet --plan sparse
