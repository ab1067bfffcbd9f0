// The √n checkpointing baseline on zoo models and random graphs, and the brute-force reference
// of the exact schedulers' family checked against the Validator, the store-all floor, the
// √n baseline (whose schedules lie in the family) and itself across budgets and deadlines.
#include "solver/baselines.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <tuple>

#include "brute_force.h"
#include "engine/zoo/zoo.h"
#include "random_graphs.h"
#include "solver/demand_schedule.h"
#include "solver/scheduler.h"
#include "solver_test_util.h"

namespace tp {
namespace {

using testing::brute_force_optimum;
using testing::BruteForceResult;
using testing::RandomCase;

constexpr double kRel = 1e-9;

bool at_least(double a, double floor) {
    return a >= floor * (1 - kRel);
}

SolveOptions budget(int64_t bytes) {
    SolveOptions o;
    o.ram_budget_bytes = bytes;
    return o;
}

// ---- sqrt-n ------------------------------------------------------------------------------

TEST(SqrtN, IsRegistered) {
    auto s = make_scheduler("sqrt-n");
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->name(), "sqrt-n");
    const auto names = scheduler_names();
    EXPECT_NE(std::find(names.begin(), names.end(), "sqrt-n"), names.end());
}

TEST(SqrtN, ZooModelsAreValidAboveTheFloor) {
    struct Case {
        const char* model;
        const char* preset;
    };
    for (const Case& c : {Case{"mcunet", "full"}, Case{"mcunet", "tinytl-lb"},
                          Case{"mcunet", "sparse"}, Case{"mobilenetv2-w0.35", "full"},
                          Case{"bert-tiny", "full"}, Case{"resnet18", "last-layer"}}) {
        SCOPED_TRACE(std::string(c.model) + " " + c.preset);
        auto net = build_zoo_model(c.model);
        ASSERT_TRUE(net) << net.error().message;
        auto plan = make_preset(*net, c.preset);
        ASSERT_TRUE(plan) << plan.error().message;
        auto g = derive_training_graph(*net, *plan);
        ASSERT_TRUE(g) << g.error().message;
        const CostModel costs = testing::per_mac_costs(*g);
        const SolveResult floor = StoreAllScheduler().solve(*g, costs, {});
        const SolveResult r = SqrtNScheduler().solve(*g, costs, {});
        ASSERT_EQ(r.status, SolveStatus::feasible) << r.message;
        ASSERT_TRUE(r.replay.valid) << r.replay.violations.front();
        EXPECT_EQ(r.replay.computes, static_cast<int>(g->nodes.size()));
        EXPECT_EQ(r.replay.page_outs + r.replay.page_ins, 0);
        EXPECT_TRUE(at_least(r.energy_j, floor.energy_j)) << r.energy_j << " < " << floor.energy_j;
        EXPECT_EQ(r.lower_bound_j, 0.0);
        EXPECT_GE(r.replay.peak_ram_bytes, smallest_step_bytes(*g));
        // Training every layer saves every activation: checkpointing needs less.
        if (std::string(c.preset) == "full") {
            EXPECT_LT(r.replay.peak_ram_bytes, floor.replay.peak_ram_bytes);
        }
        // The budget it reports it needs is exactly its peak.
        EXPECT_EQ(SqrtNScheduler().solve(*g, costs, budget(r.replay.peak_ram_bytes)).status,
                  SolveStatus::feasible);
        const SolveResult tight =
            SqrtNScheduler().solve(*g, costs, budget(r.replay.peak_ram_bytes - 1));
        EXPECT_EQ(tight.status, SolveStatus::infeasible);
        EXPECT_FALSE(tight.message.empty());
        // Without recompute it keeps everything: the store-all schedule's cost and peak.
        SolveOptions no_recompute;
        no_recompute.allow_recompute = false;
        const SolveResult all = SqrtNScheduler().solve(*g, costs, no_recompute);
        ASSERT_TRUE(all.replay.valid);
        EXPECT_EQ(all.replay.recomputes, 0);
        EXPECT_NEAR(all.energy_j, floor.energy_j, floor.energy_j * kRel);
        EXPECT_EQ(all.replay.peak_ram_bytes, floor.replay.peak_ram_bytes);
    }
}

TEST(SqrtN, RandomGraphsAreValidAboveTheFloor) {
    for (uint64_t seed = 1; seed <= 300; ++seed) {
        testing::RandomDagOptions o;
        o.forward_ops = 2 + static_cast<int>(seed % 14);
        o.update_probability = (seed % 3) * 0.4;
        const RandomCase c = testing::random_dag_case(seed, o);
        SCOPED_TRACE(c.description);
        const SolveResult floor = StoreAllScheduler().solve(c.graph, c.costs, {});
        const SolveResult r = SqrtNScheduler().solve(c.graph, c.costs, {});
        ASSERT_EQ(r.status, SolveStatus::feasible) << r.message;
        ASSERT_TRUE(r.replay.valid);
        EXPECT_TRUE(at_least(r.energy_j, floor.energy_j));
        EXPECT_EQ(r.replay.computes, static_cast<int>(c.graph.nodes.size()));
    }
}

TEST(SqrtN, DeepChainsNeedLessThanStoreAll) {
    for (int layers : {9, 16, 30, 64}) {
        for (bool updates : {false, true}) {
            for (uint64_t seed = 1; seed <= 5; ++seed) {
                const RandomCase c = testing::random_chain_case(seed, layers, updates);
                SCOPED_TRACE(c.description);
                const SolveResult floor = StoreAllScheduler().solve(c.graph, c.costs, {});
                const SolveResult r = SqrtNScheduler().solve(c.graph, c.costs, {});
                ASSERT_EQ(r.status, SolveStatus::feasible) << r.message;
                EXPECT_LE(r.replay.peak_ram_bytes, floor.replay.peak_ram_bytes);
                EXPECT_TRUE(at_least(r.energy_j, floor.energy_j));
                // Each dropped forward tensor is recomputed once: at most L - √L recomputes.
                EXPECT_GT(r.replay.recomputes, 0);
                EXPECT_LE(r.replay.recomputes, layers);
            }
        }
    }
    // Equal tensor sizes: the peak falls like √L while store-all's grows like L.
    testing::Rng rng(7);
    TrainingGraph g = testing::random_chain(rng, 64);
    for (auto& n : g.nodes) n.bytes = 1024;
    const CostModel costs = testing::per_mac_costs(g);
    const SolveResult floor = StoreAllScheduler().solve(g, costs, {});
    const SolveResult r = SqrtNScheduler().solve(g, costs, {});
    ASSERT_TRUE(r.replay.valid);
    EXPECT_LT(r.replay.peak_ram_bytes * 3, floor.replay.peak_ram_bytes)
        << r.replay.peak_ram_bytes << " vs " << floor.replay.peak_ram_bytes;
}

TEST(SqrtN, CheckpointsAreSegmentEndsInputAndLossInputs) {
    testing::Rng rng(3);
    const TrainingGraph g = testing::random_chain(rng, 9);  // f0..f9, 9 forward nodes
    const std::vector<bool> keep = SqrtNScheduler::checkpoints(g);
    // 3 segments of 3: f3, f6, f9 (the loss reads f9) and the input f0.
    for (int i = 0; i < static_cast<int>(g.nodes.size()); ++i)
        EXPECT_EQ(keep[static_cast<size_t>(i)], i == 0 || i == 3 || i == 6 || i == 9)
            << g.nodes[static_cast<size_t>(i)].name;
}

// x → a → b → c → d → loss; a:update (reads the loss gradient and x) runs before z:grad, a
// backward node of another op that reads a. Node i holds (i + 1) KiB.
TrainingGraph read_after_update_graph() {
    TrainingGraph g;
    auto add = [&](const std::string& name, NodeKind kind, const std::string& op,
                   std::vector<int> inputs) {
        TrainingNode n;
        n.id = static_cast<int>(g.nodes.size());
        n.name = name;
        n.kind = kind;
        n.op = op;
        n.bytes = (n.id + 1) * 1024;
        n.macs = 1000;
        n.inputs = std::move(inputs);
        n.role = kind == NodeKind::forward ? TensorRole::activation : TensorRole::gradient;
        g.nodes.push_back(n);
        return n.id;
    };
    add("x", NodeKind::input, "", {});
    add("a", NodeKind::forward, "a", {0});
    add("b", NodeKind::forward, "b", {1});
    add("c", NodeKind::forward, "c", {2});
    add("d", NodeKind::forward, "d", {3});
    g.loss_node = add("loss", NodeKind::loss, "", {4});
    const int u = add("a:update", NodeKind::update, "a", {5, 0});
    g.nodes[static_cast<size_t>(u)].bytes = 0;
    add("z:grad", NodeKind::backward, "z", {5, 1});
    return g;
}

TEST(DemandSchedule, NeverRecomputesAfterTheUpdate) {
    const TrainingGraph g = read_after_update_graph();
    const CostModel costs = testing::per_mac_costs(g);
    // Dropping a after the forward pass would need it recomputed after a:update.
    std::vector<bool> keep{true, false, true, false, true, false, false, false};
    const DemandSchedule failed = build_demand_schedule(g, keep);
    EXPECT_FALSE(failed.ok);
    EXPECT_EQ(failed.blocked_node, 1);
    EXPECT_NE(failed.message.find("a:update"), std::string::npos) << failed.message;
    keep[1] = true;
    const DemandSchedule built = build_demand_schedule(g, keep);
    ASSERT_TRUE(built.ok) << built.message;
    const ScheduleReplay replay = replay_schedule(g, costs, built.schedule, {});
    EXPECT_TRUE(replay.valid);
    EXPECT_EQ(replay.recomputes, 0);  // c is dropped, but nobody reads it after the forward pass
    // sqrt-n's checkpoints (b and d of the 4 forward nodes) drop a; it keeps a by itself.
    EXPECT_FALSE(SqrtNScheduler::checkpoints(g)[1]);
    const SolveResult r = SqrtNScheduler().solve(g, costs, {});
    EXPECT_EQ(r.status, SolveStatus::feasible) << r.message;
    EXPECT_TRUE(r.replay.valid);
}

TEST(DemandSchedule, RecomputesOnDemandAndFreesAfterTheLastReader) {
    // A chain f0..f4 keeping f0 and f4: b4 needs f3, recomputed from f0 through f1, f2; f1 and
    // f2 stay (b3 and b2 read them), so every forward tensor is recomputed exactly once.
    testing::Rng rng(5);
    const TrainingGraph g = testing::random_chain(rng, 4);
    std::vector<bool> keep(g.nodes.size(), false);
    keep[0] = keep[4] = true;
    const DemandSchedule d = build_demand_schedule(g, keep);
    ASSERT_TRUE(d.ok) << d.message;
    std::vector<std::string> ops;
    for (const Step& s : d.schedule.steps)
        ops.push_back(std::string(step_op_name(s.op)) + " " +
                      g.nodes[static_cast<size_t>(s.node)].name);
    const std::vector<std::string> expected = {
        "compute f0",   "compute f1", "compute f2",   "free f1",   "compute f3",   "free f2",
        "compute f4",   "free f3",    "compute loss", "free f4",   "recompute f1", "recompute f2",
        "recompute f3", "compute b4", "free f3",      "free loss", "compute b3",   "free f2",
        "free b4",      "compute b2", "free f1",      "free b3",   "compute b1",   "free f0",
        "free b2",      "free b1"};
    EXPECT_EQ(ops, expected);
    EXPECT_TRUE(replay_schedule(g, testing::per_mac_costs(g), d.schedule, {}).valid);
}

TEST(DemandSchedule, KeepingEverythingIsStoreAll) {
    for (uint64_t seed = 1; seed <= 50; ++seed) {
        const RandomCase c = testing::random_dag_case(seed);
        const DemandSchedule d =
            build_demand_schedule(c.graph, std::vector<bool>(c.graph.nodes.size(), true));
        ASSERT_TRUE(d.ok);
        const ScheduleReplay r = replay_schedule(c.graph, c.costs, d.schedule, {});
        const SolveResult floor = StoreAllScheduler().solve(c.graph, c.costs, {});
        ASSERT_TRUE(r.valid);
        EXPECT_EQ(r.recomputes, 0);
        EXPECT_EQ(r.peak_ram_bytes, floor.replay.peak_ram_bytes) << c.description;
    }
}

// ---- brute force ---------------------------------------------------------------------------

// The brute force's schedule replays valid within the limits, with the energy it claims.
void expect_sound(const RandomCase& c, const SolveOptions& o, const BruteForceResult& b) {
    ASSERT_TRUE(b.feasible);
    const ScheduleReplay r =
        replay_schedule(c.graph, c.costs, b.schedule, {o.ram_budget_bytes, o.deadline_s});
    ASSERT_TRUE(r.valid) << r.violations.front();
    EXPECT_NEAR(r.energy.total_j(), b.energy_j, b.energy_j * kRel);
    EXPECT_NEAR(r.time_s, b.time_s, b.time_s * kRel);
    EXPECT_LE(r.peak_storage_bytes, c.costs.storage_capacity_bytes);
    if (!o.allow_paging || !c.costs.paging_available()) {
        EXPECT_EQ(r.page_outs + r.page_ins, 0);
    }
    if (!o.allow_recompute) {
        EXPECT_EQ(r.recomputes, 0);
    }
}

// Small cases: DAGs of 8-11 nodes and chains of 2-4 layers, with and without updates.
std::vector<RandomCase> small_cases(int count) {
    std::vector<RandomCase> cases;
    for (uint64_t seed = 1; static_cast<int>(cases.size()) < count; ++seed) {
        if (seed % 3 == 0) {
            cases.push_back(
                testing::random_chain_case(seed, 2 + static_cast<int>(seed % 3), seed % 2 == 0));
            continue;
        }
        testing::RandomDagOptions o;
        o.forward_ops = 3 + static_cast<int>(seed % 2);
        o.update_probability = 0.6;
        RandomCase c = testing::random_dag_case(seed, o);
        if (c.graph.nodes.size() <= 11) cases.push_back(std::move(c));
    }
    return cases;
}

// A second, deliberately naive search of the same family for tiny graphs: the family read
// literally (any page_in of a stored copy, any recompute, any page_out, any retained subset,
// frees only after a compute or recompute), memoized backwards from the end. No deadline.
class NaiveFamily {
  public:
    NaiveFamily(const TrainingGraph& g, const CostModel& c, const SolveOptions& o)
        : g_(g), c_(c), o_(o), n_(static_cast<int>(g.nodes.size())) {}

    // The least energy, or a negative value when nothing fits.
    double optimum() { return best(0, 0, 0, 0); }

  private:
    using Mask = uint32_t;
    const TrainingNode& node(int i) const { return g_.nodes[static_cast<size_t>(i)]; }
    Mask inputs(int k) const {
        Mask m = 0;
        for (int in : node(k).inputs) m |= Mask{1} << in;
        return m;
    }
    bool may_recompute(int j, int t) const {
        const TrainingNode& v = node(j);
        if (!o_.allow_recompute || (v.kind != NodeKind::forward && v.kind != NodeKind::saved_aux))
            return false;
        for (const auto& u : g_.nodes)
            if (u.kind == NodeKind::update && u.op == v.op && t > u.id) return false;
        return true;
    }
    int64_t bytes(Mask m) const {
        int64_t b = 0;
        for (int i = 0; i < n_; ++i)
            if (m >> i & 1) b += node(i).bytes;
        return b;
    }
    double energy(int i) const {
        return c_.node[static_cast<size_t>(i)].energy_j +
               c_.static_power_w * c_.node[static_cast<size_t>(i)].time_s;
    }

    double best(int t, Mask retained, Mask stored, int64_t storage) {
        if (t == n_) return retained == 0 ? 0.0 : -1.0;
        const auto key = std::make_tuple(t, retained, stored, storage);
        if (auto it = memo_.find(key); it != memo_.end()) return it->second;
        double result = -1.0;
        const bool paging = o_.allow_paging && c_.paging_available();
        Mask recomputable = 0;
        for (int j = 0; j < t; ++j)
            if (may_recompute(j, t)) recomputable |= Mask{1} << j;
        const Mask storable = stored & ~retained;
        for (Mask in = storable;; in = (in - 1) & storable) {
            const Mask can = recomputable & ~retained & ~in;
            for (Mask re = can;; re = (re - 1) & can) {
                std::vector<int> ops;
                for (int j = 0; j < t; ++j)
                    if (re >> j & 1) ops.push_back(j);
                ops.push_back(t);
                double e = 0.0;
                for (int k : ops) e += energy(k);
                for (int x = 0; x < n_; ++x)
                    if (in >> x & 1)
                        e += c_.paging[static_cast<size_t>(x)].page_in_energy_j +
                             c_.static_power_w * c_.paging[static_cast<size_t>(x)].page_in_time_s;
                const Mask end = retained | in | re | (Mask{1} << t);
                for (Mask keep = end;; keep = (keep - 1) & end) {
                    Mask res = retained | in;
                    bool ok = true;
                    for (size_t i = 0; i < ops.size() && ok; ++i) {
                        const int k = ops[i];
                        ok = (inputs(k) & ~res) == 0;
                        const int64_t ram = g_.persistent_bytes() + bytes(res) + node(k).bytes +
                                            node(k).workspace_bytes;
                        ok = ok && (o_.ram_budget_bytes == 0 || ram <= o_.ram_budget_bytes);
                        res |= Mask{1} << k;
                        Mask later = 0;
                        for (size_t j = i + 1; j < ops.size(); ++j) later |= inputs(ops[j]);
                        res &= keep | later;
                    }
                    for (int out = 0; ok && out < 1 + (paging ? 1 : 0); ++out) {
                        const int64_t s = storage + (out ? node(t).bytes : 0);
                        if (s > c_.storage_capacity_bytes && out) continue;
                        const double pe =
                            out ? c_.paging[static_cast<size_t>(t)].page_out_energy_j +
                                      c_.static_power_w *
                                          c_.paging[static_cast<size_t>(t)].page_out_time_s
                                : 0.0;
                        const double rest = best(t + 1, keep, stored | (out ? Mask{1} << t : 0), s);
                        if (rest >= 0 && (result < 0 || e + pe + rest < result))
                            result = e + pe + rest;
                    }
                    if (keep == 0) break;
                }
                if (re == 0) break;
            }
            if (in == 0) break;
        }
        memo_[key] = result;
        return result;
    }

    const TrainingGraph& g_;
    const CostModel& c_;
    const SolveOptions& o_;
    int n_;
    std::map<std::tuple<int, Mask, Mask, int64_t>, double> memo_;
};

TEST(BruteForce, AgreesWithANaiveSearchOfTheFamily) {
    int compared = 0, constrained = 0;
    for (uint64_t seed = 1; compared < 60; ++seed) {
        RandomCase c = seed % 2 ? testing::random_chain_case(seed, 2, seed % 4 == 1)
                                : testing::random_dag_case(seed, {2, 0.5, 0.7, 1024, 0.3});
        if (c.graph.nodes.size() > 8) continue;
        SCOPED_TRACE(c.description);
        const SolveResult floor = StoreAllScheduler().solve(c.graph, c.costs, {});
        const int64_t lo = smallest_step_bytes(c.graph);
        for (int k = 0; k <= 3; ++k) {
            SolveOptions o = budget(lo + (floor.replay.peak_ram_bytes - lo) * k / 3);
            o.allow_recompute = seed % 5 != 0;
            o.allow_paging = seed % 7 != 0;
            const BruteForceResult b = brute_force_optimum(c.graph, c.costs, o);
            const double naive = NaiveFamily(c.graph, c.costs, o).optimum();
            ASSERT_EQ(b.feasible, naive >= 0) << "budget " << o.ram_budget_bytes;
            if (!b.feasible) continue;
            EXPECT_NEAR(b.energy_j, naive, naive * kRel) << "budget " << o.ram_budget_bytes;
            constrained += b.energy_j > floor.energy_j * (1 + kRel);
        }
        ++compared;
    }
    EXPECT_GT(constrained, 20);
}

TEST(BruteForce, UnlimitedBudgetIsTheStoreAllFloor) {
    for (const RandomCase& c : small_cases(30)) {
        SCOPED_TRACE(c.description);
        const BruteForceResult b = brute_force_optimum(c.graph, c.costs, {});
        expect_sound(c, {}, b);
        const SolveResult floor = StoreAllScheduler().solve(c.graph, c.costs, {});
        EXPECT_NEAR(b.energy_j, floor.energy_j, floor.energy_j * kRel);
    }
}

TEST(BruteForce, SoundAboveTheFloorAndMonotoneInTheBudget) {
    int constrained = 0, recomputing = 0, paging = 0;
    for (const RandomCase& c : small_cases(24)) {
        SCOPED_TRACE(c.description);
        const SolveResult floor = StoreAllScheduler().solve(c.graph, c.costs, {});
        const int64_t lo = smallest_step_bytes(c.graph);
        const int64_t hi = floor.replay.peak_ram_bytes;
        // Nothing fits below the most demanding single step.
        EXPECT_FALSE(brute_force_optimum(c.graph, c.costs, budget(lo - 1)).feasible);
        double previous = 0.0;
        bool previous_feasible = false;
        for (int k = 0; k <= 4; ++k) {
            const int64_t bytes = lo + (hi - lo) * k / 4;
            SCOPED_TRACE("budget " + std::to_string(bytes));
            const BruteForceResult b = brute_force_optimum(c.graph, c.costs, budget(bytes));
            if (k == 4) {
                ASSERT_TRUE(b.feasible);  // the store-all peak always fits
            }
            if (previous_feasible) {
                ASSERT_TRUE(b.feasible) << "more budget lost feasibility";
            }
            if (!b.feasible) continue;
            expect_sound(c, budget(bytes), b);
            EXPECT_TRUE(at_least(b.energy_j, floor.energy_j));
            if (previous_feasible) {
                EXPECT_LE(b.energy_j, previous * (1 + kRel));
            }
            previous = b.energy_j;
            previous_feasible = true;
            const ScheduleReplay r = replay_schedule(c.graph, c.costs, b.schedule, {});
            constrained += b.energy_j > floor.energy_j * (1 + kRel);
            recomputing += r.recomputes > 0;
            paging += r.page_outs > 0;
        }
        // With paging and room in storage, the smallest step is always reachable.
        if (c.costs.storage_capacity_bytes >= int64_t{1} << 30) {
            EXPECT_TRUE(brute_force_optimum(c.graph, c.costs, budget(lo)).feasible);
        }
    }
    // The cases do exercise the trade-offs.
    EXPECT_GT(constrained, 10);
    EXPECT_GT(recomputing, 5);
    EXPECT_GT(paging, 5);
}

TEST(BruteForce, WithoutRecomputeOrPagingTheStoreAllPeakIsTheLeast) {
    SolveOptions o;
    o.allow_paging = o.allow_recompute = false;
    for (const RandomCase& c : small_cases(15)) {
        SCOPED_TRACE(c.description);
        const SolveResult floor = StoreAllScheduler().solve(c.graph, c.costs, {});
        o.ram_budget_bytes = floor.replay.peak_ram_bytes;
        const BruteForceResult b = brute_force_optimum(c.graph, c.costs, o);
        expect_sound(c, o, b);
        EXPECT_NEAR(b.energy_j, floor.energy_j, floor.energy_j * kRel);
        o.ram_budget_bytes = floor.replay.peak_ram_bytes - 1;
        EXPECT_FALSE(brute_force_optimum(c.graph, c.costs, o).feasible);
    }
}

TEST(BruteForce, NoWorseThanSqrtNAtItsPeak) {
    // √n schedules lie in the family (on-demand recomputes in increasing order before the
    // stage's node, frees no earlier than the family's), so at √n's own peak the optimum of the
    // family without paging is at most √n's energy, and at most its runtime with that deadline.
    int cheaper = 0;
    for (const RandomCase& c : small_cases(24)) {
        SCOPED_TRACE(c.description);
        const SolveResult s = SqrtNScheduler().solve(c.graph, c.costs, {});
        ASSERT_TRUE(s.replay.valid);
        SolveOptions o = budget(s.replay.peak_ram_bytes);
        o.allow_paging = false;
        const BruteForceResult b = brute_force_optimum(c.graph, c.costs, o);
        expect_sound(c, o, b);
        EXPECT_LE(b.energy_j, s.energy_j * (1 + kRel));
        cheaper += b.energy_j < s.energy_j * (1 - kRel);
        o.deadline_s = s.replay.time_s * (1 + 1e-9);
        const BruteForceResult d = brute_force_optimum(c.graph, c.costs, o);
        expect_sound(c, o, d);
        EXPECT_LE(d.energy_j, s.energy_j * (1 + kRel));
    }
    EXPECT_GT(cheaper, 0);
}

TEST(BruteForce, DeadlinesCostEnergyAndAreMet) {
    int binding = 0;
    for (const RandomCase& c : small_cases(20)) {
        SCOPED_TRACE(c.description);
        const SolveResult floor = StoreAllScheduler().solve(c.graph, c.costs, {});
        const int64_t lo = smallest_step_bytes(c.graph);
        SolveOptions o = budget(lo + (floor.replay.peak_ram_bytes - lo) / 3);
        const BruteForceResult free_time = brute_force_optimum(c.graph, c.costs, o);
        if (!free_time.feasible) continue;
        // The fastest schedule at this budget: shrink the deadline until infeasible.
        for (double share : {1.0, 0.999, 0.99, 0.97, 0.9}) {
            o.deadline_s = free_time.time_s * share * (1 + 1e-9);
            const BruteForceResult b = brute_force_optimum(c.graph, c.costs, o);
            if (!b.feasible) {
                EXPECT_LT(share, 1.0);
                break;
            }
            expect_sound(c, o, b);
            EXPECT_LE(b.time_s, o.deadline_s * (1 + kRel));
            EXPECT_TRUE(at_least(b.energy_j, free_time.energy_j));
            if (share == 1.0) {
                EXPECT_NEAR(b.energy_j, free_time.energy_j, free_time.energy_j * kRel);
            }
            binding += b.energy_j > free_time.energy_j * (1 + kRel);
        }
        // A deadline below the store-all runtime (every node once) can never be met.
        o.deadline_s = floor.replay.time_s * (1 - 1e-6);
        EXPECT_FALSE(brute_force_optimum(c.graph, c.costs, o).feasible);
    }
    EXPECT_GT(binding, 0);
}

TEST(BruteForce, StorageCapacityIsRespected) {
    for (const RandomCase& base : small_cases(12)) {
        RandomCase c = base;
        SCOPED_TRACE(c.description);
        const SolveResult floor = StoreAllScheduler().solve(c.graph, c.costs, {});
        const int64_t lo = smallest_step_bytes(c.graph);
        const SolveOptions o = budget(lo + (floor.replay.peak_ram_bytes - lo) / 4);
        double previous = -1.0;
        for (int64_t cap : {int64_t{0}, int64_t{1024}, int64_t{4096}, int64_t{1} << 30}) {
            c.costs.storage_capacity_bytes = cap;
            const BruteForceResult b = brute_force_optimum(c.graph, c.costs, o);
            if (previous >= 0) {
                ASSERT_TRUE(b.feasible) << "more storage lost feasibility";
            }
            if (!b.feasible) continue;
            expect_sound(c, o, b);
            if (previous >= 0) {
                EXPECT_LE(b.energy_j, previous * (1 + kRel));
            }
            previous = b.energy_j;
        }
    }
}

TEST(BruteForce, TwelveNodeDagsAtATightBudget) {
    // The largest cases the reference is meant for: 12-node DAGs at a tight budget.
    const auto start = std::chrono::steady_clock::now();
    int64_t states = 0;
    int solved = 0;
    for (uint64_t seed = 1; solved < 3; ++seed) {
        testing::RandomDagOptions o;
        o.forward_ops = 4;
        o.update_probability = 0.7;
        o.mask_probability = 0.5;
        RandomCase c = testing::random_dag_case(seed, o);
        if (c.graph.nodes.size() != 12) continue;
        const int64_t lo = smallest_step_bytes(c.graph);
        const int64_t hi = StoreAllScheduler().solve(c.graph, c.costs, {}).replay.peak_ram_bytes;
        const BruteForceResult b = brute_force_optimum(c.graph, c.costs, budget((lo + hi) / 2));
        if (b.feasible) expect_sound(c, budget((lo + hi) / 2), b);
        states += b.states;
        ++solved;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("brute force: 3 twelve-node DAGs, %lld states, %.2f s\n",
                static_cast<long long>(states), seconds);
}

}  // namespace
}  // namespace tp
