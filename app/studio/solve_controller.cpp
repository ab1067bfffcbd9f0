#include "app/studio/solve_controller.h"

#include <QThread>
#include <algorithm>
#include <exception>

namespace tp {

namespace {
constexpr int kPollMs = 50;  // how soon progress and the result show after the worker has them
}

// One solve's state between its worker and the GUI thread.
struct SolveController::Shared {
    std::atomic<bool> cancel{false};
    std::mutex mutex;
    bool hasProgress = false;
    SolveProgress progress;
    std::shared_ptr<SolveOutcome> outcome;  // set once, when the worker ends
};

SolveController::SolveController(QObject* parent) : QObject(parent) {
    // The running solve plus workers still finishing after a cancel they could not honour yet.
    pool_.setMaxThreadCount(4);
    debounce_.setSingleShot(true);
    connect(&debounce_, &QTimer::timeout, this, &SolveController::start);
    poller_.setInterval(kPollMs);
    connect(&poller_, &QTimer::timeout, this, &SolveController::poll);
    cancelGrace_.setSingleShot(true);
    connect(&cancelGrace_, &QTimer::timeout, this, &SolveController::abandonRunning);
    qRegisterMetaType<tp::SolveProgress>("tp::SolveProgress");
    qRegisterMetaType<std::shared_ptr<const tp::SolveOutcome>>(
        "std::shared_ptr<const tp::SolveOutcome>");
}

SolveController::~SolveController() {
    if (shared_) shared_->cancel = true;
    pool_.waitForDone();
}

quint64 SolveController::solve(SolveJob job, int delayMs) {
    if (shared_) shared_->cancel = true;  // the running solve's result will be dropped
    shared_.reset();
    running_ = 0;
    pending_ = std::make_shared<SolveJob>(std::move(job));
    ++serial_;
    if (delayMs > 0)
        debounce_.start(delayMs);
    else {
        debounce_.stop();
        start();
    }
    return serial_;
}

void SolveController::cancel() {
    if (pending_) {
        debounce_.stop();
        pending_.reset();
        if (!running_) emit waitingCancelled(serial_);
    }
    if (shared_) {
        shared_->cancel = true;
        cancelGrace_.start(kCancelGraceMs);
    }
}

void SolveController::abandonRunning() {
    if (!shared_ || !runningJob_) return;
    poll();  // the worker may have just finished
    if (!shared_) return;
    auto outcome = std::make_shared<SolveOutcome>();
    outcome->serial = running_;
    outcome->job = *runningJob_;
    outcome->solution.options = runningJob_->options;
    outcome->solution.result.status = SolveStatus::cancelled;
    outcome->solution.result.solver = runningJob_->solver;
    outcome->solution.result.message =
        "cancelled before the solver found a schedule; it stops in the background";
    shared_.reset();  // its late result is dropped
    running_ = 0;
    poller_.stop();
    emit finished(outcome);
}

void SolveController::start() {
    if (!pending_) return;
    std::shared_ptr<SolveJob> job = std::move(pending_);
    pending_.reset();
    runningJob_ = job;
    cancelGrace_.stop();
    auto shared = std::make_shared<Shared>();
    shared_ = shared;
    running_ = serial_;
    const quint64 serial = serial_;
    pool_.start([job, shared, serial] {
        auto outcome = std::make_shared<SolveOutcome>();
        outcome->serial = serial;
        outcome->job = *job;
        SolveOptions options = job->options;
        options.threads = std::max(1, QThread::idealThreadCount());  // one search per core
        options.cancel = &shared->cancel;
        options.progress = [shared](const SolveProgress& p) {
            const std::lock_guard<std::mutex> lock(shared->mutex);
            shared->progress = p;
            shared->hasProgress = true;
        };
        try {
            outcome->solution = solve_plan(*job->graph, *job->costs, job->solver, options);
        } catch (const std::exception& e) {
            // A solver bug must come back as a message, never end the studio.
            outcome->solution.result.status = SolveStatus::error;
            outcome->solution.result.message = std::string("internal error: ") + e.what();
        }
        outcome->solution.options.cancel = nullptr;
        outcome->solution.options.progress = nullptr;
        outcome->job.options = outcome->solution.options;
        const std::lock_guard<std::mutex> lock(shared->mutex);
        shared->outcome = std::move(outcome);
    });
    poller_.start();
    emit started(serial);
}

void SolveController::poll() {
    if (!shared_) {
        poller_.stop();
        return;
    }
    std::shared_ptr<Shared> shared = shared_;
    std::shared_ptr<SolveOutcome> outcome;
    SolveProgress progress;
    bool hasProgress = false;
    {
        const std::lock_guard<std::mutex> lock(shared->mutex);
        outcome = shared->outcome;
        hasProgress = shared->hasProgress;
        progress = shared->progress;
        shared->hasProgress = false;
    }
    if (outcome) {
        cancelGrace_.stop();
        shared_.reset();
        running_ = 0;
        poller_.stop();
        emit finished(outcome);
        return;
    }
    if (hasProgress) emit progressed(running_, progress);
}

}  // namespace tp
