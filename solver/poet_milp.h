// The exact scheduler: the POET MILP (solver/poet_model.h) solved by GLPK's branch and cut,
// warm-started, time-limited and cancellable. The same model with recompute or paging closed
// gives the recompute-only and paging-only baselines, each the optimum of its own family.
#pragma once

#include "solver/poet_model.h"
#include "solver/scheduler.h"

namespace tp {

class PoetMilpScheduler final : public Scheduler {
  public:
    explicit PoetMilpScheduler(PoetFamily family = {}, std::string name = "milp")
        : family_(family), name_(std::move(name)) {}
    std::string name() const override { return name_; }
    SolveResult solve(const TrainingGraph& graph, const CostModel& costs,
                      const SolveOptions& options) const override;

  private:
    PoetFamily family_;
    std::string name_;
};

}  // namespace tp
