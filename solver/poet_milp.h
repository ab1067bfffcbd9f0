// The exact scheduler: the POET MILP (solver/poet_model.h) solved by GLPK's branch and cut,
// warm-started, time-limited and cancellable. The same model with recompute or paging closed
// gives the recompute-only and paging-only baselines, each the optimum of its own family.
#pragma once

#include <vector>

#include "solver/poet_model.h"
#include "solver/scheduler.h"

namespace tp {

// What the search of one family of schedules left: the energy of its best schedule (+infinity
// for none) and what it proved every schedule of the family costs at least (+infinity when the
// family has none within the budget).
struct FamilyOutcome {
    double energy_j = 0.0, bound_j = 0.0;
};

// What a solve that searched several families can claim about their union: the cheapest
// schedule (`winner`, -1 for none), and a bound that holds for every family, the lowest of
// theirs (at most the winner's energy). Proven when that bound is within the relative gap.
struct FamilyClaim {
    int winner = -1;
    double energy_j = 0.0, bound_j = 0.0;
    bool proven = false;
};
FamilyClaim claim_over_families(const std::vector<FamilyOutcome>& families, double relative_gap);

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
