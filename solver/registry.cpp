#include <memory>

#include "solver/baselines.h"
#include "solver/chain_dp.h"
#include "solver/poet_milp.h"
#include "solver/scheduler.h"

namespace tp {

std::unique_ptr<Scheduler> make_scheduler(const std::string& name) {
    if (name == "store-all") return std::make_unique<StoreAllScheduler>();
    if (name == "milp") return std::make_unique<PoetMilpScheduler>();
    if (name == "dp") return std::make_unique<ChainDpScheduler>();
    if (name == "sqrt-n") return std::make_unique<SqrtNScheduler>();
    if (name == "recompute-only")
        return std::make_unique<PoetMilpScheduler>(PoetFamily{true, false}, name);
    if (name == "paging-only")
        return std::make_unique<PoetMilpScheduler>(PoetFamily{false, true}, name);
    return nullptr;
}

std::vector<std::string> scheduler_names() {
    return {"milp", "dp", "store-all", "sqrt-n", "recompute-only", "paging-only"};
}

}  // namespace tp
