// Seeded generators of small hand-built TrainingGraphs and matching CostModels for solver
// tests: random DAGs shaped like a derived training graph (input, forward ops with optional
// ReLU-style masks, loss, a mirrored backward chain, optional in-place updates with `after`
// edges, as engine/training_graph.cpp builds them) and plain chains. Same seed, same case.
#pragma once

#include <cstdint>
#include <string>

#include "engine/cost_model.h"
#include "engine/training_graph.h"

namespace tp::testing {

// A small deterministic generator (splitmix64), identical on every platform.
class Rng {
  public:
    explicit Rng(uint64_t seed) : state_(seed) {}
    uint64_t next();
    int64_t uniform(int64_t lo, int64_t hi);  // inclusive
    double uniform_real(double lo, double hi);
    bool chance(double p) { return uniform_real(0.0, 1.0) < p; }

  private:
    uint64_t state_;
};

struct RandomDagOptions {
    int forward_ops = 3;              // forward nodes after the input (one op each)
    double mask_probability = 0.3;    // an op keeps a small saved_aux mask for its backward
    double update_probability = 0.5;  // an op trains: an in-place update node after its gradient
    int64_t unit_bytes = 1024;        // tensor sizes are 1..8 units
    double workspace_probability = 0.3;
};

struct CostOptions {
    double no_storage_probability = 0.25;     // the board has no secondary storage
    double small_storage_probability = 0.25;  // storage holds only a few tensors
    double static_power_probability = 0.5;    // the board draws static power
};

struct RandomCase {
    TrainingGraph graph;
    CostModel costs;
    std::string description;  // for failure messages: seed and shape
};

// Input node 0; forward op i reads 1-2 earlier forward tensors; loss reads the last forward
// node; the backward chain mirrors the ops (the op reading only the input gets no input
// gradient); each backward node reads the previous gradient and 0-2 forward tensors (any
// forward tensor, so some are read after their own op's update); a trained op gets an
// update node reading the op's output gradient and its first input, after its backward node.
TrainingGraph random_dag(Rng& rng, const RandomDagOptions& options = {});

// f0 (input) → f1 → ... → fL → loss; b_l reads grad_{l+1} (the loss for l = L) and f_{l-1},
// for l = L..1. With `updates`, layer l trains: an update after b_l reading grad_{l+1}, f_{l-1}.
TrainingGraph random_chain(Rng& rng, int layers, bool updates = false, int64_t unit_bytes = 1024);

// Node time and energy from the node's MACs at a random per-graph rate; paging per byte with
// writes dearer than reads; sometimes no storage, a small storage, static power.
CostModel random_costs(const TrainingGraph& graph, Rng& rng, const CostOptions& options = {});

// Both, from one seed.
RandomCase random_dag_case(uint64_t seed, const RandomDagOptions& options = {});
RandomCase random_chain_case(uint64_t seed, int layers, bool updates = false);

}  // namespace tp::testing
