// One front door for every scheduler: a TrainingGraph and options in, a SolveResult out.
// Results are status values, never exceptions (HiGHS-style).
#pragma once

#include <cstdint>
#include <string>

#include "engine/training_graph.h"
#include "solver/schedule.h"

namespace tp {

enum class SolveStatus { optimal, feasible, infeasible, cancelled, error };
const char* solve_status_name(SolveStatus s);

struct SolveOptions {
    int64_t ram_budget_bytes = 0;  // 0: unlimited
    double time_limit_s = 60.0;
};

struct SolveResult {
    SolveStatus status = SolveStatus::error;
    Schedule schedule;
    std::string message;  // why, for infeasible / error
    double solve_time_s = 0.0;
};

class Scheduler {
  public:
    virtual ~Scheduler() = default;
    virtual std::string name() const = 0;
    virtual SolveResult solve(const TrainingGraph& graph, const SolveOptions& options) const = 0;
};

// Store-all: compute every node once in the graph's order, free each output after its
// last reader. The energy floor and the reference every other schedule is checked against.
class StoreAllScheduler final : public Scheduler {
  public:
    std::string name() const override { return "store-all"; }
    SolveResult solve(const TrainingGraph& graph, const SolveOptions& options) const override;
};

}  // namespace tp
