// The chain DP: on chain-structured training graphs its schedules replay valid within the
// budget, cost no less than the store-all floor (and exactly the floor at the store-all peak),
// never get dearer with more budget or cheaper without paging, match an exhaustive enumeration
// of its family on tiny chains, and never beat the POET MILP (a superset family).
#include "solver/chain_dp.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <set>

#include "chain_enumeration.h"
#include "engine/memory_report.h"
#include "engine/zoo/network_builder.h"
#include "engine/zoo/zoo.h"
#include "solver/graph_reduction.h"
#include "solver/poet_milp.h"
#include "solver_test_util.h"

namespace tp {
namespace {

using testing::enumerate_family;
using testing::FamilyOptimum;

// x 1x3xRxR → [conv3x3 → bn → act (→ maxpool every `pool_every` blocks)] × blocks → GAP →
// flatten → fc(10). A chain: every op reads only the previous op's output.
Network plain_cnn(int blocks, int64_t resolution = 16, int pool_every = 0,
                  zoo::Act act = zoo::Act::Relu, int64_t width = 4) {
    zoo::NetworkBuilder b("plain-cnn", false);
    std::string x = b.input("x", {1, 3, resolution, resolution});
    for (int i = 0; i < blocks; ++i) {
        const std::string name = "b" + std::to_string(i);
        b.set_block(name);
        x = b.conv_bn_act(name, x, width + 2 * (i % 3), 3, 1, 1, act);
        if (pool_every > 0 && i % pool_every == pool_every - 1) {
            Attributes pool;
            pool.set("kernel_shape", std::vector<int64_t>{2, 2});
            pool.set("strides", std::vector<int64_t>{2, 2});
            x = b.op(OpType::MaxPool, name + ".pool", {x}, pool);
        }
    }
    b.set_block("head");
    x = b.op(OpType::GlobalAveragePool, "gap", {x});
    Attributes flat;
    flat.set("axis", int64_t{1});
    x = b.op(OpType::Flatten, "flatten", {x}, flat);
    b.set_block("classifier");
    x = b.linear("fc", x, 10);
    return std::move(b.finish({x})).value();
}

// x 1x`in` → [linear → act] × layers → linear(10).
Network mlp(int layers, int64_t in = 32, zoo::Act act = zoo::Act::Relu) {
    zoo::NetworkBuilder b("mlp", false);
    std::string x = b.input("x", {1, in});
    for (int i = 0; i < layers; ++i) {
        const std::string name = "fc" + std::to_string(i);
        b.set_block(name);
        x = b.linear(name, x, 16 + 8 * (i % 2));
        x = b.act(name + ".act", x, act);
    }
    b.set_block("classifier");
    x = b.linear("out", x, 10);
    return std::move(b.finish({x})).value();
}

TrainingGraph graph_of(const Network& net, const std::string& preset) {
    auto plan = make_preset(net, preset);
    EXPECT_TRUE(plan) << preset;
    auto g = derive_training_graph(net, *plan);
    EXPECT_TRUE(g) << (g ? "" : g.error().message);
    return std::move(g).value();
}

struct Case {
    std::string name;
    TrainingGraph graph;
};

std::vector<Case> chain_cases() {
    std::vector<Case> cases;
    for (const char* preset : {"full", "bias-only", "last-layer", "sparse"}) {
        cases.push_back({std::string("cnn4/") + preset, graph_of(plain_cnn(4), preset)});
        cases.push_back(
            {std::string("cnn6-pool/") + preset, graph_of(plain_cnn(6, 16, 2), preset)});
        cases.push_back({std::string("cnn3-hswish/") + preset,
                         graph_of(plain_cnn(3, 12, 0, zoo::Act::HardSwish), preset)});
        cases.push_back({std::string("mlp4/") + preset, graph_of(mlp(4), preset)});
    }
    return cases;
}

int64_t store_all_peak(const TrainingGraph& g) {
    return StoreAllScheduler().solve(g, testing::per_mac_costs(g), {}).replay.peak_ram_bytes;
}

std::vector<int64_t> budgets(const TrainingGraph& g, int steps) {
    const int64_t low = smallest_step_bytes(g), peak = store_all_peak(g);
    std::vector<int64_t> out;
    for (int i = 0; i <= steps; ++i) out.push_back(low + (peak - low) * i / steps);
    out.push_back(peak);
    return out;
}

bool near(double a, double b) {
    return std::fabs(a - b) <= 1e-9 * std::max(1e-12, std::fabs(b));
}

TEST(ChainDp, IsRegistered) {
    auto s = make_scheduler("dp");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->name(), "dp");
    const auto names = scheduler_names();
    EXPECT_NE(std::find(names.begin(), names.end(), "dp"), names.end());
}

TEST(ChainDp, TestNetworksAreChains) {
    for (const auto& c : chain_cases()) {
        CostModel costs = testing::per_mac_costs(c.graph);
        EXPECT_EQ(chain_dp_obstacle(c.graph, costs), "") << c.name;
    }
}

// Which zoo graphs the dp accepts; residual adds make the MBConv nets non-chains.
TEST(ChainDp, ZooGraphsThatAreNotChainsAreRefusedWithTheObstacle) {
    for (const auto& e : zoo_entries()) {
        auto net = build_zoo_model(e.id);
        ASSERT_TRUE(net) << e.id;
        for (const auto& preset : preset_names()) {
            auto plan = make_preset(*net, preset);
            if (!plan) continue;
            auto g = derive_training_graph(*net, *plan);
            if (!g) continue;
            CostModel costs = testing::per_mac_costs(*g);
            const std::string why = chain_dp_obstacle(*g, costs);
            std::printf("  %s / %s: %s\n", e.id.c_str(), preset.c_str(),
                        why.empty() ? "chain" : why.c_str());
            if (why.empty()) continue;
            SolveOptions o;
            o.ram_budget_bytes = smallest_step_bytes(*g);
            SolveResult r = ChainDpScheduler().solve(*g, costs, o);
            EXPECT_EQ(r.status, SolveStatus::error);
            EXPECT_EQ(r.message, "dp needs a chain-structured graph (" + why + "); use milp");
        }
    }
}

TEST(ChainDp, BudgetSweepIsValidMonotoneAndAtLeastTheFloor) {
    int recomputing = 0, paging_used = 0, solved = 0;
    for (const auto& c : chain_cases()) {
        for (bool paging : {true, false}) {
            CostModel costs = testing::per_mac_costs(c.graph, paging ? int64_t{1} << 40 : 0);
            const double floor = StoreAllScheduler().solve(c.graph, costs, {}).energy_j;
            double prev = std::numeric_limits<double>::infinity();
            bool was_feasible = false;
            for (int64_t budget : budgets(c.graph, 12)) {
                SolveOptions o;
                o.ram_budget_bytes = budget;
                SolveResult r = ChainDpScheduler().solve(c.graph, costs, o);
                SCOPED_TRACE(c.name + (paging ? " paging" : " no paging") + " budget " +
                             std::to_string(budget) + ": " + r.message);
                ASSERT_TRUE(r.status == SolveStatus::optimal ||
                            r.status == SolveStatus::infeasible);
                if (r.status == SolveStatus::infeasible) {
                    EXPECT_FALSE(was_feasible) << "infeasible above a feasible budget";
                    EXPECT_NE(r.message.find("smallest budget the dp family reaches"),
                              std::string::npos);
                    continue;
                }
                was_feasible = true;
                EXPECT_TRUE(r.replay.valid);
                EXPECT_LE(r.replay.peak_ram_bytes, budget);
                EXPECT_GE(r.energy_j, floor * (1 - 1e-12));
                EXPECT_LE(r.energy_j, prev * (1 + 1e-12));
                EXPECT_DOUBLE_EQ(r.lower_bound_j, r.energy_j);
                prev = r.energy_j;
                ++solved;
                recomputing += r.replay.recomputes > 0;
                paging_used += r.replay.page_outs > 0;
            }
            EXPECT_TRUE(was_feasible);
            EXPECT_TRUE(near(prev, floor)) << c.name << " at the store-all peak";
        }
    }
    std::printf("  %d solved, %d recompute, %d page\n", solved, recomputing, paging_used);
    EXPECT_GT(recomputing, 20);
    EXPECT_GT(paging_used, 20);
}

TEST(ChainDp, PagingNeverCostsEnergyAndTheInfeasibleMessageIsTheFamilysEdge) {
    for (const auto& c : chain_cases()) {
        CostModel on = testing::per_mac_costs(c.graph), off = testing::per_mac_costs(c.graph, 0);
        for (int64_t budget : budgets(c.graph, 10)) {
            SolveOptions o;
            o.ram_budget_bytes = budget;
            SolveResult a = ChainDpScheduler().solve(c.graph, on, o);
            SolveResult b = ChainDpScheduler().solve(c.graph, off, o);
            o.allow_paging = false;
            SolveResult b2 = ChainDpScheduler().solve(c.graph, on, o);
            SCOPED_TRACE(c.name + " budget " + std::to_string(budget));
            EXPECT_EQ(b.status, b2.status);
            if (b.status == SolveStatus::optimal) {
                ASSERT_EQ(a.status, SolveStatus::optimal);
                EXPECT_LE(a.energy_j, b.energy_j * (1 + 1e-12));
                EXPECT_TRUE(near(b.energy_j, b2.energy_j));
                EXPECT_EQ(b.replay.page_outs, 0);
            }
            // The reported edge of the family is feasible and one byte less is not.
            if (a.status == SolveStatus::infeasible) {
                const auto pos = a.message.find("(");
                ASSERT_NE(pos, std::string::npos) << a.message;
                const int64_t edge = std::stoll(a.message.substr(pos + 1));
                o.allow_paging = true;
                o.ram_budget_bytes = edge;
                EXPECT_EQ(ChainDpScheduler().solve(c.graph, on, o).status, SolveStatus::optimal);
                o.ram_budget_bytes = edge - 1;
                EXPECT_EQ(ChainDpScheduler().solve(c.graph, on, o).status, SolveStatus::infeasible);
            }
        }
    }
}

std::vector<Case> tiny_cases() {
    std::vector<Case> cases;
    for (const char* preset : {"full", "bias-only", "last-layer", "sparse"}) {
        cases.push_back({std::string("cnn2/") + preset, graph_of(plain_cnn(2, 8), preset)});
        cases.push_back({std::string("cnn1-pool/") + preset, graph_of(plain_cnn(1, 8, 1), preset)});
        cases.push_back({std::string("cnn2-hswish/") + preset,
                         graph_of(plain_cnn(2, 8, 0, zoo::Act::HardSwish), preset)});
        cases.push_back({std::string("mlp2/") + preset, graph_of(mlp(2), preset)});
        cases.push_back({std::string("mlp3/") + preset, graph_of(mlp(3, 48), preset)});
    }
    return cases;
}

// Hand-built graphs with a chain forward part and a backward part that reads forward tensors
// in any order (so segments' backward stages overlap, several recompute at one stage, and
// updates forbid some recomputes), fused links on both sides.
struct Lcg {
    uint64_t s;
    uint64_t next() {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        return s >> 33;
    }
    int64_t uniform(int64_t lo, int64_t hi) {
        return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
    }
    bool chance(int percent) { return uniform(0, 99) < percent; }
};

TrainingGraph random_chain_graph(uint64_t seed, int layers) {
    Lcg r{seed * 7919 + 17};
    TrainingGraph g;
    auto add = [&](TrainingNode v) {
        v.id = static_cast<int>(g.nodes.size());
        g.nodes.push_back(std::move(v));
        return g.nodes.back().id;
    };
    auto node = [&](std::string name, NodeKind kind, std::string op, int64_t bytes,
                    std::vector<int> inputs) {
        TrainingNode v;
        v.name = std::move(name);
        v.kind = kind;
        v.op = std::move(op);
        v.bytes = bytes;
        v.inputs = std::move(inputs);
        v.macs = r.uniform(100, 5000);
        if (r.chance(25)) v.workspace_bytes = r.uniform(1, 4) * 64;
        return v;
    };
    std::vector<int> saved;  // forward-phase tensors the backward may read
    int x = add(node("x0", NodeKind::input, "", r.uniform(1, 6) * 128, {}));
    saved.push_back(x);
    for (int i = 1; i <= layers; ++i) {
        const std::string op = "op" + std::to_string(i);
        const int prev = x;
        x = add(
            node("f" + std::to_string(i), NodeKind::forward, op, r.uniform(1, 8) * 128, {prev}));
        saved.push_back(x);
        if (r.chance(30))
            saved.push_back(
                add(node(op + ":mask", NodeKind::saved_aux, op, r.uniform(1, 4) * 16, {x})));
        else if (r.chance(15))
            saved.push_back(
                add(node(op + ":indices", NodeKind::saved_aux, op, r.uniform(1, 4) * 32, {prev})));
    }
    int grad = add(node("loss", NodeKind::loss, "", r.uniform(1, 4) * 64, {x}));
    g.loss_node = grad;
    std::set<int> updated;
    int last_backward = grad;
    const int backward = layers + static_cast<int>(r.uniform(0, 2));
    for (int j = 0; j < backward; ++j) {
        std::vector<int> in{grad};
        for (int k = static_cast<int>(r.uniform(0, 2)); k > 0; --k)
            in.push_back(
                saved[static_cast<size_t>(r.uniform(0, static_cast<int64_t>(saved.size()) - 1))]);
        const int op = static_cast<int>(r.uniform(1, layers));
        grad = add(node("b" + std::to_string(j), NodeKind::backward, "op" + std::to_string(op),
                        r.uniform(1, 6) * 128, in));
        g.nodes.back().role = TensorRole::gradient;
        last_backward = grad;
        if (r.chance(35) && !updated.count(op)) {
            updated.insert(op);
            TrainingNode u = node(
                "op" + std::to_string(op) + ":update", NodeKind::update, "op" + std::to_string(op),
                0,
                {grad,
                 saved[static_cast<size_t>(r.uniform(0, static_cast<int64_t>(saved.size()) - 1))]});
            u.after = {last_backward};
            u.role = TensorRole::none;
            add(u);
        }
    }
    g.trained_param_bytes = r.uniform(0, 8) * 64;
    return g;
}

struct Tally {
    int compared = 0, recomputing = 0, paging = 0;
};

// Paging on / off, static power with a deadline, a storage for one tensor, dear paging.
CostModel variant_costs(const TrainingGraph& g, int variant) {
    CostModel costs = testing::per_mac_costs(g, variant == 1 ? 0 : int64_t{1} << 40);
    if (variant == 2) costs.static_power_w = 0.05;
    if (variant == 3) {
        int64_t biggest = 0;
        for (const auto& v : g.nodes) biggest = std::max(biggest, v.bytes);
        costs.storage_capacity_bytes = biggest + 1;
    }
    if (variant == 4)
        for (auto& p : costs.paging) {
            p.page_in_energy_j *= 30;
            p.page_out_energy_j *= 30;
        }
    return costs;
}

void compare_with_enumeration(const Case& c, int budget_steps, Tally& tally) {
    for (int variant = 0; variant < 5; ++variant) {
        CostModel costs = variant_costs(c.graph, variant);
        const double fastest = StoreAllScheduler().solve(c.graph, costs, {}).replay.time_s;
        for (int64_t budget : budgets(c.graph, budget_steps)) {
            SolveOptions o;
            o.ram_budget_bytes = budget;
            if (variant == 2) o.deadline_s = fastest * 1.15;
            SolveResult r = ChainDpScheduler().solve(c.graph, costs, o);
            FamilyOptimum ref = enumerate_family(c.graph, costs, o);
            SCOPED_TRACE(c.name + " variant " + std::to_string(variant) + " budget " +
                         std::to_string(budget) + ": " + r.message);
            ASSERT_TRUE(r.status == SolveStatus::optimal || r.status == SolveStatus::infeasible);
            EXPECT_EQ(r.status == SolveStatus::optimal, ref.feasible);
            if (ref.feasible && r.status == SolveStatus::optimal) {
                EXPECT_TRUE(near(r.energy_j, ref.energy_j)) << r.energy_j << " vs " << ref.energy_j;
                EXPECT_TRUE(r.replay.valid);
                EXPECT_LE(r.replay.peak_ram_bytes, budget);
                ++tally.compared;
                tally.recomputing += r.replay.recomputes > 0;
                tally.paging += r.replay.page_outs > 0;
            }
        }
    }
}

TEST(ChainDp, MatchesAnExhaustiveEnumerationOfItsFamilyOnNetworks) {
    Tally tally;
    for (const auto& c : tiny_cases()) compare_with_enumeration(c, 6, tally);
    std::printf("  %d compared, %d recompute, %d page\n", tally.compared, tally.recomputing,
                tally.paging);
    EXPECT_GT(tally.compared, 100);
    EXPECT_GT(tally.recomputing, 20);
    EXPECT_GT(tally.paging, tally.compared / 10);
}

TEST(ChainDp, MatchesAnExhaustiveEnumerationOfItsFamilyOnRandomChains) {
    Tally tally;
    for (uint64_t seed = 0; seed < 40; ++seed) {
        const int layers = 3 + static_cast<int>(seed % 4);
        Case c{"random chain seed " + std::to_string(seed), random_chain_graph(seed, layers)};
        ASSERT_EQ(chain_dp_obstacle(c.graph, testing::per_mac_costs(c.graph)), "") << c.name;
        compare_with_enumeration(c, 6, tally);
    }
    std::printf("  %d compared, %d recompute, %d page\n", tally.compared, tally.recomputing,
                tally.paging);
    EXPECT_GT(tally.compared, 400);
    EXPECT_GT(tally.recomputing, tally.compared / 10);
    EXPECT_GT(tally.paging, tally.compared / 10);
}

// The MILP's family contains the dp's, so when both prove optimality the MILP is never dearer,
// and the MILP finds a schedule whenever the dp does. (This caught the MILP pricing a fused
// node's first phase with its last link's output, now fixed.)
bool milp_ram_model_exact(const TrainingGraph&) {
    return true;
}

struct MilpTally {
    int compared = 0, milp_cheaper = 0, conservative_cases = 0;
};

void compare_with_milp(const Case& c, int variant, MilpTally& tally) {
    CostModel costs = variant_costs(c.graph, variant);
    const bool exact = milp_ram_model_exact(c.graph);
    for (int64_t budget : budgets(c.graph, 4)) {
        SolveOptions o;
        o.ram_budget_bytes = budget;
        o.time_limit_s = 30;
        o.relative_gap = 1e-9;
        SolveResult dp = ChainDpScheduler().solve(c.graph, costs, o);
        SolveResult milp = PoetMilpScheduler().solve(c.graph, costs, o);
        const std::string what = c.name + " variant " + std::to_string(variant) + " budget " +
                                 std::to_string(budget) + ": dp " + solve_status_name(dp.status) +
                                 " " + dp.message + ", milp " + solve_status_name(milp.status) +
                                 " " + milp.message;
        SCOPED_TRACE(what);
        EXPECT_NE(dp.status, SolveStatus::error);
        EXPECT_NE(milp.status, SolveStatus::error);
        if (dp.status != SolveStatus::optimal) continue;
        const bool both = milp.status == SolveStatus::optimal;
        const bool milp_worse = (both && milp.energy_j > dp.energy_j * (1 + 1e-9)) ||
                                milp.status == SolveStatus::infeasible;
        if (!exact) {
            if (milp_worse) {
                ++tally.conservative_cases;
                std::printf("  milp misses a dp schedule (fused-node RAM model): %s\n",
                            what.c_str());
            }
            continue;
        }
        EXPECT_FALSE(milp_worse) << "milp " << milp.energy_j << " vs dp " << dp.energy_j;
        if (both) {
            ++tally.compared;
            tally.milp_cheaper += milp.energy_j < dp.energy_j * (1 - 1e-9);
        }
    }
}

TEST(ChainDp, NeverBeatsTheMilpOnTinyChains) {
    MilpTally tally;
    for (const auto& c : tiny_cases())
        if (reduce_graph(c.graph, testing::per_mac_costs(c.graph)).graph.nodes.size() <= 12)
            for (int variant : {0, 1}) compare_with_milp(c, variant, tally);
    for (uint64_t seed = 0; seed < 40; ++seed) {
        Case c{"random chain seed " + std::to_string(seed) + " (3 layers)",
               random_chain_graph(seed, 3)};
        if (reduce_graph(c.graph, testing::per_mac_costs(c.graph)).graph.nodes.size() <= 12)
            for (int variant : {0, 1, 4}) compare_with_milp(c, variant, tally);
    }
    std::printf("  %d compared, milp strictly cheaper in %d; %d misses by the milp's model\n",
                tally.compared, tally.milp_cheaper, tally.conservative_cases);
    EXPECT_GT(tally.compared, 30);
}

TEST(ChainDp, LongChainsSolveFast) {
    for (const char* preset : {"full", "bias-only", "sparse"}) {
        TrainingGraph g = graph_of(plain_cnn(40, 32, 10, zoo::Act::Relu, 8), preset);
        CostModel costs = testing::per_mac_costs(g);
        const int64_t low = smallest_step_bytes(g), peak = store_all_memory(g).peak_bytes;
        for (double f : {0.1, 0.3, 0.6}) {
            SolveOptions o;
            o.ram_budget_bytes = low + static_cast<int64_t>(f * static_cast<double>(peak - low));
            SolveResult r = ChainDpScheduler().solve(g, costs, o);
            std::printf(
                "  cnn40/%s nodes %d reduced %d budget %.2f: %s E=%.6g (floor x%.4f) "
                "%.3f s\n",
                preset, r.stats.graph_nodes, r.stats.reduced_nodes, f, solve_status_name(r.status),
                r.energy_j, r.energy_j / StoreAllScheduler().solve(g, costs, {}).energy_j,
                r.solve_time_s);
            ASSERT_TRUE(r.status == SolveStatus::optimal || r.status == SolveStatus::infeasible)
                << r.message;
            if (r.status == SolveStatus::optimal) {
                EXPECT_LE(r.replay.peak_ram_bytes, o.ram_budget_bytes);
            }
            EXPECT_LT(r.solve_time_s, 20.0);
        }
    }
}

TEST(ChainDp, CancelAndTimeLimit) {
    TrainingGraph g = graph_of(plain_cnn(12, 16, 4), "full");
    CostModel costs = testing::per_mac_costs(g);
    SolveOptions o;
    o.ram_budget_bytes = (smallest_step_bytes(g) + store_all_memory(g).peak_bytes) / 2;
    std::atomic<bool> cancel{true};
    o.cancel = &cancel;
    EXPECT_EQ(ChainDpScheduler().solve(g, costs, o).status, SolveStatus::cancelled);
    o.cancel = nullptr;
    o.time_limit_s = 1e-9;
    SolveResult r = ChainDpScheduler().solve(g, costs, o);
    EXPECT_EQ(r.status, SolveStatus::time_limit);
    EXPECT_NE(r.message.find("time limit of 1e-09 s"), std::string::npos) << r.message;
}

TEST(ChainDp, StoreAllWhenItFitsAndInfeasibleBelowTheSmallestStep) {
    TrainingGraph g = graph_of(plain_cnn(4), "full");
    CostModel costs = testing::per_mac_costs(g);
    SolveOptions o;
    o.ram_budget_bytes = store_all_memory(g).peak_bytes;
    SolveResult r = ChainDpScheduler().solve(g, costs, o);
    EXPECT_EQ(r.status, SolveStatus::optimal);
    EXPECT_EQ(r.solver, "dp");
    EXPECT_EQ(r.replay.recomputes + r.replay.page_outs, 0);
    o.ram_budget_bytes = smallest_step_bytes(g) - 1;
    r = ChainDpScheduler().solve(g, costs, o);
    EXPECT_EQ(r.status, SolveStatus::infeasible);
    EXPECT_NE(r.message.find("smallest feasible budget"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace tp
