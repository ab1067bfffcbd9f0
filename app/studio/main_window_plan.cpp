// MainWindow, part two: plan edits from menus, and solving and comparing the design.
#include <QAction>
#include <QInputDialog>
#include <QMenu>
#include <QSettings>
#include <QStatusBar>
#include <QTableView>

#include "app/studio/main_window.h"
#include "app/studio/main_window_keys.h"
#include "app/studio/results_panel.h"
#include "app/studio/target_panel.h"
#include "views/plan_table_model.h"

namespace tp {

using namespace studio_keys;

namespace {
constexpr int kAutoSolveDelayMs = 400;  // quiet time after an edit before re-solving
constexpr int kCompareBudgets = 8;
constexpr double kCompareTimeLimitS = 10.0;  // per cell: a comparison wants breadth
}  // namespace

void MainWindow::createPlanMenu(QMenu* plan) {
    QMenu* presets = plan->addMenu(tr("Apply &preset"));
    for (const std::string& name : preset_names()) {
        const QString preset = QString::fromStdString(name);
        presets->addAction(preset, this, [this, preset] {
            const QString problem = doc_->applyPreset(preset);
            if (!problem.isEmpty())
                reportProblem(tr("Cannot apply preset"), problem);
            else
                QSettings().setValue(kLastPresetKey, preset);
        });
    }

    QMenu* mode = plan->addMenu(tr("Set &selected layers to"));
    const struct {
        UpdateMode mode;
        QString text;
        QKeySequence key;
    } modes[] = {{UpdateMode::frozen, tr("&Frozen"), QKeySequence(Qt::ALT | Qt::Key_1)},
                 {UpdateMode::bias_only, tr("&Bias only"), QKeySequence(Qt::ALT | Qt::Key_2)},
                 {UpdateMode::sparse, tr("&Sparse…"), QKeySequence(Qt::ALT | Qt::Key_3)},
                 {UpdateMode::full, tr("F&ull"), QKeySequence(Qt::ALT | Qt::Key_4)}};
    for (const auto& m : modes) {
        QAction* a = mode->addAction(m.text, this, [this, m = m.mode] { applyModeToSelection(m); });
        a->setShortcut(m.key);
        planTable_->addAction(a);  // the table's context menu offers the same
    }

    plan->addSeparator();
    QAction* solveAction = plan->addAction(tr("&Solve"), this, &MainWindow::solve);
    solveAction->setShortcut(QKeySequence(Qt::Key_F5));
    QAction* cancel = plan->addAction(tr("&Cancel solve"), this, &MainWindow::cancelSolve);
    cancel->setShortcut(QKeySequence(Qt::Key_Escape));
    QAction* compare = plan->addAction(tr("C&ompare boards"), this, &MainWindow::compareBoards);
    compare->setShortcut(QKeySequence(Qt::Key_F6));
}

void MainWindow::applyModeToSelection(UpdateMode mode) {
    const QModelIndexList rows = planTable_->selectionModel()->selectedRows();
    if (rows.isEmpty()) {
        statusBar()->showMessage(tr("Select layers in the Training plan table first"), 5000);
        return;
    }
    LayerPlan layer{mode, 1.0};
    if (mode == UpdateMode::sparse) {
        bool ok = false;
        const double percent = interactive_
                                   ? QInputDialog::getDouble(
                                         this, tr("Sparse update"),
                                         tr("Share of output channels whose weights train (%):"),
                                         25.0, 1.0, 100.0, 1, &ok)
                                   : 25.0;
        if (interactive_ && !ok) return;
        layer.channel_fraction = percent / 100.0;
    }
    planModel_->requestMode(rows, layer);
}

SolveJob MainWindow::currentJob() const {
    const DerivedPlan& derived = doc_->derived();
    const PlanDesign& d = doc_->design();
    SolveJob job;
    job.graph = derived.graph;
    job.costs = derived.costs;
    job.solver = d.solver.toStdString();
    job.options.ram_budget_bytes = d.budgetBytes;
    job.options.deadline_s = d.deadlineSeconds;
    return job;
}

void MainWindow::onDesignChanged() {
    const DerivedPlan& derived = doc_->derived();
    if (derived.memory) planModel_->setPlan(doc_->design().plan, *derived.memory);
    updateTitle();
    if (const Device* board = doc_->device())
        QSettings().setValue(kLastBoardKey, QString::fromStdString(board->id));
    if (!doc_->network()) return;
    // The shown result no longer matches the design: say so, and re-solve if asked to.
    if (results_->outcome()) results_->showStale();
    if (target_->autoSolve() && derived.graph && derived.costs) {
        solver_->solve(currentJob(), kAutoSolveDelayMs);
        target_->setSolving(true);
    } else if (!derived.problem.isEmpty()) {
        statusBar()->showMessage(derived.problem, 10000);
    }
}

void MainWindow::solve() {
    const DerivedPlan& derived = doc_->derived();
    if (!derived.graph || !derived.costs) {
        reportProblem(tr("Cannot solve"), derived.problem.isEmpty()
                                              ? tr("Open a network first (File ▸ New from zoo)")
                                              : derived.problem);
        return;
    }
    solver_->solve(currentJob());
    target_->setSolving(true);
    statusBar()->showMessage(tr("Solving…"));
}

void MainWindow::cancelSolve() {
    if (loading_) cancelLoad();  // Esc stops whatever runs
    if (solver_->isBusy()) {
        solver_->cancel();
        statusBar()->showMessage(tr("Cancelling the solve…"), 3000);
    }
    if (comparer_->isRunning()) comparer_->cancel();
}

void MainWindow::onSolveFinished(std::shared_ptr<const SolveOutcome> outcome) {
    target_->setSolving(solver_->isBusy());
    const Device* board = doc_->device();
    results_->showOutcome(outcome, board ? board->sram_bytes : 0);
    const SolveResult& r = outcome->solution.result;
    statusBar()->showMessage(tr("%1: %2 in %3 s")
                                 .arg(QString::fromStdString(r.solver),
                                      QString::fromUtf8(solve_status_name(r.status)))
                                 .arg(r.solve_time_s, 0, 'f', 2),
                             8000);
    emit solveFinished();
}

void MainWindow::compareBoards() {
    const DerivedPlan& derived = doc_->derived();
    if (!derived.graph) {
        reportProblem(tr("Cannot compare"), derived.problem.isEmpty()
                                                ? tr("Open a network first")
                                                : derived.problem);
        return;
    }
    CompareRequest request;
    request.graph = derived.graph;
    request.boards = doc_->deviceLibrary().devices;
    // From the plan's smallest feasible budget to its store-all peak: below nothing fits, above
    // more RAM buys nothing.
    const qint64 smallest = smallest_step_bytes(*derived.graph);
    const qint64 peak = derived.memory ? derived.memory->peak_bytes : smallest;
    request.budgets = compare_budgets(smallest, std::max(smallest, peak), kCompareBudgets);
    request.solver = doc_->design().solver.toStdString();
    request.options.deadline_s = doc_->design().deadlineSeconds;
    request.options.time_limit_s = kCompareTimeLimitS;
    QStringList boards;
    for (const Device& d : request.boards) boards << QString::fromStdString(d.id);
    results_->resetCompare(boards, request.budgets);
    results_->setCurrentTab(ResultsPanel::CompareTab);
    comparer_->run(request);
    statusBar()->showMessage(
        tr("Comparing %1 boards × %2 budgets…").arg(boards.size()).arg(request.budgets.size()));
}

}  // namespace tp
