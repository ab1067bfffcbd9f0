#include "engine/io/tpnet_json.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "engine/io/atomic_file.h"
#include "engine/op_semantics.h"

namespace tp {
namespace {

using nlohmann::json;

json float_to_json(double d) {
    if (std::isnan(d)) return "nan";
    if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
    return d;
}

double float_from_json(const json& j) {
    if (j.is_string()) {
        std::string s = j.get<std::string>();
        if (s == "inf") return std::numeric_limits<double>::infinity();
        if (s == "-inf") return -std::numeric_limits<double>::infinity();
        return std::numeric_limits<double>::quiet_NaN();
    }
    return j.get<double>();
}

// Attributes are tagged by type so that 1 and 1.0, and empty lists, round-trip exactly.
json attr_to_json(const AttrValue& v) {
    if (auto* i = std::get_if<int64_t>(&v)) return {{"i", *i}};
    if (auto* d = std::get_if<double>(&v)) return {{"f", float_to_json(*d)}};
    if (auto* is = std::get_if<std::vector<int64_t>>(&v)) return {{"ints", *is}};
    if (auto* ds = std::get_if<std::vector<double>>(&v)) {
        json a = json::array();
        for (double d : *ds) a.push_back(float_to_json(d));
        return {{"floats", a}};
    }
    return {{"s", std::get<std::string>(v)}};
}

AttrValue attr_from_json(const json& j) {
    if (j.contains("i")) return j.at("i").get<int64_t>();
    if (j.contains("f")) return float_from_json(j.at("f"));
    if (j.contains("ints")) return j.at("ints").get<std::vector<int64_t>>();
    if (j.contains("floats")) {
        std::vector<double> out;
        for (const auto& e : j.at("floats")) out.push_back(float_from_json(e));
        return out;
    }
    if (j.contains("s")) return j.at("s").get<std::string>();
    throw std::runtime_error("attribute needs one of the keys i, f, ints, floats, s");
}

}  // namespace

json network_to_json(const Network& net, const std::string& weights_file) {
    json j;
    j["format"] = "tpnet";
    j["version"] = 1;
    j["name"] = net.name;
    json inputs = json::array();
    for (const auto& in : net.inputs) {
        const TensorInfo& t = *net.tensor(in);
        inputs.push_back({{"name", in}, {"shape", t.shape}, {"dtype", dtype_name(t.dtype)}});
    }
    j["inputs"] = inputs;
    j["outputs"] = net.outputs;
    json params = json::array();
    int64_t offset = 0;
    for (const auto& [name, p] : net.params) {
        json e{{"name", name},
               {"shape", p.shape},
               {"dtype", dtype_name(p.dtype)},
               {"trainable", p.trainable}};
        if (!weights_file.empty()) {
            e["offset"] = offset;
            offset += p.elements() * 4;
        }
        params.push_back(e);
    }
    j["params"] = params;
    if (!weights_file.empty())
        j["weights"] = {{"file", weights_file}, {"bytes", offset}, {"encoding", "float32-le"}};
    json ops = json::array();
    for (const auto& op : net.ops) {
        json e{{"name", op.name},
               {"type", op_type_name(op.type)},
               {"inputs", op.inputs},
               {"outputs", op.outputs}};
        if (!op.params.empty()) e["params"] = op.params;
        if (!op.block.empty()) e["block"] = op.block;
        if (!op.attrs.values.empty()) {
            json a = json::object();
            for (const auto& [k, v] : op.attrs.values) a[k] = attr_to_json(v);
            e["attrs"] = a;
        }
        ops.push_back(e);
    }
    j["ops"] = ops;
    return j;
}

Result<Network> network_from_json(const json& j, const std::string& source) {
    Network net;
    try {
        if (j.value("format", "") != "tpnet")
            return Error{source + ": not a tpnet network (missing \"format\": \"tpnet\")"};
        if (j.value("version", 0) != 1)
            return Error{source + ": tpnet version " + std::to_string(j.value("version", 0)) +
                         " is not supported (this build reads version 1)"};
        net.name = j.value("name", "network");
        for (const auto& in : j.at("inputs")) {
            TensorInfo t;
            t.name = in.at("name").get<std::string>();
            t.shape = in.at("shape").get<Shape>();
            auto dt = dtype_from_name(in.value("dtype", "float32"));
            if (!dt) return Error{source + ": input '" + t.name + "' has an unknown dtype"};
            t.dtype = *dt;
            net.inputs.push_back(t.name);
            net.tensors[t.name] = t;
        }
        net.outputs = j.at("outputs").get<std::vector<std::string>>();
        for (const auto& pj : j.at("params")) {
            Parameter p;
            p.name = pj.at("name").get<std::string>();
            p.shape = pj.at("shape").get<Shape>();
            auto dt = dtype_from_name(pj.value("dtype", "float32"));
            if (!dt) return Error{source + ": parameter '" + p.name + "' has an unknown dtype"};
            p.dtype = *dt;
            p.trainable = pj.value("trainable", true);
            if (!net.params.emplace(p.name, p).second)
                return Error{source + ": parameter '" + p.name + "' is listed twice"};
        }
        for (const auto& oj : j.at("ops")) {
            Op op;
            op.name = oj.at("name").get<std::string>();
            std::string type = oj.at("type").get<std::string>();
            auto t = op_type_from_name(type);
            if (!t) return Error{source + ": op '" + op.name + "' has unknown type '" + type + "'"};
            op.type = *t;
            op.inputs = oj.at("inputs").get<std::vector<std::string>>();
            op.outputs = oj.at("outputs").get<std::vector<std::string>>();
            op.params = oj.value("params", std::vector<std::string>{});
            op.block = oj.value("block", "");
            if (oj.contains("attrs"))
                for (const auto& [k, v] : oj.at("attrs").items())
                    op.attrs.values[k] = attr_from_json(v);
            net.ops.push_back(op);
        }
    } catch (const std::exception& e) {
        return Error{source + ": " + e.what()};
    }
    if (auto s = validate_structure(net); !s) return Error{source + ": " + s.error().message};
    if (auto s = infer_shapes(net); !s) return Error{source + ": " + s.error().message};
    return net;
}

Status save_tpnet(const Network& net, const std::string& json_path, bool with_weights) {
    namespace fs = std::filesystem;
    std::string weights_name;
    if (with_weights && net.has_weights()) {
        std::string stem = fs::path(json_path).filename().string();
        if (auto pos = stem.find(".tpnet.json"); pos != std::string::npos)
            stem = stem.substr(0, pos);
        weights_name = stem + ".weights.bin";
        std::string blob;
        for (const auto& [name, p] : net.params) {
            size_t at = blob.size();
            blob.resize(at + p.values.size() * 4);
            std::memcpy(blob.data() + at, p.values.data(),
                        p.values.size() * 4);  // host is little-endian
        }
        auto blob_path = (fs::path(json_path).parent_path() / weights_name).string();
        if (auto s = write_file_atomically(blob_path, blob); !s) return s;
    }
    return write_file_atomically(json_path, network_to_json(net, weights_name).dump(1) + "\n");
}

Result<Network> load_tpnet(const std::string& json_path) {
    namespace fs = std::filesystem;
    auto text = read_file(json_path);
    if (!text) return text.error();
    json j = json::parse(*text, nullptr, false);
    if (j.is_discarded()) return Error{json_path + ": not valid JSON"};
    auto net = network_from_json(j, json_path);
    if (!net) return net;
    if (j.contains("weights")) {
        std::string file = j["weights"].value("file", "");
        auto blob_path = (fs::path(json_path).parent_path() / file).string();
        auto blob = read_file(blob_path);
        if (!blob)
            return Error{json_path + ": weights file '" + file +
                         "' is missing — keep it beside the JSON, or drop the \"weights\" entry to "
                         "load the architecture only"};
        for (const auto& pj : j.at("params")) {
            Parameter& p = net->params.at(pj.at("name").get<std::string>());
            int64_t off = pj.value("offset", int64_t{-1});
            int64_t bytes = p.elements() * 4;
            if (off < 0 || off + bytes > static_cast<int64_t>(blob->size()))
                return Error{blob_path + ": too short for parameter '" + p.name +
                             "' (truncated weights file?)"};
            p.values.resize(static_cast<size_t>(p.elements()));
            std::memcpy(p.values.data(), blob->data() + off, static_cast<size_t>(bytes));
        }
    }
    return net;
}

}  // namespace tp
