#include "app/studio/results_panel.h"

#include <QTabWidget>
#include <QVBoxLayout>

#include "views/compare_chart.h"
#include "views/energy_chart.h"
#include "views/memory_chart.h"
#include "views/schedule_grid.h"
#include "views/solve_summary.h"

namespace tp {

ResultsPanel::ResultsPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    summary_ = new SolveSummary(this);
    summary_->setObjectName(QStringLiteral("solveSummary"));
    layout->addWidget(summary_);

    tabs_ = new QTabWidget(this);
    tabs_->setObjectName(QStringLiteral("resultTabs"));
    tabs_->setDocumentMode(true);
    memory_ = new MemoryChart(tabs_);
    memory_->setObjectName(QStringLiteral("memoryChart"));
    grid_ = new ScheduleGrid(tabs_);
    grid_->setObjectName(QStringLiteral("scheduleGrid"));
    energy_ = new EnergyChart(tabs_);
    energy_->setObjectName(QStringLiteral("energyChart"));
    compare_ = new CompareView(tabs_);
    compare_->setObjectName(QStringLiteral("compareView"));
    tabs_->addTab(memory_, tr("Memory"));
    tabs_->addTab(grid_, tr("Schedule"));
    tabs_->addTab(energy_, tr("Energy"));
    tabs_->addTab(compare_, tr("Compare"));
    tabs_->setTabToolTip(MemoryTab, tr("RAM in use at every step of the schedule"));
    tabs_->setTabToolTip(ScheduleTab, tr("Which node each step computes, recomputes, pages out "
                                         "or in, and what stays resident (Ctrl+wheel zooms)"));
    tabs_->setTabToolTip(EnergyTab, tr("Energy of one training step by cause, with the "
                                       "store-all floor"));
    tabs_->setTabToolTip(CompareTab, tr("This plan on several boards and budgets"));
    layout->addWidget(tabs_, 1);
}

void ResultsPanel::showOutcome(std::shared_ptr<const SolveOutcome> outcome, qint64 sram_bytes) {
    outcome_ = std::move(outcome);
    if (!outcome_) {
        clear();
        return;
    }
    const PlanSolution& s = outcome_->solution;
    summary_->setSolution(s, sram_bytes);
    if (s.result.has_schedule()) {
        memory_->setReplay(s.result.replay, s.options.ram_budget_bytes, sram_bytes);
        grid_->setSchedule(*outcome_->job.graph, s.result.schedule);
        energy_->setEnergy(s.result.replay.energy, s.floor_energy_j);
    } else {
        memory_->clear();
        grid_->clear();
        energy_->clear();
    }
}

void ResultsPanel::showSolving(const SolveProgress& progress) { summary_->showSolving(progress); }

void ResultsPanel::showStale() { summary_->showStale(); }

void ResultsPanel::clear() {
    outcome_.reset();
    summary_->clear();
    memory_->clear();
    grid_->clear();
    energy_->clear();
}

void ResultsPanel::resetCompare(const QStringList& boards, const QVector<qint64>& budgets) {
    compare_->reset(boards, budgets);
}

void ResultsPanel::addCompareResult(const CompareResult& r) {
    CompareCell cell;
    const SolveResult& result = r.solution.result;
    cell.status = QString::fromUtf8(solve_status_name(result.status));
    if (result.has_schedule()) {
        cell.energy_j = result.energy_j;
        cell.time_s = result.replay.time_s;
        cell.peak_bytes = result.replay.peak_ram_bytes;
        cell.gap = result.gap;
    }
    compare_->setPoint(r.board, r.budgetBytes, cell);
}

QWidget* ResultsPanel::currentChart() const { return tabs_->currentWidget(); }

QString ResultsPanel::currentChartName() const {
    return tabs_->tabText(tabs_->currentIndex()).toLower();
}

void ResultsPanel::setCurrentTab(Tab tab) { tabs_->setCurrentIndex(tab); }

}  // namespace tp
