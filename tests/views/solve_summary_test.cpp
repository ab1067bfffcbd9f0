// SolveSummary over real solves of the hand-built tiny network on the STM32F746 profile: every
// number shown is the PlanSolution's (the Validator's replay), infeasible names the smallest
// feasible budget, and the solving / stale / empty states say so.
#include "views/solve_summary.h"

#include <gtest/gtest.h>

#include <QLabel>
#include <QProgressBar>

#include "engine/cost_model.h"
#include "engine/device.h"
#include "engine/training_graph.h"
#include "engine/training_plan.h"
#include "solver/plan_solution.h"
#include "tests/views/tiny_network.h"
#include "views/number_format.h"

namespace tp {
namespace {

// The summary prints energy and time as `trainplan solve` does: three decimals in the largest
// unit the value reaches. Written out here independently of the view.
QString threeDecimals(double v, const char* base, const char* milli, const char* micro) {
    if (v >= 1.0) return QString::asprintf("%.3f %s", v, base);
    if (v >= 1e-3) return QString::asprintf("%.3f %s", v * 1e3, milli);
    return QString::asprintf("%.3f %s", v * 1e6, micro);
}
QString joules(double j) {
    return threeDecimals(j, "J", "mJ", "µJ");
}
QString seconds(double s) {
    return threeDecimals(s, "s", "ms", "µs");
}

class SolveSummaryTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        auto net = test::tinyNetwork();
        ASSERT_TRUE(net.ok()) << net.error().message;
        auto plan = make_preset(*net, "full");
        ASSERT_TRUE(plan.ok()) << plan.error().message;
        auto graph = derive_training_graph(*net, *plan);
        ASSERT_TRUE(graph.ok()) << graph.error().message;
        graph_ = new TrainingGraph(std::move(graph).value());
        const DeviceLibrary lib = load_device_library({TP_FIXTURES_DIR "/../../devices"});
        const Device* board = lib.find("stm32f746");
        ASSERT_NE(board, nullptr);
        device_ = new Device(*board);
        auto costs = build_cost_model(*graph_, *device_);
        ASSERT_TRUE(costs.ok()) << costs.error().message;
        costs_ = new CostModel(std::move(costs).value());
    }
    static void TearDownTestSuite() {
        delete costs_;
        delete device_;
        delete graph_;
    }

    static PlanSolution solve(int64_t budget, double deadline = 0.0) {
        SolveOptions o;
        o.ram_budget_bytes = budget;
        o.deadline_s = deadline;
        o.time_limit_s = 30;
        return solve_plan(*graph_, *costs_, "milp", o);
    }
    QString text(const char* name) const {
        const QLabel* label = summary.findChild<QLabel*>(name);
        EXPECT_NE(label, nullptr) << name;
        return label ? label->text() : QString();
    }
    bool shown(const char* name) const {
        return summary.findChild<QWidget*>(name)->isVisibleTo(&summary);
    }

    static inline TrainingGraph* graph_ = nullptr;
    static inline Device* device_ = nullptr;
    static inline CostModel* costs_ = nullptr;
    SolveSummary summary;
};

TEST_F(SolveSummaryTest, StoreAllBudgetIsOptimalAtTheFloor) {
    const PlanSolution s = solve(0);
    const PlanSolution roomy = solve(s.store_all_peak_bytes, 10.0);
    ASSERT_EQ(roomy.result.status, SolveStatus::optimal) << roomy.result.message;
    summary.setSolution(roomy, device_->sram_bytes);
    EXPECT_EQ(summary.state(), SolveSummary::State::solved);
    EXPECT_EQ(summary.statusText(), QStringLiteral("Optimal"));
    const ScheduleReplay& p = roomy.result.replay;
    EXPECT_EQ(text("summaryPeak"),
              QStringLiteral("%1 of %2 budget · SRAM 320.0 KiB")
                  .arg(formatBytes(p.peak_ram_bytes), formatBytes(roomy.store_all_peak_bytes)));
    EXPECT_EQ(text("summaryEnergy"),
              QStringLiteral("%1 · 1.00× floor").arg(joules(p.energy.total_j())));
    EXPECT_EQ(text("summaryTime"), QStringLiteral("%1 · deadline 10.000 s").arg(seconds(p.time_s)));
    EXPECT_EQ(text("summarySteps"), QStringLiteral("%1 recompute · %2 page-out · %3 page-in")
                                        .arg(p.recomputes)
                                        .arg(p.page_outs)
                                        .arg(p.page_ins));
    EXPECT_TRUE(text("summarySolver").startsWith(QString::fromStdString(roomy.result.solver)));
    EXPECT_TRUE(shown("summaryPeakBar"));
    EXPECT_FALSE(shown("summaryBusy"));
}

TEST_F(SolveSummaryTest, TightBudgetShowsTheReplaysRecomputeAndPaging) {
    const PlanSolution base = solve(0);
    ASSERT_LT(base.min_feasible_budget_bytes, base.store_all_peak_bytes);
    const PlanSolution tight = solve(base.min_feasible_budget_bytes);
    ASSERT_TRUE(tight.result.status == SolveStatus::optimal ||
                tight.result.status == SolveStatus::feasible)
        << tight.result.message;
    const ScheduleReplay& p = tight.result.replay;
    ASSERT_GT(p.recomputes + p.page_outs + p.page_ins, 0);
    summary.setSolution(tight, device_->sram_bytes);
    EXPECT_TRUE(text("summaryPeak").startsWith(formatBytes(p.peak_ram_bytes)));
    EXPECT_TRUE(text("summaryPeak").contains(formatBytes(base.min_feasible_budget_bytes)));
    const double ratio = p.energy.total_j() / tight.floor_energy_j;
    EXPECT_GT(ratio, 1.0);
    EXPECT_EQ(
        text("summaryEnergy"),
        QStringLiteral("%1 · %2× floor").arg(joules(p.energy.total_j())).arg(ratio, 0, 'f', 2));
    EXPECT_EQ(text("summaryTime"), seconds(p.time_s));  // no deadline set
    EXPECT_EQ(text("summarySteps"), QStringLiteral("%1 recompute · %2 page-out · %3 page-in")
                                        .arg(p.recomputes)
                                        .arg(p.page_outs)
                                        .arg(p.page_ins));
}

TEST_F(SolveSummaryTest, InfeasibleNamesTheSmallestFeasibleBudget) {
    const PlanSolution base = solve(0);
    const PlanSolution s = solve(base.min_feasible_budget_bytes - 1);
    ASSERT_EQ(s.result.status, SolveStatus::infeasible);
    summary.setSolution(s, device_->sram_bytes);
    EXPECT_EQ(summary.statusText(), QStringLiteral("Infeasible · smallest feasible budget %1")
                                        .arg(formatBytes(base.min_feasible_budget_bytes)));
    EXPECT_EQ(text("summaryDetail"), QString::fromStdString(s.result.message));
    EXPECT_FALSE(shown("summaryPeak"));
    EXPECT_FALSE(shown("summaryEnergy"));
    EXPECT_TRUE(shown("summarySolver"));
}

TEST_F(SolveSummaryTest, FeasibleShowsTheProvenGap) {
    PlanSolution s = solve(solve(0).min_feasible_budget_bytes);
    s.result.status = SolveStatus::feasible;
    s.result.gap = 0.012;
    summary.setSolution(s, device_->sram_bytes);
    EXPECT_EQ(summary.statusText(), QStringLiteral("Feasible · gap 1.20%"));
}

TEST_F(SolveSummaryTest, SolverTooltipCountsTheSearch) {
    PlanSolution s = solve(solve(0).min_feasible_budget_bytes);
    ASSERT_TRUE(s.result.has_schedule()) << s.result.message;
    s.result.stats.branch_nodes = 1234;
    s.result.stats.sub_mips = 17;
    s.result.stats.neighbourhood_improvements = 5;
    s.result.stats.rounding_improvements = 3;
    s.result.stats.searches = 1;
    summary.setSolution(s, device_->sram_bytes);
    const QString tip = summary.findChild<QLabel*>("summarySolver")->toolTip();
    EXPECT_TRUE(tip.contains(QStringLiteral("%1 branch-and-bound nodes; 17 neighbourhood searches, "
                                            "5 of them found a cheaper schedule; 3 cheaper "
                                            "schedules from rounding node LPs")
                                 .arg(formatCount(1234))))
        << tip.toStdString();
    s.result.stats.searches = 2;
    summary.setSolution(s, device_->sram_bytes);
    EXPECT_TRUE(
        summary.findChild<QLabel*>("summarySolver")
            ->toolTip()
            .contains(QStringLiteral("%1 branch-and-bound nodes in 2 parallel searches; 17 ")
                          .arg(formatCount(1234))));
}

TEST_F(SolveSummaryTest, SolverLineNamesTheFamilyOfTheSchedule) {
    PlanSolution s = solve(solve(0).min_feasible_budget_bytes);
    ASSERT_TRUE(s.result.has_schedule()) << s.result.message;
    s.result.stats.recompute_depth = 1;
    summary.setSolution(s, device_->sram_bytes);
    EXPECT_TRUE(text("summarySolver").endsWith(QStringLiteral(" · recompute within 1 hop")))
        << text("summarySolver").toStdString();
    EXPECT_FALSE(summary.findChild<QLabel*>("summarySolver")->toolTip().contains("both families"));
    // The two-hop family searched too, its schedule dearer: the label names the schedule's
    // family, the tooltip the scope of status and bound.
    s.result.stats.searched_recompute_only_depth = 2;
    summary.setSolution(s, device_->sram_bytes);
    EXPECT_TRUE(text("summarySolver").endsWith(QStringLiteral(" · recompute within 1 hop")))
        << text("summarySolver").toStdString();
    EXPECT_TRUE(summary.findChild<QLabel*>("summarySolver")
                    ->toolTip()
                    .endsWith(QStringLiteral("Status and bound cover both families searched: "
                                             "recompute within 1 hop with paging, and "
                                             "recompute-only within 2 hops")))
        << summary.findChild<QLabel*>("summarySolver")->toolTip().toStdString();
    s.result.stats.recompute_only_depth = 2;
    summary.setSolution(s, device_->sram_bytes);
    EXPECT_TRUE(text("summarySolver").endsWith(QStringLiteral(" · recompute-only within 2 hops")))
        << text("summarySolver").toStdString();
}

TEST_F(SolveSummaryTest, TimeLimitWithoutAScheduleSaysSo) {
    PlanSolution s = solve(solve(0).min_feasible_budget_bytes);
    s.result.status = SolveStatus::time_limit;
    s.result.schedule = {};
    s.result.message = "no schedule found within the time limit of 0.5 s; raise the time limit";
    summary.setSolution(s, device_->sram_bytes);
    EXPECT_EQ(summary.statusText(), QStringLiteral("No schedule within the time limit"));
    EXPECT_EQ(text("summaryDetail"), QString::fromStdString(s.result.message));
    EXPECT_FALSE(shown("summaryPeak"));
    EXPECT_FALSE(shown("summaryEnergy"));
}

TEST_F(SolveSummaryTest, ErrorShowsItsMessage) {
    SolveOptions o;
    const PlanSolution s = solve_plan(*graph_, *costs_, "no-such-solver", o);
    ASSERT_EQ(s.result.status, SolveStatus::error);
    summary.setSolution(s, device_->sram_bytes);
    EXPECT_EQ(summary.statusText(), QStringLiteral("Solver error"));
    EXPECT_TRUE(text("summaryDetail").contains("no-such-solver"))
        << text("summaryDetail").toStdString();
    EXPECT_FALSE(shown("summaryPeak"));
}

TEST_F(SolveSummaryTest, SolvingShowsProgressAndDimsTheLastSolution) {
    summary.setSolution(solve(0), device_->sram_bytes);
    SolveProgress progress;
    progress.elapsed_s = 3.25;
    progress.best_energy_j = 0.0125;
    progress.bound_j = 0.0120;
    progress.phase = "branch and bound";
    summary.showSolving(progress);
    EXPECT_EQ(summary.state(), SolveSummary::State::solving);
    EXPECT_EQ(summary.statusText(), QStringLiteral("Solving…"));
    EXPECT_EQ(text("summaryDetail"),
              QStringLiteral("branch and bound · 3.250 s · best 12.500 mJ · gap 4.00%"));
    EXPECT_TRUE(shown("summaryBusy"));
    EXPECT_TRUE(shown("summaryEnergy"));
    EXPECT_FALSE(summary.findChild<QLabel*>("summaryEnergy")->isEnabled());

    summary.setSolution(solve(0), device_->sram_bytes);
    EXPECT_FALSE(shown("summaryBusy"));
    EXPECT_TRUE(summary.findChild<QLabel*>("summaryEnergy")->isEnabled());
}

TEST_F(SolveSummaryTest, StaleKeepsNumbersDimmedAndClearEmpties) {
    summary.showStale();  // nothing shown yet: stays empty
    EXPECT_EQ(summary.state(), SolveSummary::State::empty);
    summary.setSolution(solve(0), device_->sram_bytes);
    const QString energy = text("summaryEnergy");
    summary.showStale();
    EXPECT_EQ(summary.state(), SolveSummary::State::stale);
    EXPECT_EQ(summary.statusText(), QStringLiteral("Out of date"));
    EXPECT_EQ(text("summaryEnergy"), energy);
    EXPECT_FALSE(summary.findChild<QLabel*>("summaryEnergy")->isEnabled());
    summary.clear();
    EXPECT_EQ(summary.state(), SolveSummary::State::empty);
    EXPECT_EQ(summary.statusText(), QStringLiteral("Not solved"));
    EXPECT_FALSE(shown("summaryEnergy"));
    EXPECT_FALSE(shown("summarySolver"));
}

}  // namespace
}  // namespace tp
