#!/usr/bin/env bash
# Two (or more) builds of trainplan side by side on the MILP cells of the README's solver table
# that take over 2 s: for each cell every binary solves it once, one right after the other, so
# that this machine's drift in speed (±20% over an hour) falls on all of them alike. Prints one
# line per cell: status and solve time per binary, in the order given.
# Usage: bench/interleaved_cells.sh OLD/app/trainplan NEW/app/trainplan [...]
# TL: time limit per solve (10 s); THREADS: searches per solve (default: one per core).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 TRAINPLAN [TRAINPLAN...]" >&2; exit 2; }
CELLS="mcunet:stm32f746:3609888 mcunet:stm32f746:5492608 mcunet:stm32h743:5492608
mcunet:rpi4:3609888 mcunet:rpi4:5492608 mobilenetv2-w0.35:stm32f746:8730272
mobilenetv2-w0.35:stm32f746:11430448 mobilenetv2-w0.35:stm32h743:11430448
mobilenetv2-w0.35:rpi4:8730272 mobilenetv2-w0.35:rpi4:11430448
proxylessnas-w0.3:stm32f746:2513312 proxylessnas-w0.3:stm32f746:4360352
proxylessnas-w0.3:stm32h743:4360352 proxylessnas-w0.3:rpi4:2513312
proxylessnas-w0.3:rpi4:4360352"
for cell in $CELLS; do
  IFS=: read -r model board budget <<<"$cell"
  line="$model $board $budget"
  for cli in "$@"; do
    r=$("$cli" solve "zoo:$model" --plan full --device "$board" --budget "$budget" --solver milp \
        --time-limit "${TL:-10}" ${THREADS:+--threads "$THREADS"} --json 2>/dev/null |
      python3 -c 'import json,sys; d=json.load(sys.stdin); s=d["solver_stats"]; print(d["status"], "%.2f s" % s["solve_time_s"], "gap %.4f%%" % (100 * s.get("gap", 0)))') || r="failed"
    line="$line | $r"
  done
  echo "$line"
done
