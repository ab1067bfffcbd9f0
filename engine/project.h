// The `*.tplan` project: everything the studio needs to reopen a piece of work — which model
// (by path and content hash), which board and RAM budget, the training plan, the solver's
// options and the last solve — as versioned JSON, written atomically (README "Project files").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/network.h"
#include "engine/result.h"
#include "engine/training_plan.h"

namespace tp {

// The .tplan format this version writes and the newest it reads.
inline constexpr int kProjectFormat = 1;

struct Project {
    // "zoo:NAME" or a path to an .onnx / .tpnet.json file. A loaded project holds the resolved
    // absolute path; a relative path here is taken relative to the working directory.
    std::string model;
    std::string model_sha256;  // hex SHA-256 of the model file; empty for zoo models
    TrainingPlan plan;
    std::string device_id;  // a board of the library; not checked here (the app knows the library)
    int64_t ram_budget_bytes = 0;  // 0: none chosen yet
    double deadline_s = 0.0;       // 0: none
    // Solver options, as solver/scheduler.h SolveOptions names them.
    std::string solver = "milp";
    double time_limit_s = 60.0;
    int recompute_depth = -1;  // -1: by graph size, 0: exact
    bool allow_paging = true;
    bool allow_recompute = true;
    // The `trainplan solve --json` object (solver/plan_solution.h plan_solution_to_json) of the
    // last solve, kept verbatim.
    std::optional<nlohmann::json> last_result;

    bool operator==(const Project&) const = default;
};

// The model file's content hash as a project records it: empty for "zoo:…".
Result<std::string> model_content_hash(const std::string& model);

// The JSON of a project saved at `project_path`: the model path is stored relative to the
// project's folder when the model lies below it (so the folder can move as a whole), absolute
// otherwise. Pure: touches no file.
nlohmann::json project_to_json(const Project& project, const std::string& project_path);

// Writes atomically: on any failure the file at `path` is left as it was. A file model whose
// model_sha256 is empty gets its hash computed here, so no saved project lacks one.
Status save_project(const Project& project, const std::string& path);

struct ProjectLoadOptions {
    // Open even though the model file's content changed since the save: plan entries for
    // layers or blocks the model no longer has (or can no longer train that way) are dropped,
    // the last result (computed for the old model) is dropped, each named in `warnings`.
    bool accept_changed_model = false;
    // Use this model file instead of the one the project names (the user located a moved
    // model). The hash check still applies.
    std::string model_override;
};

// Why a load failed, so the app can offer the matching way out without reading the message:
// model_missing → "Locate model…" (ProjectLoadOptions::model_override), model_changed →
// "Open anyway" (ProjectLoadOptions::accept_changed_model).
enum class ProjectProblem {
    none,
    unreadable,     // the project file cannot be read
    malformed,      // not JSON, or a field has the wrong type or an impossible value
    newer_format,   // "format" is newer than kProjectFormat
    model_missing,  // the model file moved or was deleted
    model_changed,  // the model file's SHA-256 differs from the one saved
    model_invalid,  // the model cannot be loaded (unknown zoo name, corrupt file, ...)
    plan_mismatch,  // the plan names layers or blocks the model does not have
};

struct LoadedProject {
    Project project;  // model: resolved absolute path (or zoo:NAME); model_sha256: the current hash
    Network network;  // the loaded model the plan was checked against
    bool model_changed = false;         // only with accept_changed_model
    std::vector<std::string> warnings;  // what opening changed, one sentence each
};

// Reads, checks and resolves a project. Every error names the project file; `problem`, when
// given, receives the kind of failure (none on success). The device id is not checked.
Result<LoadedProject> load_project(const std::string& path, const ProjectLoadOptions& options = {},
                                   ProjectProblem* problem = nullptr);

}  // namespace tp
