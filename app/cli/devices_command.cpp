#include "app/cli/devices_command.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "app/cli/cli_args.h"
#include "app/cli/commands.h"
#include "engine/device.h"
#include "engine/units.h"

namespace tp::cli {

namespace {

// Megabytes per second with three significant digits and no exponent: 1536, 45.5, 0.0994.
std::string mb_per_s(double bytes_per_s) {
    double v = bytes_per_s / 1e6;
    int decimals = v > 0 ? 2 - static_cast<int>(std::floor(std::log10(v))) : 0;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", std::clamp(decimals, 0, 4), v);
    return buf;
}

std::string storage_summary(const Device& d) {
    if (!d.storage) return "none (no paging)";
    const Storage& s = *d.storage;
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s %s, read %s / write %s MB/s", storage_kind_name(s.kind),
                  format_bytes(s.capacity_bytes).c_str(), mb_per_s(s.read_bytes_per_s).c_str(),
                  mb_per_s(s.write_bytes_per_s).c_str());
    return buf;
}

}  // namespace

int run_devices(const std::vector<std::string>& argv) {
    auto args = parse_args(argv, {}, {"--json"});
    if (!args) return fail(args.error().message);
    if (!args->positional.empty()) return fail("usage: trainplan devices [--json]");

    std::vector<std::string> dirs = default_device_dirs();
    DeviceLibrary lib = load_device_library(dirs);
    for (const auto& p : lib.problems)
        std::fprintf(stderr, "trainplan: warning: %s\n", p.message.c_str());

    if (args->flag("--json")) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& d : lib.devices) {
            nlohmann::json e = device_to_json(d);
            e["file"] = d.file;
            j.push_back(e);
        }
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("%-12s %-30s %-26s %6s %11s %10s  %s\n", "id", "name", "core", "MHz", "SRAM KiB",
                "flash KiB", "storage");
    for (const auto& d : lib.devices) {
        std::printf("%-12s %-30s %-26s %6.0f %11s %10s  %s\n", d.id.c_str(), d.name.c_str(),
                    d.core.c_str(), static_cast<double>(d.clock_hz) / 1e6,
                    format_count(d.sram_bytes / 1024).c_str(),
                    format_count(d.flash_bytes / 1024).c_str(), storage_summary(d).c_str());
    }
    std::string folders;
    for (const auto& dir : dirs) folders += (folders.empty() ? "" : ", ") + dir;
    std::printf("\n%zu boards from %s. Add your own as %s/<id>.json (format: devices/README.md).\n",
                lib.devices.size(), folders.c_str(), dirs.back().c_str());
    return 0;
}

}  // namespace tp::cli
