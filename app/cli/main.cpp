// trainplan: the command-line face of TrainPlan Studio's engine.
#include <cstdio>
#include <string>
#include <vector>

#include "app/cli/commands.h"

namespace {

const char* kUsage = R"(usage: trainplan COMMAND [ARGS]

commands:
  zoo [--json]                         list the built-in models
  inspect MODEL [--json]               layers with op, output shape, params, MACs; totals
  memory MODEL [--plan PRESET|PLAN.json] [--batch N] [--optimizer sgd|sgd-momentum|adam]
               [--precision fp32|int8] [--classes N] [--no-in-place] [--json]
                                       training memory of the store-all schedule, broken down

MODEL is a path to an .onnx or .tpnet.json file, or zoo:NAME.
PRESET is one of: full, last-layer, bias-only, tinytl-lb, sparse.
)";

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        std::fputs(kUsage, args.empty() ? stderr : stdout);
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
        std::puts("trainplan 0.1.0");
        return 0;
    }
    std::string command = args[0];
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (command == "zoo") return tp::cli::run_zoo(rest);
    if (command == "inspect") return tp::cli::run_inspect(rest);
    if (command == "memory") return tp::cli::run_memory(rest);
    std::fprintf(stderr,
                 "trainplan: error: unknown command '%s' (commands: zoo, inspect, memory)\n",
                 command.c_str());
    return 2;
}
