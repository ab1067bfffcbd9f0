#!/bin/sh
# Exports MODEL for a Cortex-M board and runs it under QEMU on mps2-an386 (Cortex-M4) and
# mps2-an500 (Cortex-M7) through `trainplan verify`: -Werror cross build, RAM (.data + .bss)
# within the board's SRAM, the linked arena within the budget, the loss falling on the
# synthetic task, exit 0.
# usage: qemu_check.sh TRAINPLAN MODEL DEVICE BUDGET PLAN
set -e
cli=$1 model=$2 device=$3 budget=$4 plan=$5
dir=$(mktemp -d /tmp/trainplan-qemu-XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$cli" export "$model" --plan "$plan" --device "$device" --budget "$budget" --target cortex-m4 --out "$dir/fw"
"$cli" verify "$dir/fw" --targets host,cortex-m4,cortex-m7 --timeout 600
