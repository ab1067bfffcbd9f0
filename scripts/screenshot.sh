#!/usr/bin/env bash
# Refreshes the README screenshots: runs the studio_screenshot test (the studio in a real X
# window under xvfb-run, solving the example design) and copies its images into docs/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
(cd build && ctest -R '^studio_screenshot$' --output-on-failure)
cp build/screenshot.png docs/screenshot.png
cp build/screenshot-schedule.png docs/schedule.png
echo "docs/screenshot.png and docs/schedule.png updated"
