#include "app/studio/compare_controller.h"

#include <QThread>
#include <algorithm>
#include <cmath>
#include <exception>

#include "engine/cost_model.h"

namespace tp {

namespace {
constexpr int kPollMs = 50;
}

struct CompareController::Shared {
    std::atomic<bool> cancel{false};
    std::mutex mutex;
    std::vector<CompareResult> done;  // finished cells not yet handed to the GUI thread
};

QVector<qint64> compare_budgets(qint64 from, qint64 to, int count) {
    QVector<qint64> budgets;
    if (count <= 0 || to < from) return budgets;
    if (count == 1 || to == from) return {from};
    for (int i = 0; i < count; ++i) {
        const double t = static_cast<double>(i) / (count - 1);
        const double bytes = static_cast<double>(from) + t * static_cast<double>(to - from);
        // Whole KiB, never below the first point (it is usually the smallest feasible budget).
        qint64 rounded = static_cast<qint64>(std::ceil(bytes / 1024.0)) * 1024;
        if (i == 0) rounded = from;
        if (i == count - 1) rounded = std::max(rounded, to);
        if (budgets.isEmpty() || rounded > budgets.back()) budgets.push_back(rounded);
    }
    return budgets;
}

CompareController::CompareController(QObject* parent) : QObject(parent) {
    pool_.setMaxThreadCount(std::max(1, QThread::idealThreadCount()));
    poller_.setInterval(kPollMs);
    connect(&poller_, &QTimer::timeout, this, &CompareController::poll);
    qRegisterMetaType<tp::CompareResult>("tp::CompareResult");
}

CompareController::~CompareController() {
    if (shared_) shared_->cancel = true;
    pool_.clear();
    pool_.waitForDone();
}

void CompareController::run(const CompareRequest& request) {
    cancel();
    auto shared = std::make_shared<Shared>();
    shared_ = shared;
    remaining_ = 0;
    for (const Device& board : request.boards) {
        Result<CostModel> built = build_cost_model(*request.graph, board);
        const QString id = QString::fromStdString(board.id);
        if (!built) {
            // The board cannot price this plan: every budget of it reports why, at once.
            const QString why = QString::fromStdString(built.error().message);
            const std::lock_guard<std::mutex> lock(shared->mutex);
            for (qint64 budget : request.budgets) {
                CompareResult r{id, budget, {}, why};
                r.solution.result.status = SolveStatus::error;
                r.solution.result.message = why.toStdString();
                shared->done.push_back(std::move(r));
                ++remaining_;
            }
            continue;
        }
        auto costs = std::make_shared<const CostModel>(std::move(built).value());
        for (qint64 budget : request.budgets) {
            ++remaining_;
            pool_.start([shared, costs, graph = request.graph, solver = request.solver,
                         options = request.options, id, budget]() mutable {
                CompareResult r{id, budget, {}, {}};
                if (shared->cancel) {
                    r.solution.result.status = SolveStatus::cancelled;
                } else {
                    options.ram_budget_bytes = budget;
                    options.cancel = &shared->cancel;
                    options.progress = nullptr;
                    try {
                        r.solution = solve_plan(*graph, *costs, solver, options);
                    } catch (const std::exception& e) {
                        r.solution.result.status = SolveStatus::error;
                        r.solution.result.message = std::string("internal error: ") + e.what();
                    }
                    r.solution.options.cancel = nullptr;
                }
                const std::lock_guard<std::mutex> lock(shared->mutex);
                shared->done.push_back(std::move(r));
            });
        }
    }
    if (remaining_ > 0) poller_.start();
}

void CompareController::cancel() {
    if (!shared_) return;
    shared_->cancel = true;
    pool_.clear();  // cells not started yet never start
    shared_.reset();
    poller_.stop();
    const bool wasRunning = remaining_ > 0;
    remaining_ = 0;
    if (wasRunning) emit allFinished(true);
}

void CompareController::poll() {
    if (!shared_) return;
    std::vector<CompareResult> done;
    {
        const std::lock_guard<std::mutex> lock(shared_->mutex);
        done.swap(shared_->done);
    }
    for (CompareResult& r : done) {
        --remaining_;
        emit cellFinished(r);
    }
    if (remaining_ <= 0) {
        poller_.stop();
        shared_.reset();
        remaining_ = 0;
        emit allFinished(false);
    }
}

}  // namespace tp
