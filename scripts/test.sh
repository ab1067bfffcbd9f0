#!/usr/bin/env bash
# Builds everything with warnings as errors and runs the whole test suite through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh -DTP_WERROR=ON
cd build
ctest --output-on-failure -j2 --timeout 600
