// The studio's whole workflow, driven through the real MainWindow as a user would: open a zoo
// model, pick a board and a budget, set layer modes in the table, solve, and read the result.
// Every number the window shows is checked against the engine's own Validator replay of an
// independent solve of the same design; undo/redo, save/open and cancel are checked too.
#include <gtest/gtest.h>

#include <QAction>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include "app/studio/main_window.h"
#include "app/studio/results_panel.h"
#include "app/studio/target_panel.h"
#include "views/board_picker.h"
#include "views/budget_editor.h"
#include "views/compare_chart.h"
#include "views/energy_chart.h"
#include "views/memory_chart.h"
#include "views/number_format.h"
#include "views/plan_table_model.h"
#include "views/schedule_grid.h"
#include "views/solve_summary.h"

namespace tp {
namespace {

constexpr int kTimeoutMs = 120000;

class StudioWorkflowTest : public ::testing::Test {
  protected:
    StudioWorkflowTest() {
        window.setInteractive(false);
        window.targetPanel()->setAutoSolve(false);
    }

    bool open(const QString& spec) {
        QSignalSpy loaded(&window, &MainWindow::modelLoaded);
        window.openModel(spec);
        return loaded.wait(kTimeoutMs);
    }

    // Clicks Solve and waits for the result.
    bool clickSolve() {
        QSignalSpy done(&window, &MainWindow::solveFinished);
        QTest::mouseClick(window.findChild<QPushButton*>("solveButton"), Qt::LeftButton);
        return done.wait(kTimeoutMs);
    }

    // Chooses a board the way the user does: the picker's combo, then activation.
    void chooseBoard(const QString& id) {
        auto* combo = window.targetPanel()->boardPicker()->findChild<QComboBox*>();
        ASSERT_NE(combo, nullptr);
        int row = -1;
        for (int i = 0; i < combo->count(); ++i)
            if (combo->itemData(i).toString() == id || combo->itemText(i).contains(id)) row = i;
        if (row < 0) {
            // Fall back to the library order, which the picker shows.
            const auto& devices = window.document()->deviceLibrary().devices;
            for (size_t i = 0; i < devices.size(); ++i)
                if (QString::fromStdString(devices[i].id) == id) row = static_cast<int>(i);
        }
        ASSERT_GE(row, 0) << id.toStdString();
        combo->setCurrentIndex(row);
        emit combo->activated(row);
    }

    // Types a budget in KiB into the budget field and presses Enter.
    void typeBudgetKiB(int kib) {
        auto* field = window.targetPanel()->budgetEditor()->findChild<QDoubleSpinBox*>();
        ASSERT_NE(field, nullptr);
        field->setFocus();
        field->selectAll();
        QTest::keyClicks(field, QString::number(kib));
        QTest::keyClick(field, Qt::Key_Return);
    }

    // What the engine says for the window's current design, solved independently.
    PlanSolution referenceSolve() const {
        const PlanDocument* doc = window.document();
        auto graph = derive_training_graph(*doc->network(), doc->design().plan);
        EXPECT_TRUE(graph.ok());
        const Device* board = doc->deviceLibrary().find(doc->design().deviceId.toStdString());
        EXPECT_NE(board, nullptr);
        auto costs = build_cost_model(*graph, *board);
        EXPECT_TRUE(costs.ok());
        SolveOptions options;
        options.ram_budget_bytes = doc->design().budgetBytes;
        return solve_plan(*graph, *costs, doc->design().solver.toStdString(), options);
    }

    MainWindow window;
};

TEST_F(StudioWorkflowTest, DesignSolveAndReadTheResult) {
    ASSERT_TRUE(open("zoo:mcunet"));
    PlanDocument* doc = window.document();
    ASSERT_NE(doc->network(), nullptr);

    // Plan: a preset, then int8, then two layers to full through the table's Mode cells.
    auto* preset = window.targetPanel()->findChild<QComboBox*>("presetCombo");
    const int tinytl = preset->findText("tinytl-lb");
    ASSERT_GE(tinytl, 0);
    preset->setCurrentIndex(tinytl);
    emit preset->activated(tinytl);
    auto* precision = window.targetPanel()->findChild<QComboBox*>("precisionCombo");
    precision->setCurrentIndex(1);
    emit precision->activated(1);
    EXPECT_EQ(doc->design().plan.precision, Precision::int8);

    auto* table = window.findChild<QTableView*>("planTable");
    ASSERT_NE(table, nullptr);
    QAbstractItemModel* model = table->model();
    // The last layer before the head: sparse, half of its output channels (as the editor commits).
    const int row = model->rowCount() - 2;
    ASSERT_GT(row, 2);
    const QString op = model->index(row, PlanTableModel::LayerColumn).data().toString();
    ASSERT_TRUE(model->setData(model->index(row, PlanTableModel::ModeColumn),
                               QVariant::fromValue(LayerPlan{UpdateMode::sparse, 0.5}),
                               Qt::EditRole));
    EXPECT_EQ(doc->design().plan.layer(op.toStdString()).mode, UpdateMode::sparse);
    EXPECT_TRUE(model->index(row, PlanTableModel::ModeColumn).data().toString().contains("50"));

    // The live totals beside the plan are the engine's, for the design as edited.
    {
        auto graph = derive_training_graph(*doc->network(), doc->design().plan);
        ASSERT_TRUE(graph.ok());
        const MemoryReport report = store_all_memory(*graph);
        const QString totals = window.targetPanel()->findChild<QLabel*>("planMemoryLabel")->text();
        EXPECT_TRUE(totals.contains(formatBytes(report.peak_bytes))) << totals.toStdString();
        EXPECT_TRUE(totals.contains(formatBytes(smallest_step_bytes(*graph))))
            << totals.toStdString();
        EXPECT_TRUE(totals.contains(formatCount(report.trained_params))) << totals.toStdString();
    }

    chooseBoard("stm32h743");
    ASSERT_EQ(doc->design().deviceId, "stm32h743");
    typeBudgetKiB(1040);
    ASSERT_EQ(doc->design().budgetBytes, 1040 * 1024);

    ASSERT_TRUE(clickSolve());
    ResultsPanel* results = window.results();
    ASSERT_NE(results->outcome(), nullptr);
    const PlanSolution& shown = results->outcome()->solution;
    const PlanSolution reference = referenceSolve();
    ASSERT_TRUE(reference.result.has_schedule()) << reference.result.message;
    ASSERT_EQ(shown.result.status, reference.result.status);
    const ScheduleReplay& replay = shown.result.replay;
    EXPECT_TRUE(replay.valid);
    EXPECT_EQ(replay.peak_ram_bytes, reference.result.replay.peak_ram_bytes);
    EXPECT_NEAR(replay.energy.total_j(), reference.result.energy_j, 1e-4 * reference.result.energy_j);
    EXPECT_LE(replay.peak_ram_bytes, 1040 * 1024);

    // The shown schedule, replayed by the Validator once more from scratch, gives the same.
    const ScheduleReplay again = replay_schedule(*results->outcome()->job.graph,
                                                 *results->outcome()->job.costs,
                                                 shown.result.schedule, {1040 * 1024, 0.0});
    EXPECT_TRUE(again.valid);
    EXPECT_EQ(again.peak_ram_bytes, replay.peak_ram_bytes);

    // Summary: status and the Validator's peak and energy, as the number formatter prints them.
    const QString status = results->summary()->statusText();
    EXPECT_TRUE(status.contains(shown.result.status == SolveStatus::optimal ? "ptimal" : "easible"))
        << status.toStdString();

    // Memory chart: per step, the stacked layers add up to the replay's RAM in use.
    MemoryChart* memory = results->memoryChart();
    ASSERT_EQ(memory->peakStep(), replay.peak_step);
    QVector<double> sum(static_cast<int>(replay.memory_by_step.size()), 0.0);
    for (int l = 0; l < MemoryChart::kLayerCount; ++l) {
        const QVector<double> v = memory->layerValues(static_cast<MemoryChart::Layer>(l));
        ASSERT_EQ(v.size(), sum.size());
        for (int i = 0; i < v.size(); ++i) sum[i] += v[i];
    }
    for (int i = 0; i < sum.size(); ++i)
        ASSERT_NEAR(sum[i] * 1024.0, static_cast<double>(replay.memory_by_step[i].total), 1.0)
            << "step " << i;
    EXPECT_DOUBLE_EQ(memory->budgetLine(), 1040.0);
    EXPECT_DOUBLE_EQ(memory->sramLine(), doc->device()->sram_bytes / 1024.0);

    // Schedule grid: the hover text of every step's acting cell names the schedule's step.
    ScheduleGrid* grid = results->scheduleGrid();
    for (size_t s = 0; s < shown.result.schedule.steps.size(); s += 97) {
        const Step& step = shown.result.schedule.steps[s];
        const QString tip = grid->toolTipAt(step.node, static_cast<int>(s));
        EXPECT_TRUE(tip.contains(QString::fromStdString(
            results->outcome()->job.graph->nodes[static_cast<size_t>(step.node)].name)))
            << tip.toStdString();
        EXPECT_TRUE(tip.contains(QString::fromUtf8(step_op_name(step.op)).replace('_', '-')) ||
                    tip.contains(QString::fromUtf8(step_op_name(step.op))))
            << tip.toStdString();
    }

    // Energy chart: the segments are the replay's breakdown; the floor is the store-all energy.
    EnergyChart* energy = results->energyChart();
    EXPECT_NEAR(energy->totalValue(), replay.energy.total_j() * 1e3, 1e-6);
    EXPECT_NEAR(energy->floorValue(), reference.floor_energy_j * 1e3, 1e-6);
    EXPECT_NEAR(energy->segmentValue(EnergyChart::Segment::page_out),
                replay.energy.page_out_j * 1e3, 1e-9);
    EXPECT_NEAR(energy->segmentValue(EnergyChart::Segment::recompute),
                replay.energy.recompute_j * 1e3, 1e-9);
}

TEST_F(StudioWorkflowTest, UndoAndRedoRestoreThePlan) {
    ASSERT_TRUE(open("zoo:mcunet"));
    PlanDocument* doc = window.document();
    const PlanDesign start = doc->design();
    auto* table = window.findChild<QTableView*>("planTable");
    table->selectRow(0);
    table->selectionModel()->select(table->model()->index(1, 0),
                                    QItemSelectionModel::Select | QItemSelectionModel::Rows);
    // Plan ▸ Set selected layers to ▸ Full.
    QAction* full = nullptr;
    for (QAction* a : window.findChildren<QAction*>())
        if (a->text() == "F&ull") full = a;
    ASSERT_NE(full, nullptr);
    EXPECT_EQ(full->shortcut(), QKeySequence(Qt::ALT | Qt::Key_4));
    full->trigger();
    const PlanDesign edited = doc->design();
    ASSERT_NE(edited, start);
    EXPECT_EQ(doc->undoStack()->count(), 1);
    EXPECT_TRUE(window.isWindowModified());

    doc->undoStack()->undo();
    EXPECT_EQ(doc->design(), start);
    EXPECT_FALSE(window.isWindowModified());
    const QString mode0 = table->model()->index(0, PlanTableModel::ModeColumn).data().toString();
    doc->undoStack()->redo();
    EXPECT_EQ(doc->design(), edited);
    EXPECT_NE(table->model()->index(0, PlanTableModel::ModeColumn).data().toString(), mode0);
}

TEST_F(StudioWorkflowTest, SaveThenOpenRoundTripsTheDesign) {
    ASSERT_TRUE(open("zoo:mcunet"));
    PlanDocument* doc = window.document();
    ASSERT_TRUE(doc->applyPreset("bias-only").isEmpty());
    ASSERT_TRUE(doc->setDevice("nrf52840").isEmpty());
    doc->setBudget(700 * 1024);
    doc->setDeadline(2.5);
    QTemporaryDir dir;
    const QString path = dir.filePath("design.tplan");
    ASSERT_TRUE(window.saveProject(path));
    EXPECT_FALSE(doc->isModified());
    EXPECT_EQ(window.projectPath(), path);

    MainWindow reopened;
    reopened.setInteractive(false);
    reopened.targetPanel()->setAutoSolve(false);
    QSignalSpy loaded(&reopened, &MainWindow::modelLoaded);
    reopened.openProject(path);
    ASSERT_TRUE(loaded.wait(kTimeoutMs));
    EXPECT_EQ(reopened.document()->design(), doc->design());
    EXPECT_EQ(reopened.currentSpec(), "zoo:mcunet");
    EXPECT_FALSE(reopened.document()->isModified());
    EXPECT_EQ(reopened.targetPanel()->budgetEditor()->budgetBytes(), 700 * 1024);
    EXPECT_EQ(reopened.targetPanel()->boardPicker()->currentDeviceId(), "nrf52840");
}

TEST_F(StudioWorkflowTest, OpeningABrokenProjectNamesItAndKeepsTheDesign) {
    ASSERT_TRUE(open("zoo:mcunet"));
    const PlanDesign before = window.document()->design();
    QTemporaryDir dir;
    const QString path = dir.filePath("broken.tplan");
    QFile f(path);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write("{ not json");
    f.close();
    QSignalSpy failed(&window, &MainWindow::loadFailed);
    window.openProject(path);
    ASSERT_TRUE(failed.wait(kTimeoutMs));
    EXPECT_TRUE(failed.first().first().toString().contains("broken.tplan"));
    EXPECT_EQ(window.document()->design(), before);
}

TEST_F(StudioWorkflowTest, CancelStopsALongSolveWithinASecond) {
    ASSERT_TRUE(open("zoo:mcunet"));
    PlanDocument* doc = window.document();
    ASSERT_TRUE(doc->applyPreset("full").isEmpty());
    ASSERT_TRUE(doc->setDevice("stm32f746").isEmpty());
    doc->setBudget(5 * 1024 * 1024);
    QSignalSpy progressed(window.solveController(), &SolveController::progressed);
    QSignalSpy done(&window, &MainWindow::solveFinished);
    QTest::mouseClick(window.findChild<QPushButton*>("solveButton"), Qt::LeftButton);
    ASSERT_TRUE(QTest::qWaitFor(
        [&] {
            for (const auto& args : progressed)
                if (args.at(1).value<SolveProgress>().phase == "branch and bound") return true;
            return false;
        },
        kTimeoutMs));
    QElapsedTimer clock;
    clock.start();
    QTest::mouseClick(window.findChild<QPushButton*>("cancelSolveButton"), Qt::LeftButton);
    ASSERT_TRUE(done.wait(5000));
    EXPECT_LT(clock.elapsed(), 1000);
    EXPECT_EQ(window.results()->outcome()->solution.result.status, SolveStatus::cancelled);
    EXPECT_TRUE(window.results()->summary()->statusText().contains("ancel"));
    EXPECT_TRUE(window.findChild<QPushButton*>("solveButton")->isEnabled());
}

TEST_F(StudioWorkflowTest, AnEditReSolvesAutomatically) {
    window.targetPanel()->setAutoSolve(true);
    QSignalSpy done(&window, &MainWindow::solveFinished);
    ASSERT_TRUE(open("zoo:mcunet"));
    ASSERT_TRUE(done.wait(kTimeoutMs));  // the new design solves by itself
    done.clear();
    window.document()->setBudget(window.document()->design().budgetBytes + 64 * 1024);
    ASSERT_TRUE(done.wait(kTimeoutMs));
    EXPECT_EQ(window.results()->outcome()->job.options.ram_budget_bytes,
              window.document()->design().budgetBytes);
}

TEST_F(StudioWorkflowTest, TheExampleProjectOpensAsDesigned) {
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    window.openProject(TP_FIXTURES_DIR "/../../resources/examples/mcunet-tinytl-h743.tplan");
    ASSERT_TRUE(loaded.wait(kTimeoutMs));
    const PlanDesign& d = window.document()->design();
    EXPECT_EQ(d.deviceId, "stm32h743");
    EXPECT_EQ(d.budgetBytes, 1010 * 1024);
    EXPECT_EQ(d.plan.precision, Precision::int8);
    auto preset = make_preset(*window.network(), "tinytl-lb");
    ASSERT_TRUE(preset.ok());
    EXPECT_EQ(d.plan.layers, preset->layers);
    EXPECT_EQ(d.plan.adapters, preset->adapters);
}

TEST_F(StudioWorkflowTest, CompareFillsEveryBoardAndBudgetAsSolvesFinish) {
    ASSERT_TRUE(open("zoo:mcunet"));
    PlanDocument* doc = window.document();
    ASSERT_TRUE(doc->applyPreset("bias-only").isEmpty());
    doc->setSolver("recompute-only");  // quick and exact: the comparison's plumbing is the point
    QSignalSpy finished(&window, &MainWindow::compareFinished);
    QTest::mouseClick(window.findChild<QPushButton*>("compareButton"), Qt::LeftButton);
    ASSERT_TRUE(finished.wait(10 * kTimeoutMs));
    CompareView* compare = window.results()->compareView();
    const QStringList boards = compare->boards();
    EXPECT_EQ(boards.size(), static_cast<int>(doc->deviceLibrary().devices.size()));
    ASSERT_FALSE(compare->budgets().isEmpty());
    auto graph = derive_training_graph(*doc->network(), doc->design().plan);
    ASSERT_TRUE(graph.ok());
    // Every cell is decided, and a sample of them equals a direct solve of that board and budget.
    for (const QString& board : boards)
        for (qint64 budget : compare->budgets())
            EXPECT_NE(compare->point(board, budget).status, "pending")
                << board.toStdString() << " " << budget;
    const qint64 budget = compare->budgets().back();
    const Device* f746 = doc->deviceLibrary().find("stm32f746");
    ASSERT_NE(f746, nullptr);
    auto costs = build_cost_model(*graph, *f746);
    ASSERT_TRUE(costs.ok());
    SolveOptions options;
    options.ram_budget_bytes = budget;
    const PlanSolution direct = solve_plan(*graph, *costs, "recompute-only", options);
    const CompareCell cell = compare->point("stm32f746", budget);
    EXPECT_EQ(cell.status.toStdString(), solve_status_name(direct.result.status));
    EXPECT_NEAR(cell.energy_j, direct.result.energy_j, 1e-6 * direct.result.energy_j);
}

// Writes the README screenshots when TP_SCREENSHOT names a PNG path (CTest's studio_screenshot
// runs this under xvfb-run; scripts/screenshot.sh copies the images into docs/).
TEST_F(StudioWorkflowTest, SavesScreenshotOfASolvedPlan) {
    const QString path = qEnvironmentVariable("TP_SCREENSHOT");
    if (path.isEmpty()) GTEST_SKIP() << "set TP_SCREENSHOT=path.png to write a screenshot";
    window.resize(1600, 1000);
    window.show();
    ASSERT_TRUE(open("zoo:mcunet"));
    PlanDocument* doc = window.document();
    ASSERT_TRUE(doc->applyPreset("tinytl-lb").isEmpty());
    PlanDesign design = doc->design();
    design.plan.precision = Precision::int8;
    doc->edit("int8", design);
    ASSERT_TRUE(doc->setDevice("stm32h743").isEmpty());
    doc->setBudget(1010 * 1024);  // under the H743's 1 MiB SRAM: pages and recomputes
    ASSERT_TRUE(clickSolve());
    auto* table = window.findChild<QTableView*>("planTable");
    table->selectRow(table->model()->rowCount() - 1);
    window.results()->setCurrentTab(ResultsPanel::MemoryTab);
    QTest::qWait(500);  // let the layout settle
    EXPECT_TRUE(window.grab().save(path));
    window.results()->setCurrentTab(ResultsPanel::ScheduleTab);
    // Zoomed in on the first page-out, where the schedule departs from store-all.
    ScheduleGrid* grid = window.results()->scheduleGrid();
    grid->setZoom(2.0);
    QTest::qWait(100);
    const auto& steps = window.results()->outcome()->solution.result.schedule.steps;
    for (size_t s = 0; s < steps.size(); ++s) {
        if (steps[s].op != StepOp::page_out) continue;
        const QRect cell = grid->cellRect(steps[s].node, static_cast<int>(s));
        grid->horizontalScrollBar()->setValue(grid->horizontalScrollBar()->value() + cell.x() -
                                              grid->viewport()->width() / 3);
        grid->verticalScrollBar()->setValue(grid->verticalScrollBar()->value() + cell.y() -
                                            grid->viewport()->height() / 3);
        break;
    }
    QTest::qWait(300);
    QString gridPath = path;
    gridPath.replace(QLatin1String(".png"), QLatin1String("-schedule.png"));
    EXPECT_TRUE(window.results()->grab().save(gridPath));
}

}  // namespace
}  // namespace tp
