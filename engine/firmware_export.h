// The firmware exporter: writes a folder an embedded engineer drops into a firmware project —
// trainplan_model.h/.cpp running the solved schedule from one static arena, the flash weights,
// the runtime kernels, a CMake file for host and Cortex-M, a host test with its store-all twin
// (trainplan_reference.cpp), memory_report.json and a README (DESIGN.md "Formats": Export).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/result.h"
#include "engine/schedule.h"
#include "engine/training_graph.h"

namespace tp {

enum class FirmwareTarget { host, cortex_m4, cortex_m7 };
const char* firmware_target_name(FirmwareTarget t);  // "host", "cortex-m4", "cortex-m7"
Result<FirmwareTarget> parse_firmware_target(const std::string& name);

struct FirmwareExportOptions {
    std::string out_dir;
    FirmwareTarget target = FirmwareTarget::host;  // the default the folder's CMake builds
    float learning_rate = 0.01f;
    // Training steps the host test and the device demo run; 0 picks 2P + 1 where P is the period
    // of the synthetic task's batches (classes / gcd(batch, classes)), so the last step repeats
    // the first batch and "the loss fell" compares like with like.
    int steps = 0;
    bool with_reference = true;   // the store-all twin the host test compares against
    // For the README and the report.
    std::string model;            // "zoo:mcunet" or the file path
    std::string device_id;
    int64_t sram_bytes = 0;
    int64_t ram_budget_bytes = 0;  // 0: none; otherwise the firmware RAM must fit it
    int64_t validator_peak_bytes = 0;
    int64_t validator_storage_bytes = 0;  // the Validator's peak secondary-storage bytes
    std::string solver;
};

struct FirmwareExportReport {
    int64_t arena_bytes = 0;             // the static arena: persistent + activation region
    int64_t persistent_bytes = 0;        // trained rows and momentum (aligned)
    int64_t activation_bytes = 0;        // the larger of training's and inference's region
    int64_t activation_lower_bound = 0;  // training's peak live bytes
    int64_t training_high_water = 0;     // the last arena byte a training step writes, + 1
    int64_t inference_activation_bytes = 0;
    int64_t flash_bytes = 0;             // const weights
    // The sample and label buffers the caller passes to tp_train_step: read whenever the
    // schedule (re)computes the input, so they are training RAM too, outside the arena.
    int64_t caller_buffer_bytes = 0;
    // What the budget covers: arena + caller buffers + kFirmwareRuntimeReserveBytes.
    int64_t firmware_ram_bytes = 0;
    int64_t storage_bytes = 0;           // secondary storage the paging uses
    int steps = 0, kernel_calls = 0, page_transfers = 0;
    std::string placement;               // the planner strategy that won
    std::vector<std::string> files;      // relative to out_dir
};

// The runtime and template files the exporter copies, embedded at build time
// (resources/firmware/{runtime,template,cortex_m}); paths relative to the export folder.
struct EmbeddedFile {
    const char* path;
    const char* text;
};
const std::vector<EmbeddedFile>& firmware_runtime_files();

// RAM the firmware needs besides the arena and the caller's buffers: the C library's and the
// runtime's own data (340 B measured with newlib-nano and the RAM storage hooks, mbconv-cifar
// on cortex-m4), with room to spare.
inline constexpr int64_t kFirmwareRuntimeReserveBytes = 1024;

// The memory figures export_firmware would report for `schedule` (arena, persistent and
// activation bytes, high-water mark, storage, flash, firmware RAM), computed without writing
// anything. The arena can exceed the Validator's peak by the placement's fragmentation and
// alignment, and the firmware RAM adds the caller's buffers; the CLI uses this to solve again at
// a lower budget until the firmware RAM fits.
Result<FirmwareExportReport> plan_firmware_arena(const TrainingGraph& graph, const Schedule& schedule);

// Exports `schedule` (already accepted by the Validator) with `store_all` as the host test's
// reference. The folder is created; an existing non-empty folder is only overwritten when an
// earlier export made it (it holds memory_report.json). Each file is written atomically.
Result<FirmwareExportReport> export_firmware(const TrainingGraph& graph, const Schedule& schedule,
                                             const Schedule& store_all,
                                             const FirmwareExportOptions& options);

}  // namespace tp
