// SolveController: runs the studio's solve off the GUI thread. One solve at a time: a new
// request cancels the running one (its result is dropped) and starts at once, or after a
// debounce delay for automatic re-solves while the user is still editing. Progress and the
// result come back on the GUI thread through signals; the worker never touches a widget.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QThreadPool>
#include <QTimer>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "solver/plan_solution.h"

namespace tp {

// A snapshot of what to solve: shared, immutable, safe to hand to a worker.
struct SolveJob {
    std::shared_ptr<const TrainingGraph> graph;
    std::shared_ptr<const CostModel> costs;
    std::string solver = "milp";
    SolveOptions options;  // cancel and progress are set by the controller
};

// What a finished solve hands back.
struct SolveOutcome {
    quint64 serial = 0;
    SolveJob job;
    PlanSolution solution;
};

class SolveController : public QObject {
    Q_OBJECT

  public:
    explicit SolveController(QObject* parent = nullptr);
    ~SolveController() override;  // cancels the running solve and waits for its worker

    // Starts `job` now (delayMs = 0) or after `delayMs` of quiet: a request within the delay
    // replaces the waiting one. A running solve is cancelled either way. Returns the serial.
    quint64 solve(SolveJob job, int delayMs = 0);
    // Stops the running or waiting solve. The worker's cancelled result (with the best schedule
    // found so far, if any) arrives through finished(); a waiting request just ends. A worker
    // that cannot stop at once (GLPK's simplex phase has no callback) is let go after
    // kCancelGraceMs: finished() then reports the cancel without a schedule, and the worker
    // ends in the background.
    void cancel();
    static constexpr int kCancelGraceMs = 800;

    bool isBusy() const { return running_ != 0 || pending_ != nullptr; }
    quint64 currentSerial() const { return serial_; }

  signals:
    void started(quint64 serial);
    void progressed(quint64 serial, const tp::SolveProgress& progress);
    void finished(std::shared_ptr<const tp::SolveOutcome> outcome);
    void waitingCancelled(quint64 serial);  // a debounced request ended before it started

  private:
    struct Shared;  // state the worker writes and the GUI thread polls
    void start();
    void poll();
    void abandonRunning();

    QThreadPool pool_;
    QTimer debounce_;
    QTimer poller_;
    QTimer cancelGrace_;
    std::shared_ptr<SolveJob> pending_;
    std::shared_ptr<SolveJob> runningJob_;
    quint64 serial_ = 0;
    quint64 running_ = 0;  // serial of the running solve, 0 when none
    std::shared_ptr<Shared> shared_;
};

}  // namespace tp
