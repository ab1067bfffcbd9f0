#include "engine/project.h"

#include <filesystem>
#include <system_error>
#include <type_traits>

#include "engine/io/atomic_file.h"
#include "engine/model_loader.h"
#include "engine/sha256.h"

namespace tp {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kZooPrefix = "zoo:";

bool is_zoo(const std::string& model) {
    return model.rfind(kZooPrefix, 0) == 0;
}

fs::path absolute_normal(const fs::path& p) {
    std::error_code ec;
    fs::path a = fs::absolute(p, ec);
    return (ec ? p : a).lexically_normal();
}

fs::path project_folder(const std::string& project_path) {
    return absolute_normal(project_path).parent_path();
}

// Relative to the project's folder when the model lies below it, else absolute.
std::string stored_model_path(const std::string& model, const std::string& project_path) {
    const fs::path abs = absolute_normal(model);
    const fs::path rel = abs.lexically_relative(project_folder(project_path));
    if (!rel.empty() && *rel.begin() != ".." && rel.is_relative()) return rel.generic_string();
    return abs.generic_string();
}

const char* json_type_name(const json& v) {
    return v.type_name();
}

// Reads optional fields of one JSON object; the first wrong type or value is kept as the error,
// naming the field by its dotted path.
class FieldReader {
  public:
    FieldReader(const json& object, std::string prefix, std::string where)
        : object_(object), prefix_(std::move(prefix)), where_(std::move(where)) {}

    template <class T>
    T get(const char* key, T fallback) {
        if (!error_.empty() || !object_.contains(key)) return fallback;
        const json& v = object_.at(key);
        bool fits = false;
        if constexpr (std::is_same_v<T, bool>)
            fits = v.is_boolean();
        else if constexpr (std::is_integral_v<T>)
            fits = v.is_number_integer();
        else if constexpr (std::is_floating_point_v<T>)
            fits = v.is_number();
        else
            fits = v.is_string();
        if (!fits) {
            fail(key, std::string("has the wrong type (") + json_type_name(v) + ")");
            return fallback;
        }
        return v.get<T>();
    }

    void fail(const char* key, const std::string& what) {
        if (error_.empty())
            error_ = where_ + ": field \"" + prefix_ + key + "\" " + what +
                     " — correct it in the project file";
    }
    const std::string& error() const { return error_; }

  private:
    const json& object_;
    std::string prefix_;
    std::string where_;
    std::string error_;
};

struct Failure {
    ProjectProblem kind;
    std::string message;
};

// The plan object of a project file: the layers listed are the complete plan; the preset it
// started from is only a record ("from_preset"), so a later change to a preset's definition
// cannot change a saved plan.
json plan_object(const TrainingPlan& plan) {
    json j = plan_to_json(plan);
    j.erase("preset");
    if (!plan.preset.empty()) j["from_preset"] = plan.preset;
    return j;
}

// With a changed model: keeps only the plan entries the current network accepts, one by one.
json prune_plan(const Network& net, json plan, std::vector<std::string>& warnings) {
    if (plan.contains("layers") && plan["layers"].is_object()) {
        json kept = json::object();
        for (const auto& [name, mode] : plan["layers"].items()) {
            json single = json::object();
            single["layers"][name] = mode;
            auto one = plan_from_json(net, single, "the changed model");
            if (one)
                kept[name] = mode;
            else
                warnings.push_back("dropped the plan's setting for layer '" + name +
                                   "': " + one.error().message);
        }
        plan["layers"] = kept;
    }
    if (plan.contains("adapters") && plan["adapters"].is_array()) {
        json kept = json::array();
        for (const auto& block : plan["adapters"]) {
            json single = json::object();
            single["adapters"] = json::array();
            single["adapters"].push_back(block);
            auto one = plan_from_json(net, single, "the changed model");
            if (one)
                kept.push_back(block);
            else
                warnings.push_back("dropped the adapter on " + block.dump() + ": " +
                                   one.error().message);
        }
        plan["adapters"] = kept;
    }
    return plan;
}

std::string short_hash(const std::string& hex) {
    return hex.substr(0, 12) + "…";
}

Result<LoadedProject> load(const std::string& path, const ProjectLoadOptions& options,
                           Failure& failure) {
    const std::string where = "project '" + path + "'";
    auto fail = [&](ProjectProblem kind, std::string message) -> Error {
        failure = {kind, message};
        return Error{std::move(message)};
    };

    auto text = read_file(path);
    if (!text)
        return fail(ProjectProblem::unreadable,
                    "cannot open " + where + ": " + text.error().message);
    json j;
    try {
        j = json::parse(*text);
    } catch (const json::parse_error& e) {
        return fail(
            ProjectProblem::malformed,
            where + " is not valid JSON (" + e.what() +
                ") — it may be cut short or edited by hand; a backup copy may have it whole");
    }
    if (!j.is_object() || !j.contains("format"))
        return fail(ProjectProblem::malformed,
                    where + " is not a TrainPlan project: it has no \"format\" field");
    const json& format = j.at("format");
    if (!format.is_number_integer() || format.get<int64_t>() < 1)
        return fail(ProjectProblem::malformed, where + " has an unknown \"format\" " +
                                                   format.dump() + "; this version reads " +
                                                   std::to_string(kProjectFormat));
    if (format.get<int64_t>() > kProjectFormat)
        return fail(ProjectProblem::newer_format,
                    where + " was written by a newer TrainPlan; format " + format.dump() +
                        ", this version reads " + std::to_string(kProjectFormat) +
                        " — open it with a newer TrainPlan Studio");

    LoadedProject out;
    Project& p = out.project;

    // The model: "zoo" names a built-in model; "path" a file, relative to the project's folder.
    if (!j.contains("model") || !j.at("model").is_object())
        return fail(ProjectProblem::malformed,
                    where +
                        " names no model (expected \"model\": {\"path\": …, \"sha256\": …} "
                        "or {\"zoo\": …})");
    const json& model = j.at("model");
    FieldReader model_fields(model, "model.", where);
    const std::string zoo = model_fields.get<std::string>("zoo", "");
    const std::string stored_path = model_fields.get<std::string>("path", "");
    const std::string saved_hash = model_fields.get<std::string>("sha256", "");
    if (!model_fields.error().empty()) return fail(ProjectProblem::malformed, model_fields.error());
    if (zoo.empty() && stored_path.empty() && options.model_override.empty())
        return fail(ProjectProblem::malformed,
                    where + ": \"model\" has neither a \"path\" nor a \"zoo\" name");

    if (!zoo.empty() && options.model_override.empty()) {
        p.model = kZooPrefix + zoo;
    } else {
        fs::path resolved;
        if (!options.model_override.empty())
            resolved = absolute_normal(options.model_override);
        else if (fs::path(stored_path).is_absolute())
            resolved = fs::path(stored_path).lexically_normal();
        else
            resolved = (project_folder(path) / stored_path).lexically_normal();
        std::error_code ec;
        if (!fs::is_regular_file(resolved, ec)) {
            if (!options.model_override.empty())
                return fail(ProjectProblem::model_missing, where + ": the model file you chose, '" +
                                                               resolved.string() +
                                                               "', does not exist");
            return fail(ProjectProblem::model_missing,
                        where + ": the model file '" + resolved.string() +
                            "' moved or was deleted; put it back, or locate the model to open "
                            "the project with it");
        }
        p.model = resolved.generic_string();
        auto hash = sha256_file_hex(p.model);
        if (!hash) return fail(ProjectProblem::model_invalid, where + ": " + hash.error().message);
        p.model_sha256 = *hash;
        if (saved_hash.empty()) {
            out.warnings.push_back(
                "the project records no content hash for its model; the next "
                "save records it");
        } else if (saved_hash != p.model_sha256) {
            if (!options.accept_changed_model)
                return fail(ProjectProblem::model_changed,
                            where + ": the model file '" + p.model +
                                "' changed since the project was saved (SHA-256 " +
                                short_hash(saved_hash) + " then, " + short_hash(p.model_sha256) +
                                " now); open it anyway to apply the plan to the current model — "
                                "settings for layers it no longer has are dropped");
            out.model_changed = true;
            out.warnings.push_back("the model file '" + p.model +
                                   "' changed since the project was saved");
        }
    }
    auto net = load_model(p.model);
    if (!net) return fail(ProjectProblem::model_invalid, where + ": " + net.error().message);
    out.network = std::move(net).value();

    FieldReader fields(j, "", where);
    p.device_id = fields.get<std::string>("device", "");
    p.ram_budget_bytes = fields.get<int64_t>("ram_budget_bytes", 0);
    p.deadline_s = fields.get<double>("deadline_s", 0.0);
    if (p.ram_budget_bytes < 0) fields.fail("ram_budget_bytes", "must not be negative");
    if (p.deadline_s < 0) fields.fail("deadline_s", "must not be negative (0: no deadline)");
    if (!fields.error().empty()) return fail(ProjectProblem::malformed, fields.error());

    if (j.contains("solver")) {
        if (!j.at("solver").is_object())
            return fail(ProjectProblem::malformed,
                        where + ": field \"solver\" must be an object of solver options");
        FieldReader solver(j.at("solver"), "solver.", where);
        p.solver = solver.get<std::string>("name", p.solver);
        p.time_limit_s = solver.get<double>("time_limit_s", p.time_limit_s);
        p.recompute_depth = solver.get<int>("recompute_depth", p.recompute_depth);
        p.allow_paging = solver.get<bool>("allow_paging", p.allow_paging);
        p.allow_recompute = solver.get<bool>("allow_recompute", p.allow_recompute);
        if (!(p.time_limit_s > 0)) solver.fail("time_limit_s", "must be positive");
        if (p.recompute_depth < -1)
            solver.fail("recompute_depth", "must be -1 (by graph size), 0 (exact) or more");
        if (!solver.error().empty()) return fail(ProjectProblem::malformed, solver.error());
    }

    json plan = json::object();
    if (j.contains("plan")) plan = j.at("plan");
    if (!plan.is_object())
        return fail(ProjectProblem::malformed, where + ": field \"plan\" must be an object");
    std::string from_preset;
    if (plan.contains("from_preset")) {
        if (!plan.at("from_preset").is_string())
            return fail(ProjectProblem::malformed,
                        where + ": field \"plan.from_preset\" must be a preset name");
        from_preset = plan.at("from_preset").get<std::string>();
        plan.erase("from_preset");
    }
    if (out.model_changed) plan = prune_plan(out.network, std::move(plan), out.warnings);
    auto parsed = plan_from_json(out.network, plan, where);
    if (!parsed)
        return fail(ProjectProblem::plan_mismatch,
                    parsed.error().message +
                        " — was the project saved for another model? Fix "
                        "or remove that entry in the project file");
    p.plan = std::move(parsed).value();
    if (!from_preset.empty()) p.plan.preset = from_preset;

    if (j.contains("last_result")) {
        const json& last = j.at("last_result");
        if (!last.is_object() && !last.is_null())
            return fail(ProjectProblem::malformed,
                        where + ": field \"last_result\" must be a solve result object");
        if (last.is_object()) {
            if (out.model_changed)
                out.warnings.push_back("dropped the last solve result: it was for the old model");
            else
                p.last_result = last;
        }
    }
    return out;
}

}  // namespace

Result<std::string> model_content_hash(const std::string& model) {
    if (is_zoo(model)) return std::string();
    return sha256_file_hex(model);
}

json project_to_json(const Project& project, const std::string& project_path) {
    json j;
    j["format"] = kProjectFormat;
    if (is_zoo(project.model))
        j["model"] = {{"zoo", project.model.substr(std::string(kZooPrefix).size())}};
    else
        j["model"] = {{"path", stored_model_path(project.model, project_path)},
                      {"sha256", project.model_sha256}};
    j["device"] = project.device_id;
    j["ram_budget_bytes"] = project.ram_budget_bytes;
    j["deadline_s"] = project.deadline_s;
    j["plan"] = plan_object(project.plan);
    j["solver"] = {{"name", project.solver},
                   {"time_limit_s", project.time_limit_s},
                   {"recompute_depth", project.recompute_depth},
                   {"allow_paging", project.allow_paging},
                   {"allow_recompute", project.allow_recompute}};
    if (project.last_result) j["last_result"] = *project.last_result;
    return j;
}

Status save_project(const Project& project, const std::string& path) {
    Project p = project;
    if (!is_zoo(p.model) && p.model_sha256.empty()) {
        // A model that vanished since it was opened must not stop the user's work from being
        // saved: the project is then saved without a hash, and the next open skips the check.
        if (auto hash = sha256_file_hex(p.model)) p.model_sha256 = *hash;
    }
    std::string text;
    try {
        text = project_to_json(p, path).dump(2) + "\n";
    } catch (const json::exception& e) {
        return Error{"cannot save project '" + path + "': a text field is not valid UTF-8 (" +
                     e.what() + "); the file was not changed"};
    }
    if (auto s = write_file_atomically(path, text); !s)
        return Error{s.error().message + "; the project file was not changed"};
    return ok_status();
}

Result<LoadedProject> load_project(const std::string& path, const ProjectLoadOptions& options,
                                   ProjectProblem* problem) {
    Failure failure{ProjectProblem::none, {}};
    auto loaded = load(path, options, failure);
    if (problem) *problem = loaded ? ProjectProblem::none : failure.kind;
    return loaded;
}

}  // namespace tp
