// The `trainplan` subcommands. Each returns the process exit code and prints its own
// output; errors go to stderr as one line naming the cause.
#pragma once

#include <string>
#include <vector>

namespace tp::cli {

int run_zoo(const std::vector<std::string>& args);
int run_inspect(const std::vector<std::string>& args);
int run_memory(const std::vector<std::string>& args);

int fail(const std::string& message);  // prints "trainplan: error: ..." and returns 1

}  // namespace tp::cli
