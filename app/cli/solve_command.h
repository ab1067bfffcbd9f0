// `trainplan solve` (one board, one budget: the schedule and its account) and
// `trainplan compare` (boards × budgets, solved in parallel on every core).
#pragma once

#include <string>
#include <vector>

namespace tp::cli {

int run_solve(const std::vector<std::string>& args);
int run_compare(const std::vector<std::string>& args);

}  // namespace tp::cli
