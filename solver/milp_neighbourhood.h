// Large-neighbourhood primal heuristics for GLPK's branch and cut, run from its callback.
//
// On the POET model GLPK's cuts lift the root bound to within a fraction of a percent of the
// optimum in well under a second, but its own search finds good schedules late: proving the
// optimum is a matter of finding it. Two classic neighbourhoods do that (Berthold, "RENS", 2014;
// Danna, Rothberg and Le Pape, "RINS", 2005), each a small MILP solved by GLPK itself:
//   RENS  at the root, after the LP and after the first round of cuts (up to four rounds while
//         no schedule is known): every binary the LP relaxation sets to 0 or 1 is fixed
//         there, the fractional ones are searched.
//   RINS  every few branch-and-bound nodes once a schedule is known: every binary on which the
//         node's LP and the best schedule agree is fixed, the rest searched, and only a
//         schedule that uses less energy than the best is accepted.
// A sub-MILP is the original problem (not the node's, whose rows GLPK's node preprocessing may
// have loosened under the node's bounds) plus the cuts GLPK made at the root, stops at its own
// time limit or at the caller's cancel flag, and what it finds is checked against every original
// row before it goes to GLPK through glp_ios_heur_sol (which checks only integrality).
#pragma once

#include <glpk.h>

#include <atomic>
#include <chrono>
#include <vector>

namespace tp {

// GLPK's incumbent is the stand-in for another family's schedule (glpk_branch_and_cut.h
// MilpYield) in column `cutoff_col` (0: there is none), not a schedule of the model: the stand-in
// sets only its column, to the other schedule's energy above the model's constant (> 0).
bool holds_stand_in(glp_prob* q, int cutoff_col);

struct NeighbourhoodSearch {
    // Limits.
    int rens_rounds = 2;            // root LPs (relaxation, then after cuts) that get a RENS
    int rens_rounds_unsolved = 4;   // ... while no schedule is known yet
    int rins_every_nodes = 10;      // branch-and-bound nodes between two RINS (at first: each
                                    // RINS that finds nothing doubles it, one that does resets it)
    int rins_max = 60;              // RINS calls per solve
    int rins_after_nodes = 0;       // none before the tree has this many nodes
    double sub_time_limit_s = 1;    // per sub-MILP once a schedule is known
    double first_time_limit_s = 3;  // per sub-MILP while none is (callers scale it with theirs)
    // The schedule known at the start is only a fallback far from the optimum (paging
    // everything): RENS then runs as if none were known, with its rounds and time.
    bool fallback_start = false;
    // Neither is ever past `stop_at`.
    std::chrono::steady_clock::time_point stop_at;
    const std::atomic<bool>* cancel = nullptr;
    // The column standing in for another family's schedule (glpk_branch_and_cut.h MilpYield),
    // 0 for none, and a schedule of this model dearer than it (the warm start, 1-based; empty
    // for none). While GLPK's incumbent is the stand-in, RINS searches around that schedule, RENS
    // runs as without a schedule when there is none, and only cheaper schedules are searched.
    int cutoff_col = 0;
    std::vector<double> dearer_schedule;

    // Takes a copy of the problem as loaded, before glp_intopt.
    explicit NeighbourhoodSearch(glp_prob* original);
    ~NeighbourhoodSearch();
    NeighbourhoodSearch(const NeighbourhoodSearch&) = delete;
    NeighbourhoodSearch& operator=(const NeighbourhoodSearch&) = delete;

    // What happened (for SolveStats and progress).
    int sub_mips = 0;
    int improvements = 0;

    // From the glp_ios callback at GLP_IHEUR. Returns true when GLPK accepted a schedule better
    // than its incumbent.
    bool run(glp_tree* tree);

  private:
    struct Cut {
        std::vector<int> index;  // 1-based, like glp_set_mat_row
        std::vector<double> value;
        int type = GLP_UP;
        double lower = 0.0, upper = 0.0;
    };
    glp_prob* original_ = nullptr;
    std::vector<Cut> root_cuts_;
    int rens_done_ = 0;
    double last_rens_objective_ = 0.0;
    int rins_done_ = 0;
    int last_rins_node_count_ = -1000000;
    int rins_interval_ = 0;  // nodes between two RINS now (0: rins_every_nodes)

    enum class Kind { rens, rins };
    bool search(glp_tree* tree, Kind kind);
    void keep_root_cuts(glp_tree* tree);
    bool meets_original_rows(const std::vector<double>& x) const;
    bool holds_schedule(glp_prob* q) const;  // GLPK's incumbent is a schedule, not the stand-in
    bool knows_schedule(glp_prob* q) const;  // ... or there is a dearer one to search around
};

}  // namespace tp
