// `trainplan verify DIR`: builds an export folder and runs it, for the host and — when
// arm-none-eabi-g++ and qemu-system-arm are installed — for Cortex-M4 (mps2-an386) and Cortex-M7
// (mps2-an500) under QEMU with semihosting. Checks, against the folder's memory_report.json:
//  - host: the budgeted schedule's parameters after N steps are bit-identical to the store-all
//    twin's and to a second run; the arena bytes the program writes end exactly where the planner
//    said (training_high_water_bytes); the loss falls;
//  - Cortex-M: it links with -Werror, RAM (.data + .bss from arm-none-eabi-size -A) is within the
//    board's SRAM and the budget, the linked arena (arm-none-eabi-nm -S) and the main's sample
//    buffers are the reported ones, the run exits 0 with the loss falling.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli/cli_args.h"
#include "app/cli/commands.h"
#include "app/cli/export_command.h"
#include "engine/io/atomic_file.h"
#include "engine/units.h"

namespace tp::cli {

namespace {

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

struct Run {
    int exit_code = -1;
    std::string output;
};

// Runs a shell command, echoing its output when `echo` is set.
Run run(const std::string& command, bool echo) {
    Run r;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return r;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, pipe)) {
        r.output.append(buf, n);
        if (echo) {
            fwrite(buf, 1, n, stdout);
            fflush(stdout);
        }
    }
    int status = pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

bool have(const std::string& tool) {
    return run("command -v " + tool + " >/dev/null", false).exit_code == 0;
}

// "key value" lines of the test programs' output.
std::map<std::string, std::string> key_values(const std::string& output) {
    std::map<std::string, std::string> kv;
    std::istringstream in(output);
    std::string line;
    while (std::getline(in, line)) {
        auto sp = line.find(' ');
        if (sp != std::string::npos) kv[line.substr(0, sp)] = line.substr(sp + 1);
    }
    return kv;
}

struct Verdict {
    std::string target;
    bool pass = false;
    std::string detail;
};

int64_t as_int(const std::map<std::string, std::string>& kv, const std::string& k) {
    auto it = kv.find(k);
    if (it == kv.end()) return -1;
    try {
        return std::stoll(it->second);
    } catch (...) {
        return -1;
    }
}

Verdict verify_host(const std::string& dir, const nlohmann::json& report, int steps) {
    Verdict v{"host", false, ""};
    std::string build = dir + "/build-host";
    std::printf("== host: configure and build (g++ -Wall -Wextra -Werror)\n");
    Run c = run("cmake -S " + quote(dir) + " -B " + quote(build) +
                    " -DTRAINPLAN_TARGET=host -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build " +
                    quote(build) + " -j2",
                false);
    if (c.exit_code != 0) {
        std::fputs(c.output.c_str(), stdout);
        v.detail = "the host build failed";
        return v;
    }
    std::printf("== host: %d training steps, budgeted schedule vs store-all twin\n", steps);
    Run t = run(quote(build + "/trainplan_host_test") + " --steps " + std::to_string(steps), true);
    auto kv = key_values(t.output);
    int64_t used = as_int(kv, "arena_used_bytes");
    int64_t predicted = report.value("training_high_water_bytes", int64_t{-1});
    int64_t arena = report.value("arena_bytes", int64_t{-1});
    std::ostringstream d;
    d << "arena " << arena << " B, written up to " << used << " B (planner: " << predicted
      << " B), store-all identical " << (kv.count("store_all_identical") ? kv["store_all_identical"] : "?")
      << ", loss " << kv["loss_first"] << " -> " << kv["loss_last"] << ", "
      << kv["step_time_us"] << " us/step";
    v.detail = d.str();
    v.pass = t.exit_code == 0 && kv["result"] == "PASS" && used == predicted &&
             kv["store_all_identical"] == "1";
    if (used != predicted) v.detail += " — the program's arena use differs from the planner's";
    return v;
}

Verdict verify_cortex(const std::string& dir, const nlohmann::json& report, const std::string& target,
                      int timeout_s) {
    Verdict v{target, false, ""};
    std::string build = dir + "/build-" + target;
    std::printf("== %s: cross-compile (arm-none-eabi-g++ -Werror)\n", target.c_str());
    Run c = run("cmake -S " + quote(dir) + " -B " + quote(build) + " -DTRAINPLAN_TARGET=" + target +
                    " -DCMAKE_TOOLCHAIN_FILE=" + quote(dir + "/cortex_m/arm-none-eabi.cmake") +
                    " -DCMAKE_BUILD_TYPE=Release >/dev/null && cmake --build " + quote(build) + " -j2",
                false);
    if (c.exit_code != 0) {
        std::fputs(c.output.c_str(), stdout);
        v.detail = "the cross build failed";
        return v;
    }
    std::string elf = build + "/trainplan_firmware.elf";
    Run size = run("arm-none-eabi-size -A " + quote(elf), false);
    int64_t data = 0, bss = 0, text = 0;
    std::istringstream in(size.output);
    std::string name;
    int64_t bytes = 0, addr = 0;
    while (in >> name) {
        if (!(in >> bytes >> addr)) {
            in.clear();
            continue;
        }
        if (name == ".data") data += bytes;
        if (name == ".bss") bss += bytes;
        if (name == ".text" || name == ".rodata") text += bytes;
    }
    // The arena as the linker placed it, against the report; .data + .bss (arena, sample
    // buffers, runtime) against SRAM and the budget.
    int64_t arena = -1;
    Run nm = run("arm-none-eabi-nm -S " + quote(elf), false);
    std::istringstream syms(nm.output);
    for (std::string line; std::getline(syms, line);) {
        std::istringstream f(line);
        std::string at, size_hex, kind, sym;
        if ((f >> at >> size_hex >> kind >> sym) && sym.find("g_arena") != std::string::npos)
            arena = std::stoll(size_hex, nullptr, 16);
    }
    int64_t sram = report.value("sram_bytes", int64_t{0});
    int64_t budget = report.value("budget_bytes", int64_t{0});
    std::string machine = target == "cortex-m4" ? "mps2-an386" : "mps2-an500";
    std::printf("== %s: RAM .data %lld + .bss %lld = %lld B, flash .text+.rodata %lld B; running "
                "on qemu %s\n",
                target.c_str(), static_cast<long long>(data), static_cast<long long>(bss),
                static_cast<long long>(data + bss), static_cast<long long>(text), machine.c_str());
    Run q = run("timeout " + std::to_string(timeout_s) + " qemu-system-arm -machine " + machine +
                    " -cpu " + target + " -nographic -monitor none -serial none"
                    " -semihosting-config enable=on,target=native -icount shift=0 -kernel " +
                    quote(elf),
                true);
    auto kv = key_values(q.output);
    std::ostringstream d;
    d << "RAM " << data + bss << " B (SRAM " << sram << ", budget " << budget << "; arena "
      << arena << " B), flash " << text << " B, loss " << kv["loss_first"] << " -> "
      << kv["loss_last"];
    if (kv.count("instructions_per_step")) d << ", " << kv["instructions_per_step"] << " instructions/step";
    v.detail = d.str();
    const bool ram_ok = (sram <= 0 || data + bss <= sram) && (budget <= 0 || data + bss <= budget);
    const bool arena_ok = arena >= 0 && arena == report.value("arena_bytes", int64_t{-1});
    // The buffers the device main passes to tp_train_step, by its own sizeof, against the
    // caller buffers the export counted into the budget.
    const bool buffers_ok =
        kv["input_bytes"] == std::to_string(report.value("caller_buffer_bytes", int64_t{-1}));
    v.pass = q.exit_code == 0 && kv["result"] == "PASS" && ram_ok && arena_ok && buffers_ok;
    if (!ram_ok) v.detail += " — .data + .bss exceed the board's SRAM or the budget";
    if (arena < 0) v.detail += " — no arena symbol (g_arena) in the ELF";
    else if (!arena_ok) v.detail += " — the linked arena differs from memory_report.json";
    if (!buffers_ok)
        v.detail += " — the device's sample buffers (" + kv["input_bytes"] +
                    " B) differ from memory_report.json's caller_buffer_bytes";
    if (q.exit_code == 124) v.detail += " — QEMU timed out after " + std::to_string(timeout_s) + " s";
    return v;
}

}  // namespace

int run_verify(const std::vector<std::string>& argv) {
    auto args = parse_args(argv, {"--targets", "--steps", "--timeout"}, {});
    if (!args) return fail(args.error().message);
    if (args->positional.size() != 1)
        return fail("usage: trainplan verify DIR [--targets host,cortex-m4,cortex-m7] [--steps N] "
                    "[--timeout S]");
    std::string dir = std::filesystem::absolute(args->positional[0]).string();
    auto text = read_file(dir + "/memory_report.json");
    if (!text)
        return fail("'" + args->positional[0] +
                    "' is not a TrainPlan export (no memory_report.json) — run trainplan export first");
    nlohmann::json report = nlohmann::json::parse(*text, nullptr, false);
    if (report.is_discarded()) return fail(dir + "/memory_report.json is not valid JSON");
    int steps = report.value("steps", 5), timeout_s = 900;
    try {
        if (args->options.count("--steps")) steps = std::stoi(args->option("--steps"));
        if (args->options.count("--timeout")) timeout_s = std::stoi(args->option("--timeout"));
    } catch (...) {
        return fail("--steps and --timeout need whole numbers");
    }
    std::string targets = args->option("--targets", "host,cortex-m4,cortex-m7");
    std::vector<Verdict> verdicts;
    bool cross = have("arm-none-eabi-g++") && have("qemu-system-arm");
    std::istringstream list(targets);
    for (std::string t; std::getline(list, t, ',');) {
        if (t == "host") {
            if (!have("cmake") || !have("g++")) return fail("verify needs cmake and g++ on PATH");
            verdicts.push_back(verify_host(dir, report, steps));
        } else if (t == "cortex-m4" || t == "cortex-m7") {
            if (!cross) {
                verdicts.push_back({t, true, "skipped: arm-none-eabi-g++ or qemu-system-arm not installed"});
                continue;
            }
            verdicts.push_back(verify_cortex(dir, report, t, timeout_s));
        } else {
            return fail("unknown target '" + t + "' (host, cortex-m4, cortex-m7)");
        }
    }
    bool all = true;
    std::printf("\n== verify %s\n", dir.c_str());
    for (const auto& v : verdicts) {
        std::printf("%-10s %s  %s\n", v.target.c_str(), v.pass ? "PASS" : "FAIL", v.detail.c_str());
        all = all && v.pass;
    }
    return all ? 0 : 1;
}

}  // namespace tp::cli
