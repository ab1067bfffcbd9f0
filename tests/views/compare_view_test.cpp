// The compare view against the engine: a small network solved on two boards at three budgets
// (one below the smallest feasible step), fed in one point at a time; the curves, the infeasible
// marks and the table show exactly the solves' results as they arrive.
#include <gtest/gtest.h>
#include <qcustomplot.h>

#include <QTableWidget>

#include "engine/cost_model.h"
#include "engine/device.h"
#include "solver/plan_solution.h"
#include "tests/engine/small_networks.h"
#include "views/chart_export.h"
#include "views/compare_chart.h"
#include "views/energy_chart.h"
#include "views/number_format.h"

namespace tp {
namespace {

struct Solve {
    QString board;
    qint64 budget = 0;
    PlanSolution solution;
};

struct Sweep {
    QStringList boards = {QStringLiteral("stm32f746"), QStringLiteral("nrf52840")};
    QVector<qint64> budgets;
    std::vector<Solve> solves;
};

CompareCell cellOf(const PlanSolution& p) {
    const SolveResult& r = p.result;
    return {QString::fromLatin1(solve_status_name(r.status)), r.energy_j, r.replay.time_s,
            r.replay.peak_ram_bytes, r.gap};
}

// Budgets: below the smallest feasible step, halfway to store-all, and store-all's peak.
const Sweep& sweep() {
    static const Sweep s = [] {
        Sweep out;
        const Network net = test::two_conv_network();
        const TrainingGraph g = *derive_training_graph(net, *make_preset(net, "full"));
        const DeviceLibrary lib = load_device_library(default_device_dirs());
        const int64_t low = smallest_step_bytes(g);
        const Device* first = lib.find(out.boards.front().toStdString());
        EXPECT_NE(first, nullptr);
        const int64_t high =
            solve_plan(g, *build_cost_model(g, *first), "store-all", {}).store_all_peak_bytes;
        out.budgets = {high, (low + high) / 2, low - 1};  // shown in this order, not sorted
        for (const QString& board : out.boards) {
            const Device* d = lib.find(board.toStdString());
            EXPECT_NE(d, nullptr);
            const CostModel costs = *build_cost_model(g, *d);
            for (qint64 budget : out.budgets) {
                SolveOptions o;
                o.ram_budget_bytes = budget;
                o.time_limit_s = 30;
                out.solves.push_back({board, budget, solve_plan(g, costs, "milp", o)});
            }
        }
        return out;
    }();
    return s;
}

TEST(CompareView, StartsPendingThenShowsEachSolveAsItArrives) {
    const Sweep& s = sweep();
    CompareView view;
    view.reset(s.boards, s.budgets);
    ASSERT_EQ(view.table()->rowCount(), s.budgets.size());
    ASSERT_EQ(view.table()->columnCount(), s.boards.size() + 1);
    for (int r = 0; r < s.budgets.size(); ++r) {
        EXPECT_EQ(view.table()->item(r, 0)->text(), formatBytes(s.budgets[r]));
        for (const QString& b : s.boards) EXPECT_EQ(view.cellText(b, s.budgets[r]), "…");
    }
    for (const Solve& solve : s.solves) {
        ASSERT_TRUE(view.setPoint(solve.board, solve.budget, cellOf(solve.solution)));
        const SolveResult& r = solve.solution.result;
        const QString text = view.cellText(solve.board, solve.budget);
        if (r.status == SolveStatus::optimal) {
            EXPECT_EQ(text, formatMillijoules(r.energy_j * 1e3));
        } else if (r.status == SolveStatus::infeasible) {
            EXPECT_EQ(text, "infeasible");
        } else {
            EXPECT_TRUE(text.startsWith(formatMillijoules(r.energy_j * 1e3)) ||
                        text == QString::fromLatin1(solve_status_name(r.status)))
                << text.toStdString();
        }
    }
    // The table's cells: no pending cell is left.
    for (int r = 0; r < s.budgets.size(); ++r)
        for (int c = 1; c <= s.boards.size(); ++c) EXPECT_NE(view.table()->item(r, c)->text(), "…");
}

TEST(CompareView, CurvesAreTheSolvedEnergiesAndInfeasibleBudgetsAreMarked) {
    const Sweep& s = sweep();
    CompareView view;
    view.reset(s.boards, s.budgets);
    for (const Solve& solve : s.solves)
        view.setPoint(solve.board, solve.budget, cellOf(solve.solution));
    int infeasible = 0;
    for (const QString& board : s.boards) {
        QVector<QPointF> expected;
        QVector<double> expectedCrosses;
        for (const Solve& solve : s.solves) {
            if (solve.board != board) continue;
            const SolveResult& r = solve.solution.result;
            const double kib = static_cast<double>(solve.budget) / 1024.0;
            if (r.status == SolveStatus::optimal || r.status == SolveStatus::feasible)
                expected << QPointF(kib, r.energy_j * 1e3);
            if (r.status == SolveStatus::infeasible) expectedCrosses << kib;
        }
        std::sort(expected.begin(), expected.end(),
                  [](const QPointF& a, const QPointF& b) { return a.x() < b.x(); });
        std::sort(expectedCrosses.begin(), expectedCrosses.end());
        const QVector<QPointF> curve = view.curve(board);
        ASSERT_EQ(curve.size(), expected.size()) << board.toStdString();
        for (int i = 0; i < curve.size(); ++i) {
            EXPECT_DOUBLE_EQ(curve[i].x(), expected[i].x());
            EXPECT_DOUBLE_EQ(curve[i].y(), expected[i].y());
        }
        EXPECT_EQ(view.infeasibleBudgets(board), expectedCrosses) << board.toStdString();
        infeasible += expectedCrosses.size();
        EXPECT_EQ(curve.size(), 2) << "both feasible budgets solve on " << board.toStdString();
    }
    EXPECT_EQ(infeasible, 2);  // the budget below the smallest step, on each board
    // Every curve point is inside the visible axes.
    for (const QString& board : s.boards)
        for (const QPointF& p : view.curve(board)) {
            EXPECT_TRUE(view.plot()->xAxis->range().contains(p.x()));
            EXPECT_TRUE(view.plot()->yAxis->range().contains(p.y()));
        }
}

TEST(CompareView, UnknownPointsAreIgnoredAndResetStartsOver) {
    CompareView view;
    view.reset({"a"}, {1024});
    EXPECT_FALSE(view.setPoint("b", 1024, {"optimal", 1e-3, 1, 100, 0}));
    EXPECT_FALSE(view.setPoint("a", 2048, {"optimal", 1e-3, 1, 100, 0}));
    EXPECT_TRUE(view.setPoint("a", 1024, {"feasible", 2e-3, 1, 100, 0.012}));
    EXPECT_EQ(view.cellText("a", 1024), formatMillijoules(2.0) + " (gap 1.2%)");
    EXPECT_EQ(view.curve("a").size(), 1);
    view.setPoint("a", 1024, {"cancelled", 0, 0, 0, 0});
    EXPECT_EQ(view.cellText("a", 1024), "cancelled");
    EXPECT_TRUE(view.curve("a").isEmpty());
    view.setPoint("a", 1024, {"time_limit", 0, 0, 0, 0});
    EXPECT_EQ(view.cellText("a", 1024), "time limit");
    EXPECT_TRUE(view.curve("a").isEmpty());
    view.reset({"a", "b"}, {1024, 4096});
    EXPECT_EQ(view.cellText("a", 1024), "…");
    EXPECT_TRUE(view.curve("a").isEmpty());
    EXPECT_EQ(view.point("b", 4096).status, "pending");
}

TEST(CompareView, TableCopiesAsTsvWithBoardsAsColumns) {
    CompareView view;
    view.reset({"a", "b"}, {1024, 2048});
    view.setPoint("a", 1024, {"infeasible", 0, 0, 0, 0});
    view.setPoint("b", 2048, {"optimal", 0.5, 1, 100, 0});
    const QString tsv = tableToTsv(*view.table()->model(), {});
    EXPECT_EQ(tsv, QStringLiteral("Budget\ta\tb\n%1\tinfeasible\t…\n%2\t…\t%3\n")
                       .arg(formatBytes(1024), formatBytes(2048), formatMillijoules(500)));
}

}  // namespace
}  // namespace tp
