// CompareController: solves one plan for boards × budgets on every core, off the GUI thread,
// and hands back each cell as it finishes, so the Compare view fills in progressively. A new
// run cancels the previous one; cells of a cancelled run are dropped.
#pragma once

#include <QObject>
#include <QStringList>
#include <QThreadPool>
#include <QTimer>
#include <QVector>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/device.h"
#include "solver/plan_solution.h"

namespace tp {

struct CompareRequest {
    std::shared_ptr<const TrainingGraph> graph;
    std::vector<Device> boards;
    QVector<qint64> budgets;
    std::string solver = "milp";
    SolveOptions options;  // budget, cancel and progress are set per cell
};

struct CompareResult {
    QString board;  // device id
    qint64 budgetBytes = 0;
    PlanSolution solution;
    QString problem;  // set when the board's cost model could not be built
};

// `count` budgets evenly from `from` to `to` (both included), rounded to whole KiB.
QVector<qint64> compare_budgets(qint64 from, qint64 to, int count);

class CompareController : public QObject {
    Q_OBJECT

  public:
    explicit CompareController(QObject* parent = nullptr);
    ~CompareController() override;  // cancels and waits for the workers

    void run(const CompareRequest& request);
    void cancel();
    bool isRunning() const { return remaining_ > 0; }
    int remaining() const { return remaining_; }

  signals:
    void cellFinished(const tp::CompareResult& result);
    void allFinished(bool cancelled);

  private:
    struct Shared;
    void poll();

    QThreadPool pool_;
    QTimer poller_;
    std::shared_ptr<Shared> shared_;
    int remaining_ = 0;
};

}  // namespace tp
