// A simple cost model for solver tests that need no board: a node costs its MACs (at least
// its output elements) in nanojoules and nanoseconds; paging costs per byte, writes 4× reads.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "engine/cost_model.h"
#include "engine/device.h"
#include "engine/training_graph.h"
#include "engine/zoo/zoo.h"

namespace tp::testing {

inline CostModel per_mac_costs(const TrainingGraph& g, int64_t storage_bytes = int64_t{1} << 40) {
    CostModel c;
    c.device_id = "test";
    c.storage_capacity_bytes = storage_bytes;
    for (const auto& n : g.nodes) {
        const double work = static_cast<double>(std::max<int64_t>(n.macs, n.bytes / 4));
        c.node.push_back({work * 1e-9, work * 1e-9});
        const double b = static_cast<double>(n.bytes);
        c.paging.push_back({b * 4e-9, b * 4e-9, b * 1e-9, b * 1e-9});
    }
    return c;
}

// A zoo model's `full` training graph with a built-in board's cost model.
struct ZooOnBoard {
    TrainingGraph graph;
    CostModel costs;
};

inline ZooOnBoard zoo_on_board(const std::string& model, const std::string& board) {
    auto net = build_zoo_model(model);
    EXPECT_TRUE(net) << model;
    auto g = derive_training_graph(*net, *make_preset(*net, "full"));
    EXPECT_TRUE(g) << model;
    auto library = load_device_library(default_device_dirs());
    const Device* device = library.find(board);
    EXPECT_NE(device, nullptr) << board;
    auto costs = build_cost_model(*g, *device);
    EXPECT_TRUE(costs) << model << " on " << board;
    return {std::move(*g), std::move(*costs)};
}

}  // namespace tp::testing
