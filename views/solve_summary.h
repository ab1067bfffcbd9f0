// SolveSummary: what one solve gave, in a few lines — status (optimal, feasible with its gap,
// infeasible with the smallest feasible budget, cancelled, error), peak RAM against the budget
// and the board's SRAM (text and a bar), energy against the store-all floor, time against the
// deadline, the solver and its time, and how many recompute / page-out / page-in steps the
// schedule has. Every number is a PlanSolution's (the Validator's replay for the schedule);
// the summary picks and formats. While a solve runs it shows the solver's progress.
#pragma once

#include <QString>
#include <QWidget>

#include "solver/plan_solution.h"

class QLabel;
class QProgressBar;

namespace tp {

class PeakBar;

class SolveSummary : public QWidget {
    Q_OBJECT

  public:
    enum class State { empty, solved, solving, stale };

    explicit SolveSummary(QWidget* parent = nullptr);

    // Shows a finished solve on a board with `sram_bytes` of SRAM (0: unknown board).
    void setSolution(const PlanSolution& solution, qint64 sram_bytes);
    // A solve is running: a busy bar, the phase, the best energy so far and the proven gap. The
    // last solution's numbers stay, dimmed, until the new one arrives.
    void showSolving(const SolveProgress& progress);
    // The plan, board or limits changed since the shown solution: its numbers stay, dimmed.
    void showStale();
    void clear();  // no solution

    State state() const { return state_; }
    QString statusText() const;  // the status line as plain text, e.g. "Feasible · gap 1.20%"

  private:
    void setMetricsVisible(bool visible);
    void setDimmed(bool dimmed);
    void setStatus(const QColor& color, const QString& text, const QString& detail);

    State state_ = State::empty;
    bool hasSolution_ = false;
    QString solvedStatus_, solvedDetail_;
    QColor solvedColor_;

    QLabel* dot_ = nullptr;
    QLabel* status_ = nullptr;
    QLabel* detail_ = nullptr;
    QProgressBar* busy_ = nullptr;
    QList<QLabel*> captions_;
    QLabel* peak_ = nullptr;
    PeakBar* peakBar_ = nullptr;
    QLabel* energy_ = nullptr;
    QLabel* time_ = nullptr;
    QLabel* steps_ = nullptr;
    QLabel* solver_ = nullptr;
};

}  // namespace tp
