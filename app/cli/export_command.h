// `trainplan export` (solve a design and write its firmware folder) and `trainplan verify`
// (build the folder for the host and, when the cross toolchain and QEMU are installed, for
// Cortex-M4/M7, run it and check it against its memory report).
#pragma once

#include <string>
#include <vector>

namespace tp::cli {

int run_export(const std::vector<std::string>& args);
int run_verify(const std::vector<std::string>& args);

}  // namespace tp::cli
