// The model-and-plan arguments the memory, solve and compare commands share:
// MODEL [--plan PRESET|PLAN.json] [--batch N] [--optimizer …] [--precision …] [--classes N]
// [--no-in-place].
#pragma once

#include <set>
#include <string>

#include "app/cli/cli_args.h"
#include "engine/training_graph.h"

namespace tp::cli {

extern const std::set<std::string> kPlanOptions;   // valued options
extern const std::set<std::string> kPlanSwitches;  // flags

// Loads the single MODEL positional and derives its TrainingGraph under the plan the
// arguments describe (command-line settings override the plan file's).
// `with_weights`: zoo models are built with their weights (the exporter needs values).
Result<TrainingGraph> training_graph_from_args(const Args& args, const std::string& command,
                                               bool with_weights = false);

}  // namespace tp::cli
