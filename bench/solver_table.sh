#!/usr/bin/env bash
# The README's solver table: for each zoo model × board, five budgets from the smallest feasible
# one to the store-all peak, every solver; prints one Markdown row per model/board/solver with
# how many budgets it solved, how many it proved optimal, the worst solve time, the latest time a
# solved budget first had a schedule, the worst proven gap among the budgets it solved, and the mean energy over the store-all floor.
# Usage: bench/solver_table.sh [build-dir] [time-limit-s]
# One cell at a time (--jobs 1): each MILP solve gets every core for its searches unless THREADS
# says how many (THREADS=1: one search, as before the portfolio).
set -euo pipefail
BUILD=${1:-build}
LIMIT=${2:-60}
CLI="$BUILD/app/trainplan"
PLAN=${PLAN:-full}
MODELS=${MODELS:-"mcunet mobilenetv2-w0.35 proxylessnas-w0.3 resnet18"}
BOARDS=${BOARDS:-"stm32f746 stm32h743 rpi4"}
SOLVERS=${SOLVERS:-"milp dp recompute-only paging-only sqrt-n store-all"}
POINTS=${POINTS:-5}

echo "| model | plan | board | solver | budgets solved | proven optimal | worst solve | worst first schedule | worst gap | energy / floor (mean) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for model in $MODELS; do
  for board in $BOARDS; do
    range=$("$CLI" solve "zoo:$model" --plan "$PLAN" --device "$board" --budget 64G --solver store-all --json |
      python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["min_feasible_budget_bytes"], d["store_all_peak_bytes"])')
    read -r low high <<<"$range"
    for solver in $SOLVERS; do
      "$CLI" compare "zoo:$model" --plan "$PLAN" --devices "$board" --budgets "${low}..${high}:${POINTS}" \
        --solver "$solver" --time-limit "$LIMIT" --jobs 1 ${THREADS:+--threads "$THREADS"} --json |
      python3 -c '
import json, sys
d = json.load(sys.stdin)
rows = d["results"]
ok = [r for r in rows if r["status"] in ("optimal", "feasible")]
opt = [r for r in rows if r["status"] == "optimal"]
worst = max(r["solve_time_s"] for r in rows)
worst_gap = max((r.get("gap", 0.0) for r in ok), default=None)
gap = "–" if worst_gap is None else f"{100 * worst_gap:.2f}%"
# When each solved budget first had a schedule: the MILP solvers report it; the others (and a
# budget settled without search) report -1 and have it when they return.
firsts = [r["first_schedule_s"] if r.get("first_schedule_s", -1.0) >= 0 else r["solve_time_s"] for r in ok]
first = f"{max(firsts):.2f} s" if ok else "–"
ratio = sum(r["energy_j"] / r["floor_energy_j"] for r in ok) / len(ok) if ok else float("nan")
print(f"| {sys.argv[1]} | {sys.argv[2]} | {sys.argv[3]} | {sys.argv[4]} | {len(ok)}/{len(rows)} | {len(opt)}/{len(rows)} | {worst:.2f} s | {first} | {gap} | {ratio:.4f} |")
' "$model" "$PLAN" "$board" "$solver"
    done
  done
done
