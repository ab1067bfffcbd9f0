// The schedule grid against the engine's timeline: every cell's colour is its state's, the
// painted pixels are those colours, tooltips name node, step, op and bytes, zoom obeys its limits
// and keys, and a model-sized grid (1000 nodes × 3000 steps) paints in interactive time.
#include "views/schedule_grid.h"

#include <gtest/gtest.h>

#include <QHelpEvent>
#include <QImage>
#include <QScrollBar>
#include <QTest>
#include <QToolTip>

#include "engine/cost_model.h"
#include "engine/device.h"
#include "solver/plan_solution.h"
#include "tests/engine/small_networks.h"
#include "views/number_format.h"

namespace tp {
namespace {

struct Solved {
    TrainingGraph graph;
    SolveResult result;
};

// two-conv, full plan, STM32F746, MILP at a budget between the smallest feasible and store-all.
const Solved& solved() {
    static const Solved s = [] {
        Solved out;
        const Network net = test::two_conv_network();
        out.graph = *derive_training_graph(net, *make_preset(net, "full"));
        const DeviceLibrary lib = load_device_library(default_device_dirs());
        const Device* d = lib.find("stm32f746");
        EXPECT_NE(d, nullptr);
        const CostModel costs = *build_cost_model(out.graph, *d);
        const PlanSolution probe = solve_plan(out.graph, costs, "store-all", {});
        SolveOptions o;
        o.ram_budget_bytes = (probe.min_feasible_budget_bytes + probe.store_all_peak_bytes) / 2;
        o.time_limit_s = 30;
        out.result = solve_plan(out.graph, costs, "milp", o).result;
        return out;
    }();
    return s;
}

CellState actionState(StepOp op) {
    switch (op) {
        case StepOp::compute:
            return CellState::compute;
        case StepOp::recompute:
            return CellState::recompute;
        case StepOp::page_out:
            return CellState::page_out;
        case StepOp::page_in:
            return CellState::page_in;
        case StepOp::free:
            break;
    }
    return CellState::empty;
}

TEST(ScheduleGrid, EveryCellHasItsTimelineStatesColour) {
    const Solved& s = solved();
    ASSERT_TRUE(s.result.has_schedule()) << s.result.message;
    ScheduleGrid grid;
    grid.setSchedule(s.graph, s.result.schedule);
    const ScheduleTimeline& t = grid.timeline();
    ASSERT_EQ(t.steps, static_cast<int>(s.result.schedule.steps.size()));
    ASSERT_EQ(t.nodes, static_cast<int>(s.graph.nodes.size()));
    int actions = 0;
    for (int step = 0; step < t.steps; ++step) {
        const Step& st = s.result.schedule.steps[static_cast<size_t>(step)];
        if (st.op != StepOp::free) {
            // The acting cell shows the schedule's own step, whatever the timeline says.
            EXPECT_EQ(grid.colorAt(st.node, step), ScheduleGrid::stateColor(actionState(st.op)))
                << "step " << step;
            ++actions;
        }
        for (int n = 0; n < t.nodes; ++n) {
            const CellState c = t.at(n, step);
            if (c == CellState::empty)
                EXPECT_GE(grid.colorAt(n, step).lightness(), 240);  // white, rows banded
            else
                EXPECT_EQ(grid.colorAt(n, step), ScheduleGrid::stateColor(c));
        }
    }
    EXPECT_GT(actions, 0);
}

TEST(ScheduleGrid, PaintedPixelsAreTheCellColours) {
    const Solved& s = solved();
    ScheduleGrid grid;
    grid.resize(900, 600);
    grid.setSchedule(s.graph, s.result.schedule);
    grid.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&grid));
    grid.setZoom(2.0);
    const QImage image = grid.viewport()->grab().toImage();
    int checked = 0;
    for (int n = 0; n < grid.timeline().nodes; ++n)
        for (int step = 0; step < grid.timeline().steps; ++step) {
            const QRect r = grid.cellRect(n, step);
            const QPoint centre = r.center();
            if (centre.x() < grid.nameColumnWidth() + 2 || centre.y() < grid.headerHeight() + 2 ||
                !image.rect().contains(centre))
                continue;
            EXPECT_EQ(image.pixelColor(centre * image.devicePixelRatio()), grid.colorAt(n, step))
                << "node " << n << " step " << step;
            EXPECT_EQ(grid.cellAt(centre), QPoint(step, n));
            ++checked;
        }
    EXPECT_GT(checked, 50);
}

TEST(ScheduleGrid, ToolTipNamesNodeStepOpAndBytes) {
    const Solved& s = solved();
    ScheduleGrid grid;
    grid.setSchedule(s.graph, s.result.schedule);
    const Schedule& sch = s.result.schedule;
    for (int step :
         {0, static_cast<int>(sch.steps.size()) / 2, static_cast<int>(sch.steps.size()) - 1}) {
        const Step& st = sch.steps[static_cast<size_t>(step)];
        const TrainingNode& node = s.graph.nodes[static_cast<size_t>(st.node)];
        const QString tip = grid.toolTipAt(st.node, step);
        EXPECT_TRUE(tip.contains(QString::fromStdString(node.name))) << tip.toStdString();
        EXPECT_TRUE(tip.contains(QStringLiteral("step %1 of %2").arg(step).arg(sch.steps.size())))
            << tip.toStdString();
        EXPECT_TRUE(tip.contains(QString::fromLatin1(step_op_name(st.op)).replace('_', ' ')))
            << tip.toStdString();
        EXPECT_TRUE(tip.contains(formatBytes(node.bytes))) << tip.toStdString();
    }
    EXPECT_TRUE(grid.toolTipAt(-1, 0).isEmpty());
    EXPECT_TRUE(grid.toolTipAt(0, 1 << 20).isEmpty());
}

TEST(ScheduleGrid, HoverShowsTheCellsToolTip) {
    const Solved& s = solved();
    ScheduleGrid grid;
    grid.resize(800, 500);
    grid.setSchedule(s.graph, s.result.schedule);
    grid.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&grid));
    const QPoint at = grid.cellRect(1, 2).center();
    QHelpEvent help(QEvent::ToolTip, at, grid.viewport()->mapToGlobal(at));
    QApplication::sendEvent(grid.viewport(), &help);
    EXPECT_EQ(QToolTip::text(), grid.toolTipAt(1, 2));
    QToolTip::hideText();
}

TEST(ScheduleGrid, ZoomStaysInItsLimitsAndFollowsKeysAndCtrlWheel) {
    const Solved& s = solved();
    ScheduleGrid grid;
    grid.resize(800, 500);
    grid.setSchedule(s.graph, s.result.schedule);
    grid.setZoom(100);
    EXPECT_EQ(grid.zoom(), ScheduleGrid::kMaxZoom);
    grid.setZoom(0);
    EXPECT_EQ(grid.zoom(), ScheduleGrid::kMinZoom);
    grid.setZoom(1.0);
    const int width1 = grid.cellRect(0, 0).width();
    QTest::keyClick(&grid, Qt::Key_Plus);
    EXPECT_NEAR(grid.zoom(), 1.25, 1e-9);
    QTest::keyClick(&grid, Qt::Key_Minus);
    QTest::keyClick(&grid, Qt::Key_Minus);
    EXPECT_NEAR(grid.zoom(), 0.8, 1e-9);
    grid.setZoom(2.0);
    EXPECT_EQ(grid.cellRect(0, 0).width(), 2 * width1);
    const QPoint p = grid.viewport()->rect().center();
    QWheelEvent wheel(p, grid.viewport()->mapToGlobal(p), {}, {0, 120}, Qt::NoButton,
                      Qt::ControlModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(grid.viewport(), &wheel);
    EXPECT_NEAR(grid.zoom(), 2.5, 1e-9);
    QTest::keyClick(&grid, Qt::Key_0);  // fit every step across the width
    EXPECT_LE(grid.timeline().steps * grid.cellRect(0, 0).width(),
              grid.viewport()->width() - grid.nameColumnWidth() + grid.timeline().steps);
}

// A model-sized grid: 1000 nodes, 3000 steps (each node computed, paged out, freed, paged in).
TEST(ScheduleGrid, ThousandNodesByThreeThousandStepsPaintAtEveryZoom) {
    const int nodes = 1000;
    TrainingGraph g;
    for (int i = 0; i < nodes; ++i) {
        TrainingNode n;
        n.id = i;
        n.name = "layer" + std::to_string(i) + ":grad_in0";
        n.bytes = 1024 * (1 + i % 7);
        g.nodes.push_back(n);
    }
    Schedule sch;
    for (int i = 0; i < nodes; ++i) {
        sch.steps.push_back({StepOp::compute, i});
        sch.steps.push_back({StepOp::page_out, i});
        sch.steps.push_back({StepOp::free, i});
    }
    ScheduleGrid grid;
    grid.resize(1400, 900);
    grid.setSchedule(g, sch);
    ASSERT_EQ(grid.timeline().steps, 3000);
    grid.show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(&grid));
    for (double zoom : {ScheduleGrid::kMinZoom, 1.0, ScheduleGrid::kMaxZoom}) {
        grid.setZoom(zoom);
        grid.horizontalScrollBar()->setValue(grid.horizontalScrollBar()->maximum() / 2);
        const QPixmap shot = grid.viewport()->grab();
        EXPECT_FALSE(shot.isNull()) << "zoom " << zoom;
    }
    EXPECT_EQ(grid.colorAt(999, 2999), ScheduleGrid::stateColor(CellState::stored));
}

}  // namespace
}  // namespace tp
