#include "engine/model_loader.h"

#include <filesystem>

#include "engine/io/onnx_import.h"
#include "engine/io/tpnet_json.h"
#include "engine/zoo/zoo.h"

namespace tp {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

Result<Network> load_model(const std::string& spec, bool zoo_weights) {
    if (spec.rfind("zoo:", 0) == 0) return build_zoo_model(spec.substr(4), zoo_weights);
    if (!std::filesystem::exists(spec))
        return Error{"model file '" + spec +
                     "' does not exist (use a path to .onnx / .tpnet.json, or zoo:NAME — "
                     "`trainplan zoo` lists them)"};
    if (ends_with(spec, ".onnx")) return import_onnx_file(spec);
    if (ends_with(spec, ".json")) return load_tpnet(spec);
    return Error{"'" + spec + "': unknown model format — expected .onnx, .tpnet.json or zoo:NAME"};
}

}  // namespace tp
