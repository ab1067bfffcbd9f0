#!/usr/bin/env bash
# The main job on a built-in example: installs what is missing and builds; then, with a display,
# starts the studio on resources/examples/mcunet-tinytl-h743.tplan (MCUNet, TinyTL-LB in int8,
# STM32H743 at a 1010 KiB budget); without one (or under CI), prints the same design's CLI report:
# its training memory and its least-energy schedule.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
example=resources/examples/mcunet-tinytl-h743.tplan
if [ -z "${CI:-}" ] && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x build/app/trainplan-studio ]; then
  echo "Starting TrainPlan Studio on $example"
  exec ./build/app/trainplan-studio "$example"
fi
./build/app/trainplan memory zoo:mcunet --plan tinytl-lb --precision int8
echo
./build/app/trainplan solve zoo:mcunet --plan tinytl-lb --precision int8 --device stm32h743 --budget 1010K
