// Runs the built `trainplan` (TP_CLI_PATH) with arguments and captures its exit code and output.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace tp::testing {

struct CliRun {
    int exit_code = -1;
    std::string out;
};

// stdout, and stderr too unless `with_stderr` is false (for output parsed as JSON).
inline CliRun run_trainplan(const std::string& args, bool with_stderr = true) {
    CliRun r;
    const std::string cmd =
        std::string(TP_CLI_PATH) + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    const int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

}  // namespace tp::testing
