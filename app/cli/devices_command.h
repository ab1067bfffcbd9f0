// `trainplan devices [--json]`: the board profiles of the built-in and the user folder.
#pragma once

#include <string>
#include <vector>

namespace tp::cli {

// Prints the boards as a table, or with --json their full profiles as a JSON array. Files that
// could not be used are reported on stderr as warnings naming the file; the exit code stays 0.
int run_devices(const std::vector<std::string>& args);

}  // namespace tp::cli
