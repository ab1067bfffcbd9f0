// trainplan: the command-line face of TrainPlan Studio's engine.
#include <cstdio>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "app/cli/devices_command.h"
#include "app/cli/export_command.h"
#include "app/cli/solve_command.h"

namespace {

const char* kUsage = R"(usage: trainplan COMMAND [ARGS]

commands:
  zoo [--json]                         list the built-in models
  inspect MODEL [--json]               layers with op, output shape, params, MACs; totals
  memory MODEL [--plan PRESET|PLAN.json] [--batch N] [--optimizer sgd|sgd-momentum|adam]
               [--precision fp32|int8] [--classes N] [--no-in-place] [--json]
                                       training memory of the store-all schedule, broken down
  devices [--json]                     the board profiles (built-in and user folder)
  solve MODEL --device ID --budget SIZE [--deadline SECONDS] [PLAN OPTIONS]
        [--solver milp|dp|store-all|sqrt-n|recompute-only|paging-only] [--time-limit S]
        [--recompute-depth N] [--threads N] [--json] [--out schedule.json]
                                       the least-energy schedule that fits the budget
  compare MODEL --devices a,b,... --budgets LIST|FROM..TO:N [PLAN OPTIONS]
          [--solver NAME] [--time-limit S] [--jobs N] [--threads N] [--csv|--json]
                                       boards × budgets, solved in parallel
  export (PROJECT.tplan | MODEL --device ID --budget SIZE [PLAN OPTIONS]) --out DIR
         [--target host|cortex-m4|cortex-m7] [--lr X] [--steps N] [--solver NAME]
         [--time-limit S] [--no-reference]
                                       firmware C++ that trains on the device as planned
  verify DIR [--targets host,cortex-m4,cortex-m7] [--steps N] [--timeout S]
                                       build and run an export (host; QEMU Cortex-M when
                                       the cross toolchain is installed) and check it

MODEL is a path to an .onnx or .tpnet.json file, or zoo:NAME.
PRESET is one of: full, last-layer, bias-only, tinytl-lb, sparse.
PLAN OPTIONS are memory's --plan, --batch, --optimizer, --precision, --classes, --no-in-place.
SIZE is bytes or a number with K/KiB/KB, M/MiB/MB (binary units), e.g. 256K.
)";

}  // namespace

int main(int argc, char** argv) {
    // Line-buffered even into a pipe: the studio streams export/verify progress as it happens.
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
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
    if (command == "devices") return tp::cli::run_devices(rest);
    if (command == "solve") return tp::cli::run_solve(rest);
    if (command == "compare") return tp::cli::run_compare(rest);
    if (command == "export") return tp::cli::run_export(rest);
    if (command == "verify") return tp::cli::run_verify(rest);
    std::fprintf(stderr,
                 "trainplan: error: unknown command '%s' (commands: zoo, inspect, memory, devices, "
                 "solve, compare, export, verify)\n",
                 command.c_str());
    return 2;
}
