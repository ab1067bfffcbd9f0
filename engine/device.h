// Device: one board's profile, read from devices/<id>.json (schema in devices/README.md).
// Identity, memory, optional secondary storage for paging, compute throughput and energy per
// MAC by op class and precision, static power, and a source for every number.
// A user folder is searched after the built-in one; the built-in board wins an id clash.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/result.h"
#include "engine/training_plan.h"

namespace tp {

// What kind of kernel a node runs; each has its own throughput and energy per MAC.
enum class OpClass { conv, depthwise, linear, elementwise };
inline constexpr std::array<OpClass, 4> kOpClasses = {OpClass::conv, OpClass::depthwise,
                                                      OpClass::linear, OpClass::elementwise};
const char* op_class_name(OpClass c);  // "conv", "depthwise", "linear", "elementwise"

enum class StorageKind { internal_flash, qspi_flash, sd, emmc, nvme };
const char* storage_kind_name(StorageKind k);  // "internal-flash", "qspi-flash", "sd", ...
std::optional<StorageKind> storage_kind_from_name(std::string_view name);

// Secondary storage activations can be paged to.
struct Storage {
    StorageKind kind = StorageKind::sd;
    int64_t capacity_bytes = 0;  // usable for paging; 0 turns paging off
    double read_bytes_per_s = 0.0;
    double write_bytes_per_s = 0.0;
    double read_energy_j_per_byte = 0.0;
    double write_energy_j_per_byte = 0.0;
    bool operator==(const Storage&) const = default;
};

struct ComputeRate {
    double macs_per_s = 0.0;        // MACs (engine convention, op_semantics.h) per second
    double energy_j_per_mac = 0.0;  // dynamic energy; static power is accounted separately
    bool operator==(const ComputeRate&) const = default;
};

struct Device {
    std::string id;  // ^[a-z0-9][a-z0-9._-]*$, the file's stem
    std::string name;
    std::string core;
    int64_t clock_hz = 0;
    int64_t sram_bytes = 0;
    int64_t flash_bytes = 0;
    std::optional<Storage> storage;  // absent: the board cannot page
    // compute[op class][precision]: index with rate().
    std::array<std::array<ComputeRate, 2>, 4> compute{};
    double static_power_w = 0.0;                 // drawn for the whole runtime
    std::map<std::string, std::string> sources;  // field path -> citation
    std::string notes;
    std::string file;  // the file it was loaded from; empty when parsed from memory

    const ComputeRate& rate(OpClass c, Precision p) const;
    ComputeRate& rate(OpClass c, Precision p);
    bool operator==(const Device&) const = default;
};

// Validates and converts one board profile. `origin` (usually the file path) prefixes every
// message, e.g. `devices/foo.json: field "compute.conv.fp32.macs_per_s" must be a positive
// number (got -3)`.
Result<Device> parse_device(const nlohmann::json& j, const std::string& origin);
// Reads and parses a file; the board's id must equal the file name's stem.
Result<Device> load_device_file(const std::string& path);
// The profile in the file format (format 1); parse_device(device_to_json(d)) == d, `file` aside.
nlohmann::json device_to_json(const Device& d);

struct DeviceLibrary {
    std::vector<Device> devices;  // sorted by id
    std::vector<Error> problems;  // files that were skipped, each naming the file
    const Device* find(std::string_view id) const;
};

// Reads every *.json in each folder, in order (files in name order). A folder that does not
// exist is skipped silently. A board whose id an earlier folder already defined is reported and
// skipped, so the built-in folder (first) wins.
DeviceLibrary load_device_library(const std::vector<std::string>& dirs);

// The built-in folder (this source tree's devices/), then the user folder: $TRAINPLAN_DEVICES
// if set, else $XDG_CONFIG_HOME/trainplan/devices, else ~/.config/trainplan/devices.
std::vector<std::string> default_device_dirs();

}  // namespace tp
