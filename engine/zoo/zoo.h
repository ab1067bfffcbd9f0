// The built-in model zoo: published architectures constructed in code.
#pragma once

#include <string>
#include <vector>

#include "engine/network.h"

namespace tp {

struct ZooEntry {
    std::string id;           // "mcunet", "mobilenetv2-w0.35", ...
    std::string description;  // one line: architecture, resolution, task
    std::string source;       // the paper / reference implementation it follows
};

const std::vector<ZooEntry>& zoo_entries();

// Builds a zoo model, shape-inferred. With `with_weights`, parameters get deterministic
// initial values (fixed seed), so exports and training runs are reproducible.
Result<Network> build_zoo_model(const std::string& id, bool with_weights = false);

}  // namespace tp
