// The memory and energy charts against the engine: a small network solved by the MILP on a real
// board profile, then every stacked layer, line and bar compared with the Validator's replay; and
// exporting charts to PNG / SVG / PDF, and tables to TSV.
#include <gtest/gtest.h>
#include <qcustomplot.h>

#include <QDir>
#include <QFile>
#include <QScrollBar>
#include <QStandardItemModel>
#include <QTemporaryDir>

#include "engine/cost_model.h"
#include "engine/device.h"
#include "solver/plan_solution.h"
#include "tests/engine/small_networks.h"
#include "views/chart_export.h"
#include "views/compare_chart.h"
#include "views/energy_chart.h"
#include "views/memory_chart.h"
#include "views/number_format.h"
#include "views/schedule_grid.h"

namespace tp {
namespace {

// two-conv, full plan, on the STM32F746 (SD card paging), solved by the MILP halfway between the
// smallest feasible budget and the store-all peak, so the schedule pages or recomputes.
struct Solved {
    TrainingGraph graph;
    Device device;
    PlanSolution solution;
    int64_t budget_bytes = 0;
};

const Solved& solved() {
    static const Solved s = [] {
        Solved out;
        const Network net = test::two_conv_network();
        auto plan = make_preset(net, "full");
        EXPECT_TRUE(plan);
        auto g = derive_training_graph(net, *plan);
        EXPECT_TRUE(g);
        out.graph = *g;
        const DeviceLibrary lib = load_device_library(default_device_dirs());
        const Device* d = lib.find("stm32f746");
        EXPECT_NE(d, nullptr);
        out.device = *d;
        auto costs = build_cost_model(out.graph, out.device);
        EXPECT_TRUE(costs);
        const PlanSolution probe = solve_plan(out.graph, *costs, "store-all", {});
        out.budget_bytes = (probe.min_feasible_budget_bytes + probe.store_all_peak_bytes) / 2;
        SolveOptions o;
        o.ram_budget_bytes = out.budget_bytes;
        o.time_limit_s = 30;
        out.solution = solve_plan(out.graph, *costs, "milp", o);
        return out;
    }();
    return s;
}

const ScheduleReplay& replay() {
    return solved().solution.result.replay;
}

TEST(MemoryChart, SolvedScheduleRecomputesOrPages) {
    const SolveResult& r = solved().solution.result;
    ASSERT_TRUE(r.has_schedule()) << r.message;
    ASSERT_TRUE(r.replay.valid);
    EXPECT_GT(r.replay.recomputes + r.replay.page_ins, 0);
    EXPECT_LE(r.replay.peak_ram_bytes, solved().budget_bytes);
}

TEST(MemoryChart, EveryLayerIsTheReplaysStepMemoryInKiB) {
    MemoryChart chart;
    chart.setReplay(replay(), solved().budget_bytes, solved().device.sram_bytes);
    const auto& steps = replay().memory_by_step;
    ASSERT_FALSE(steps.empty());
    const auto kib = [](int64_t b) { return static_cast<double>(b) / 1024.0; };
    using L = MemoryChart::Layer;
    const std::vector<std::pair<L, int64_t StepMemory::*>> fields = {
        {L::parameters, &StepMemory::parameters},
        {L::optimizer_state, &StepMemory::optimizer_state},
        {L::saved, &StepMemory::saved},
        {L::gradients, &StepMemory::gradients},
        {L::transient, &StepMemory::transient},
        {L::paged_in, &StepMemory::paged_in}};
    for (const auto& [layer, field] : fields) {
        const QVector<double> v = chart.layerValues(layer);
        ASSERT_EQ(v.size(), static_cast<int>(steps.size()));
        for (size_t s = 0; s < steps.size(); ++s)
            EXPECT_DOUBLE_EQ(v[static_cast<int>(s)], kib(steps[s].*field))
                << MemoryChart::layerName(layer).toStdString() << " step " << s;
    }
    // The top of the stack as plotted is the replay's total at every step.
    QCPGraph* top = chart.plot()->graph(MemoryChart::kLayerCount - 1);
    ASSERT_EQ(top->data()->size(), static_cast<int>(steps.size()) + 1);
    for (size_t s = 0; s < steps.size(); ++s)
        EXPECT_NEAR(top->data()->at(static_cast<int>(s))->value, kib(steps[s].total), 1e-9);
    EXPECT_DOUBLE_EQ(chart.budgetLine(), kib(solved().budget_bytes));
    EXPECT_DOUBLE_EQ(chart.sramLine(), kib(solved().device.sram_bytes));
    EXPECT_EQ(chart.peakStep(), replay().peak_step);
    EXPECT_DOUBLE_EQ(chart.peakValue(), kib(replay().peak_ram_bytes));
    EXPECT_DOUBLE_EQ(kib(steps[static_cast<size_t>(chart.peakStep())].total), chart.peakValue());
    EXPECT_TRUE(chart.peakLabel().contains(formatBytes(replay().peak_ram_bytes)));
    EXPECT_LE(chart.plot()->xAxis->range().lower, 0.0);
    EXPECT_GE(chart.plot()->xAxis->range().upper, static_cast<double>(steps.size()));
    EXPECT_GE(chart.plot()->yAxis->range().upper, chart.peakValue());
}

TEST(MemoryChart, ClearDropsEverything) {
    MemoryChart chart;
    chart.setReplay(replay(), solved().budget_bytes, 0);
    EXPECT_EQ(chart.sramLine(), 0.0);
    chart.clear();
    EXPECT_TRUE(chart.layerValues(MemoryChart::Layer::saved).isEmpty());
    EXPECT_EQ(chart.peakStep(), -1);
    EXPECT_EQ(chart.budgetLine(), 0.0);
}

TEST(EnergyChart, SegmentsAreTheReplaysEnergyInMillijoules) {
    EnergyChart chart;
    const EnergyBreakdown& e = replay().energy;
    chart.setEnergy(e, solved().solution.floor_energy_j);
    using S = EnergyChart::Segment;
    EXPECT_DOUBLE_EQ(chart.segmentValue(S::compute), e.compute_j * 1e3);
    EXPECT_DOUBLE_EQ(chart.segmentValue(S::recompute), e.recompute_j * 1e3);
    EXPECT_DOUBLE_EQ(chart.segmentValue(S::page_in), e.page_in_j * 1e3);
    EXPECT_DOUBLE_EQ(chart.segmentValue(S::page_out), e.page_out_j * 1e3);
    EXPECT_DOUBLE_EQ(chart.segmentValue(S::static_power), e.static_j * 1e3);
    EXPECT_DOUBLE_EQ(chart.totalValue(), e.total_j() * 1e3);
    EXPECT_DOUBLE_EQ(chart.totalValue(), solved().solution.result.energy_j * 1e3);
    EXPECT_DOUBLE_EQ(chart.floorValue(), solved().solution.floor_energy_j * 1e3);
    EXPECT_LE(chart.floorValue(), chart.totalValue() * (1 + 1e-9));  // the floor is a floor
    // The bars as plotted: the segments stacked in order, then the floor bar.
    double stacked = 0;
    for (int i = 0; i < EnergyChart::kSegmentCount; ++i) {
        auto* bars = qobject_cast<QCPBars*>(chart.plot()->plottable(i));
        ASSERT_NE(bars, nullptr);
        ASSERT_EQ(bars->data()->size(), 1);
        EXPECT_DOUBLE_EQ(bars->data()->at(0)->value, chart.segmentValue(static_cast<S>(i)));
        stacked += bars->data()->at(0)->value;
    }
    EXPECT_NEAR(stacked, chart.totalValue(), 1e-9 * chart.totalValue());
    auto* floor = qobject_cast<QCPBars*>(chart.plot()->plottable(EnergyChart::kSegmentCount));
    ASSERT_NE(floor, nullptr);
    EXPECT_DOUBLE_EQ(floor->data()->at(0)->value, chart.floorValue());
    EXPECT_TRUE(
        chart.segmentToolTip(S::recompute).contains(formatMillijoules(e.recompute_j * 1e3)));
    EXPECT_GE(chart.plot()->xAxis->range().upper, chart.totalValue());
}

TEST(EnergyChart, MillijoulesKeepSmallValuesReadable) {
    EXPECT_EQ(formatMillijoules(12.345), QStringLiteral("12.35 mJ"));
    EXPECT_EQ(formatMillijoules(0.0), QStringLiteral("0 mJ"));
    EXPECT_EQ(formatMillijoules(0.004213), QStringLiteral("0.00421 mJ"));
    EXPECT_EQ(formatMillijoules(1234.5), QStringLiteral("1,234.5 mJ"));
}

QByteArray head(const QString& path, int n) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return f.read(n);
}

// Every chart, exported in every format, starts the way its format says.
TEST(ChartExport, WritesPngSvgAndPdfForEveryChart) {
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    MemoryChart memory;
    memory.setReplay(replay(), solved().budget_bytes, solved().device.sram_bytes);
    EnergyChart energy;
    energy.setEnergy(replay().energy, solved().solution.floor_energy_j);
    ScheduleGrid grid;
    grid.setSchedule(solved().graph, solved().solution.result.schedule);
    CompareView compare;
    compare.reset({QStringLiteral("stm32f746")}, {solved().budget_bytes});
    compare.setPoint(QStringLiteral("stm32f746"), solved().budget_bytes,
                     {QStringLiteral("optimal"), replay().energy.total_j(), replay().time_s,
                      replay().peak_ram_bytes, 0.0});
    const std::vector<std::pair<QString, QWidget*>> charts = {
        {"memory", &memory}, {"energy", &energy}, {"grid", &grid}, {"compare", &compare}};
    for (const auto& [name, widget] : charts) {
        widget->resize(800, 480);
        const QString png = dir.filePath(name + ".png");
        const QString svg = dir.filePath(name + ".svg");
        const QString pdf = dir.filePath(name + ".PDF");  // suffixes in any case
        for (const QString& path : {png, svg, pdf}) {
            const Status s = exportChart(widget, path);
            EXPECT_TRUE(s) << path.toStdString() << ": " << (s ? "" : s.error().message);
            EXPECT_GT(QFileInfo(path).size(), 200) << path.toStdString();
        }
        EXPECT_EQ(head(png, 4), QByteArray("\x89PNG", 4)) << name.toStdString();
        const QByteArray svgHead = head(svg, 200);
        EXPECT_TRUE(svgHead.startsWith("<?xml") || svgHead.startsWith("<svg"))
            << name.toStdString();
        EXPECT_TRUE(svgHead.contains("<svg")) << name.toStdString();
        EXPECT_EQ(head(pdf, 4), QByteArray("%PDF")) << name.toStdString();
    }
}

TEST(ChartExport, UnknownSuffixAndUnwritableFileAreErrorsNamingTheFile) {
    MemoryChart chart;
    const Status bmp = exportChart(&chart, QStringLiteral("/tmp/ram.bmp"));
    ASSERT_FALSE(bmp);
    EXPECT_NE(bmp.error().message.find("/tmp/ram.bmp"), std::string::npos) << bmp.error().message;
    EXPECT_NE(bmp.error().message.find(".bmp"), std::string::npos);
    EXPECT_NE(bmp.error().message.find(".png"), std::string::npos);  // the way out
    const Status none = exportChart(&chart, QStringLiteral("/tmp/ram"));
    EXPECT_FALSE(none);
    const QString missing = QStringLiteral("/nonexistent-folder-tp/ram.png");
    const Status bad = exportChart(&chart, missing);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find(missing.toStdString()), std::string::npos)
        << bad.error().message;
    EXPECT_FALSE(QFileInfo::exists(missing));
}

TEST(ChartExport, TableToTsvCopiesAllOrTheSelection) {
    QStandardItemModel model(2, 3);
    model.setHorizontalHeaderLabels({"Budget", "a", "b"});
    for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 3; ++c)
            model.setItem(r, c, new QStandardItem(QStringLiteral("r%1c%2").arg(r).arg(c)));
    model.item(1, 2)->setText(QStringLiteral("tab\there"));
    EXPECT_EQ(tableToTsv(model, {}),
              QStringLiteral("Budget\ta\tb\nr0c0\tr0c1\tr0c2\nr1c0\tr1c1\ttab here\n"));
    // A selection's bounding box; unselected cells inside it stay empty.
    EXPECT_EQ(tableToTsv(model, {model.index(0, 1), model.index(1, 2)}),
              QStringLiteral("r0c1\t\n\ttab here\n"));
}

// Not a check: with TP_CHART_SNAPSHOTS=<dir>, saves each widget as it renders, for review.
TEST(ChartSnapshots, SaveWhenAsked) {
    const QByteArray dir = qgetenv("TP_CHART_SNAPSHOTS");
    if (dir.isEmpty()) GTEST_SKIP() << "set TP_CHART_SNAPSHOTS to a folder to save snapshots";
    const QString out = QString::fromLocal8Bit(dir);
    MemoryChart memory;
    memory.setReplay(replay(), solved().budget_bytes, solved().device.sram_bytes);
    memory.resize(900, 480);
    memory.grab().save(out + "/charts-memory.png");
    EnergyChart energy;
    energy.setEnergy(replay().energy, solved().solution.floor_energy_j);
    energy.resize(700, 300);
    energy.grab().save(out + "/charts-energy.png");
    ScheduleGrid grid;
    grid.setSchedule(solved().graph, solved().solution.result.schedule);
    grid.resize(1000, 560);
    grid.show();
    grid.setZoom(1.5);
    grid.verticalScrollBar()->setValue(0);
    grid.horizontalScrollBar()->setValue(0);
    grid.grab().save(out + "/charts-grid.png");
    grid.hide();
    CompareView compare;
    compare.reset(
        {QStringLiteral("stm32f746"), QStringLiteral("nrf52840"), QStringLiteral("rp2040")},
        {2048, 3072, 4096, 5120, 6144});
    const double base = solved().solution.floor_energy_j;
    for (int b = 0; b < 3; ++b)
        for (qint64 budget : {2048, 3072, 4096, 5120, 6144}) {
            const bool fits = budget > 2048 + 1024 * b;
            const double e = base * (1 + b * 0.6) * (1 + 4096.0 / static_cast<double>(budget));
            compare.setPoint(compare.boards()[b], budget,
                             {fits ? QStringLiteral("optimal") : QStringLiteral("infeasible"),
                              fits ? e : 0.0, 0.01, budget - 100, 0.0});
        }
    compare.resize(1000, 420);
    compare.grab().save(out + "/charts-compare.png");
}

}  // namespace
}  // namespace tp
