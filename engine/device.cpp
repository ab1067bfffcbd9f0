#include "engine/device.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

namespace tp {

namespace fs = std::filesystem;

const char* op_class_name(OpClass c) {
    switch (c) {
        case OpClass::conv:
            return "conv";
        case OpClass::depthwise:
            return "depthwise";
        case OpClass::linear:
            return "linear";
        case OpClass::elementwise:
            return "elementwise";
    }
    return "elementwise";
}

const char* storage_kind_name(StorageKind k) {
    switch (k) {
        case StorageKind::internal_flash:
            return "internal-flash";
        case StorageKind::qspi_flash:
            return "qspi-flash";
        case StorageKind::sd:
            return "sd";
        case StorageKind::emmc:
            return "emmc";
        case StorageKind::nvme:
            return "nvme";
    }
    return "sd";
}

std::optional<StorageKind> storage_kind_from_name(std::string_view name) {
    for (StorageKind k : {StorageKind::internal_flash, StorageKind::qspi_flash, StorageKind::sd,
                          StorageKind::emmc, StorageKind::nvme})
        if (name == storage_kind_name(k)) return k;
    return std::nullopt;
}

namespace {

constexpr std::array<Precision, 2> kPrecisions = {Precision::fp32, Precision::int8};

size_t class_index(OpClass c) {
    return static_cast<size_t>(c);
}
size_t precision_index(Precision p) {
    return p == Precision::int8 ? 1 : 0;
}

const std::vector<std::string> kTopFields = {
    "format",      "id",      "name",    "core",           "clock_hz", "sram_bytes",
    "flash_bytes", "storage", "compute", "static_power_w", "sources",  "notes"};
const std::vector<std::string> kStorageFields = {"kind",
                                                 "capacity_bytes",
                                                 "read_bytes_per_s",
                                                 "write_bytes_per_s",
                                                 "read_energy_j_per_byte",
                                                 "write_energy_j_per_byte"};
const std::vector<std::string> kRateFields = {"macs_per_s", "energy_j_per_mac"};

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

// Every path a "sources" key may name: the fields of format 1 and the objects holding them.
const std::set<std::string>& known_paths() {
    static const std::set<std::string> paths = [] {
        std::set<std::string> p(kTopFields.begin(), kTopFields.end());
        for (const auto& f : kStorageFields) p.insert("storage." + f);
        for (OpClass c : kOpClasses) {
            std::string cls = std::string("compute.") + op_class_name(c);
            p.insert(cls);
            for (Precision pr : kPrecisions) {
                std::string prec = cls + "." + precision_name(pr);
                p.insert(prec);
                for (const auto& f : kRateFields) p.insert(prec + "." + f);
            }
        }
        return p;
    }();
    return paths;
}

std::string shown(const nlohmann::json& v) {
    std::string s = v.dump();
    return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// Validates one profile, stopping at the first problem; every message names origin and field.
class Parser {
  public:
    Parser(const nlohmann::json& root, std::string origin)
        : root_(root), origin_(std::move(origin)) {}

    Result<Device> run() {
        if (!root_.is_object())
            return fail("a board profile must be a JSON object (got " + shown(root_) + ")");
        Device d;
        if (!unknown_fields(root_, "", kTopFields)) return *error_;
        const nlohmann::json* format = require(root_, "format");
        if (!format) return *error_;
        if (!format->is_number_integer() || format->get<int64_t>() != 1)
            return fail("field \"format\" must be 1 (got " + shown(*format) +
                        "); this version of TrainPlan reads board format 1");
        if (!text(root_, "id", d.id) || !text(root_, "name", d.name) ||
            !text(root_, "core", d.core))
            return *error_;
        static const std::regex id_pattern("^[a-z0-9][a-z0-9._-]*$");
        if (!std::regex_match(d.id, id_pattern))
            return fail("field \"id\" must match ^[a-z0-9][a-z0-9._-]*$ (got " +
                        shown(nlohmann::json(d.id)) + ")");
        if (!whole(root_, "clock_hz", true, d.clock_hz) ||
            !whole(root_, "sram_bytes", true, d.sram_bytes) ||
            !whole(root_, "flash_bytes", false, d.flash_bytes))
            return *error_;
        if (root_.contains("storage")) {
            Storage s;
            if (!parse_storage(root_.at("storage"), s)) return *error_;
            d.storage = s;
        }
        if (!parse_compute(d)) return *error_;
        if (!real(root_, "static_power_w", false, d.static_power_w)) return *error_;
        if (root_.contains("notes")) {
            const auto& n = root_.at("notes");
            if (!n.is_string())
                return fail("field \"notes\" must be a string (got " + shown(n) + ")");
            d.notes = n.get<std::string>();
        }
        if (!parse_sources(d)) return *error_;
        return d;
    }

  private:
    const nlohmann::json& root_;
    std::string origin_;
    std::optional<Error> error_;
    std::vector<std::string> numeric_;  // paths of the numeric fields read, to check sources

    Error fail(const std::string& message) {
        error_ = Error{origin_ + ": " + message};
        return *error_;
    }
    bool bad(const std::string& message) {
        fail(message);
        return false;
    }

    static std::string path_of(const std::string& parent, const std::string& key) {
        return parent.empty() ? key : parent + "." + key;
    }

    bool unknown_fields(const nlohmann::json& obj, const std::string& parent,
                        const std::vector<std::string>& allowed) {
        for (const auto& [key, value] : obj.items())
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
                return bad("field \"" + path_of(parent, key) +
                           "\" is not part of board format 1 (expected one of: " + join(allowed) +
                           ")");
        return true;
    }

    const nlohmann::json* require(const nlohmann::json& obj, const std::string& path) {
        std::string key =
            path.substr(path.rfind('.') == std::string::npos ? 0 : path.rfind('.') + 1);
        if (!obj.contains(key)) {
            fail("field \"" + path + "\" is missing");
            return nullptr;
        }
        return &obj.at(key);
    }

    const nlohmann::json* object(const nlohmann::json& obj, const std::string& path) {
        const nlohmann::json* v = require(obj, path);
        if (v && !v->is_object()) {
            fail("field \"" + path + "\" must be an object (got " + shown(*v) + ")");
            return nullptr;
        }
        return v;
    }

    bool text(const nlohmann::json& obj, const std::string& path, std::string& out) {
        const nlohmann::json* v = require(obj, path);
        if (!v) return false;
        if (!v->is_string() || v->get<std::string>().empty())
            return bad("field \"" + path + "\" must be a non-empty string (got " + shown(*v) + ")");
        out = v->get<std::string>();
        return true;
    }

    bool real(const nlohmann::json& obj, const std::string& path, bool positive, double& out) {
        const nlohmann::json* v = require(obj, path);
        if (!v) return false;
        double x = v->is_number() ? v->get<double>() : std::nan("");
        if (!v->is_number() || !std::isfinite(x) || (positive ? x <= 0.0 : x < 0.0))
            return bad("field \"" + path + "\" must be " +
                       (positive ? "a positive number" : "a number >= 0") + " (got " + shown(*v) +
                       ")");
        out = x;
        numeric_.push_back(path);
        return true;
    }

    bool whole(const nlohmann::json& obj, const std::string& path, bool positive, int64_t& out) {
        const nlohmann::json* v = require(obj, path);
        if (!v) return false;
        bool ok = false;
        int64_t x = 0;
        if (v->is_number_integer()) {
            if (v->is_number_unsigned() &&
                v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                ok = false;
            else {
                x = v->get<int64_t>();
                ok = true;
            }
        } else if (v->is_number_float()) {  // 216e6 is a whole number written as a float
            double f = v->get<double>();
            ok = std::isfinite(f) && f == std::floor(f) && std::fabs(f) < 9.2e18;
            x = ok ? static_cast<int64_t>(f) : 0;
        }
        if (!ok || (positive ? x <= 0 : x < 0))
            return bad("field \"" + path + "\" must be " +
                       (positive ? "a positive whole number" : "a whole number >= 0") + " (got " +
                       shown(*v) + ")");
        out = x;
        numeric_.push_back(path);
        return true;
    }

    bool parse_storage(const nlohmann::json& j, Storage& s) {
        if (!j.is_object())
            return bad("field \"storage\" must be an object (got " + shown(j) + ")");
        if (!unknown_fields(j, "storage", kStorageFields)) return false;
        std::string kind;
        if (!text(j, "storage.kind", kind)) return false;
        auto k = storage_kind_from_name(kind);
        if (!k)
            return bad(
                "field \"storage.kind\" must be one of internal-flash, qspi-flash, sd, emmc, "
                "nvme (got " +
                shown(nlohmann::json(kind)) + ")");
        s.kind = *k;
        return whole(j, "storage.capacity_bytes", false, s.capacity_bytes) &&
               real(j, "storage.read_bytes_per_s", true, s.read_bytes_per_s) &&
               real(j, "storage.write_bytes_per_s", true, s.write_bytes_per_s) &&
               real(j, "storage.read_energy_j_per_byte", true, s.read_energy_j_per_byte) &&
               real(j, "storage.write_energy_j_per_byte", true, s.write_energy_j_per_byte);
    }

    bool parse_compute(Device& d) {
        const nlohmann::json* compute = object(root_, "compute");
        if (!compute) return false;
        std::vector<std::string> classes, precisions;
        for (OpClass c : kOpClasses) classes.push_back(op_class_name(c));
        for (Precision p : kPrecisions) precisions.push_back(precision_name(p));
        if (!unknown_fields(*compute, "compute", classes)) return false;
        for (OpClass c : kOpClasses) {
            std::string cpath = std::string("compute.") + op_class_name(c);
            const nlohmann::json* cls = object(*compute, cpath);
            if (!cls || !unknown_fields(*cls, cpath, precisions)) return false;
            for (Precision p : kPrecisions) {
                std::string ppath = cpath + "." + precision_name(p);
                const nlohmann::json* entry = object(*cls, ppath);
                if (!entry || !unknown_fields(*entry, ppath, kRateFields)) return false;
                ComputeRate& r = d.rate(c, p);
                if (!real(*entry, ppath + ".macs_per_s", true, r.macs_per_s) ||
                    !real(*entry, ppath + ".energy_j_per_mac", true, r.energy_j_per_mac))
                    return false;
            }
        }
        return true;
    }

    bool parse_sources(Device& d) {
        const nlohmann::json* sources = object(root_, "sources");
        if (!sources) return false;
        for (const auto& [key, value] : sources->items()) {
            if (!known_paths().count(key))
                return bad("\"sources\" key \"" + key +
                           "\" names no field of board format 1 (use a field path such as "
                           "\"compute.conv.fp32\" or \"storage.write_bytes_per_s\")");
            if (!value.is_string() || value.get<std::string>().empty())
                return bad("field \"sources." + key + "\" must be a non-empty string (got " +
                           shown(value) + ")");
            d.sources[key] = value.get<std::string>();
        }
        // A number is sourced by its own path or by any object enclosing it.
        for (const auto& path : numeric_) {
            bool found = false;
            for (std::string p = path; !p.empty() && !found;) {
                found = d.sources.count(p) != 0;
                size_t dot = p.rfind('.');
                p = dot == std::string::npos ? "" : p.substr(0, dot);
            }
            if (!found)
                return bad("field \"" + path +
                           "\" has no entry in \"sources\"; cite where the number comes from "
                           "(datasheet and table, paper, or \"derived: <formula>\")");
        }
        return true;
    }
};

}  // namespace

const ComputeRate& Device::rate(OpClass c, Precision p) const {
    return compute[class_index(c)][precision_index(p)];
}

ComputeRate& Device::rate(OpClass c, Precision p) {
    return compute[class_index(c)][precision_index(p)];
}

Result<Device> parse_device(const nlohmann::json& j, const std::string& origin) {
    return Parser(j, origin).run();
}

Result<Device> load_device_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{path + ": cannot read the file"};
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::exception& e) {
        return Error{path + ": not valid JSON (" + e.what() + ")"};
    }
    auto d = parse_device(j, path);
    if (!d) return d;
    std::string stem = fs::path(path).stem().string();
    if (d->id != stem)
        return Error{path + ": field \"id\" is \"" + d->id + "\" but the file is named " + stem +
                     ".json; name the file " + d->id + ".json"};
    d->file = path;
    return d;
}

nlohmann::json device_to_json(const Device& d) {
    nlohmann::json j;
    j["format"] = 1;
    j["id"] = d.id;
    j["name"] = d.name;
    j["core"] = d.core;
    j["clock_hz"] = d.clock_hz;
    j["sram_bytes"] = d.sram_bytes;
    j["flash_bytes"] = d.flash_bytes;
    if (d.storage) {
        const Storage& s = *d.storage;
        j["storage"] = {{"kind", storage_kind_name(s.kind)},
                        {"capacity_bytes", s.capacity_bytes},
                        {"read_bytes_per_s", s.read_bytes_per_s},
                        {"write_bytes_per_s", s.write_bytes_per_s},
                        {"read_energy_j_per_byte", s.read_energy_j_per_byte},
                        {"write_energy_j_per_byte", s.write_energy_j_per_byte}};
    }
    nlohmann::json compute = nlohmann::json::object();
    for (OpClass c : kOpClasses)
        for (Precision p : kPrecisions) {
            const ComputeRate& r = d.rate(c, p);
            compute[op_class_name(c)][precision_name(p)] = {
                {"macs_per_s", r.macs_per_s}, {"energy_j_per_mac", r.energy_j_per_mac}};
        }
    j["compute"] = compute;
    j["static_power_w"] = d.static_power_w;
    j["sources"] = d.sources;
    if (!d.notes.empty()) j["notes"] = d.notes;
    return j;
}

const Device* DeviceLibrary::find(std::string_view id) const {
    for (const auto& d : devices)
        if (d.id == id) return &d;
    return nullptr;
}

DeviceLibrary load_device_library(const std::vector<std::string>& dirs) {
    DeviceLibrary lib;
    for (const auto& dir : dirs) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) continue;
        std::vector<std::string> files;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            std::error_code fec;
            if (it->path().extension() == ".json" && it->is_regular_file(fec))
                files.push_back(it->path().string());
        }
        if (ec) {
            lib.problems.push_back(Error{dir + ": cannot list the folder (" + ec.message() + ")"});
            continue;
        }
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            auto d = load_device_file(f);
            if (!d) {
                lib.problems.push_back(d.error());
                continue;
            }
            if (const Device* first = lib.find(d->id)) {
                lib.problems.push_back(Error{f + ": board id \"" + d->id +
                                             "\" is already defined by " + first->file +
                                             "; this file is skipped (give it another id)"});
                continue;
            }
            lib.devices.push_back(std::move(*d));
        }
    }
    std::sort(lib.devices.begin(), lib.devices.end(),
              [](const Device& a, const Device& b) { return a.id < b.id; });
    return lib;
}

std::vector<std::string> default_device_dirs() {
#ifdef TP_DEVICES_DIR
    std::vector<std::string> dirs = {TP_DEVICES_DIR};
#else
    std::vector<std::string> dirs = {"devices"};
#endif
    auto env = [](const char* name) -> std::string {
        const char* v = std::getenv(name);
        return v ? std::string(v) : std::string();
    };
    if (std::string user = env("TRAINPLAN_DEVICES"); !user.empty())
        dirs.push_back(user);
    else if (std::string xdg = env("XDG_CONFIG_HOME"); !xdg.empty())
        dirs.push_back(xdg + "/trainplan/devices");
    else if (std::string home = env("HOME"); !home.empty())
        dirs.push_back(home + "/.config/trainplan/devices");
    return dirs;
}

}  // namespace tp
