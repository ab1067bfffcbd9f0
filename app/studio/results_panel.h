// ResultsPanel: what a solve means, every number from the Validator's replay of the schedule —
// the summary on top, and the Memory, Schedule, Energy and Compare tabs below.
#pragma once

#include <QWidget>
#include <memory>

#include "app/studio/compare_controller.h"
#include "app/studio/solve_controller.h"

class QTabWidget;

namespace tp {

class CompareView;
class EnergyChart;
class MemoryChart;
class ScheduleGrid;
class SolveSummary;

class ResultsPanel : public QWidget {
    Q_OBJECT

  public:
    enum Tab { MemoryTab, ScheduleTab, EnergyTab, CompareTab };

    explicit ResultsPanel(QWidget* parent = nullptr);

    // Shows a finished solve; `sram_bytes` marks the board's SRAM in the summary and chart.
    void showOutcome(std::shared_ptr<const SolveOutcome> outcome, qint64 sram_bytes);
    void showSolving(const SolveProgress& progress);
    void showStale();  // the design changed since the shown result
    void clear();
    const std::shared_ptr<const SolveOutcome>& outcome() const { return outcome_; }

    // Compare: starts a fresh table and fills it as cells finish.
    void resetCompare(const QStringList& boards, const QVector<qint64>& budgets);
    void addCompareResult(const CompareResult& result);

    // The chart on the current tab, for File ▸ Export chart.
    QWidget* currentChart() const;
    QString currentChartName() const;
    void setCurrentTab(Tab tab);

    SolveSummary* summary() const { return summary_; }
    MemoryChart* memoryChart() const { return memory_; }
    ScheduleGrid* scheduleGrid() const { return grid_; }
    EnergyChart* energyChart() const { return energy_; }
    CompareView* compareView() const { return compare_; }

  private:
    SolveSummary* summary_;
    QTabWidget* tabs_;
    MemoryChart* memory_;
    ScheduleGrid* grid_;
    EnergyChart* energy_;
    CompareView* compare_;
    std::shared_ptr<const SolveOutcome> outcome_;
};

}  // namespace tp
