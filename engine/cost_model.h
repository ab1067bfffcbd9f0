// CostModel: what each TrainingGraph node costs on one board, in time and energy, and what
// paging its output to the board's secondary storage costs. Built from a Device profile;
// tests may also fill one by hand. Every solver and the validator price schedules with it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/result.h"
#include "engine/training_graph.h"

namespace tp {

struct Device;

struct NodeCost {
    double time_s = 0.0;
    double energy_j = 0.0;  // dynamic energy of running the node once (static power excluded)
};

struct PagingCost {
    double page_out_time_s = 0.0;  // write the node's output to secondary storage
    double page_out_energy_j = 0.0;
    double page_in_time_s = 0.0;  // read it back into RAM
    double page_in_energy_j = 0.0;
};

struct CostModel {
    std::string device_id;
    std::vector<NodeCost> node;      // indexed by TrainingGraph node id
    std::vector<PagingCost> paging;  // indexed by TrainingGraph node id
    double static_power_w = 0.0;     // drawn for the whole runtime: energy += power × time
    // Secondary storage usable for paging; 0 means the board has none and paging is off.
    int64_t storage_capacity_bytes = 0;
    int64_t sram_bytes = 0;  // the board's SRAM, for "budget vs SRAM" displays

    bool paging_available() const { return storage_capacity_bytes > 0; }
    // Energy including the static power drawn while the node runs or the page moves.
    double node_total_energy_j(int id) const {
        const NodeCost& c = node[static_cast<size_t>(id)];
        return c.energy_j + static_power_w * c.time_s;
    }
    double page_out_total_energy_j(int id) const {
        const PagingCost& c = paging[static_cast<size_t>(id)];
        return c.page_out_energy_j + static_power_w * c.page_out_time_s;
    }
    double page_in_total_energy_j(int id) const {
        const PagingCost& c = paging[static_cast<size_t>(id)];
        return c.page_in_energy_j + static_power_w * c.page_in_time_s;
    }
};

// Prices every node of `graph` on `device` by op class and the plan's precision.
Result<CostModel> build_cost_model(const TrainingGraph& graph, const Device& device);

}  // namespace tp
