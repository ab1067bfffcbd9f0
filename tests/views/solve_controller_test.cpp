// The studio's background solves: results equal a direct engine solve, a new request
// supersedes the running one, Cancel stops a long solve within a second, and compare cells
// arrive one by one and match direct solves.
#include "app/studio/solve_controller.h"

#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include "app/studio/compare_controller.h"
#include "engine/zoo/zoo.h"

namespace tp {
namespace {

struct Fixture {
    std::shared_ptr<const TrainingGraph> graph;
    std::shared_ptr<const CostModel> costs;
    Device device;
};

Fixture make_fixture(const std::string& model, const std::string& preset,
                     const std::string& board) {
    Fixture f;
    auto net = build_zoo_model(model);
    EXPECT_TRUE(net.ok());
    auto plan = make_preset(*net, preset);
    EXPECT_TRUE(plan.ok());
    auto graph = derive_training_graph(*net, *plan);
    EXPECT_TRUE(graph.ok());
    f.graph = std::make_shared<const TrainingGraph>(std::move(graph).value());
    const DeviceLibrary lib = load_device_library(default_device_dirs());
    const Device* d = lib.find(board);
    EXPECT_NE(d, nullptr);
    f.device = *d;
    auto costs = build_cost_model(*f.graph, f.device);
    EXPECT_TRUE(costs.ok());
    f.costs = std::make_shared<const CostModel>(std::move(costs).value());
    return f;
}

std::shared_ptr<const SolveOutcome> wait_finished(QSignalSpy& spy, int timeoutMs) {
    if (spy.isEmpty() && !spy.wait(timeoutMs)) return nullptr;
    return spy.first().first().value<std::shared_ptr<const SolveOutcome>>();
}

TEST(SolveControllerTest, ResultEqualsADirectSolve) {
    Fixture f = make_fixture("mcunet", "last-layer", "stm32f746");
    SolveJob job{f.graph, f.costs, "milp", {}};
    job.options.ram_budget_bytes = 2 * 1024 * 1024;
    job.options.time_limit_s = 30;
    SolveController controller;
    QSignalSpy finished(&controller, &SolveController::finished);
    controller.solve(job);
    EXPECT_TRUE(controller.isBusy());
    auto outcome = wait_finished(finished, 60000);
    ASSERT_NE(outcome, nullptr);
    EXPECT_FALSE(controller.isBusy());

    const PlanSolution direct = solve_plan(*f.graph, *f.costs, "milp", job.options);
    EXPECT_EQ(outcome->solution.result.status, direct.result.status);
    EXPECT_EQ(outcome->solution.result.replay.peak_ram_bytes, direct.result.replay.peak_ram_bytes);
    EXPECT_NEAR(outcome->solution.result.energy_j, direct.result.energy_j,
                1e-4 * direct.result.energy_j);
    EXPECT_DOUBLE_EQ(outcome->solution.floor_energy_j, direct.floor_energy_j);
    EXPECT_TRUE(outcome->solution.result.replay.valid);
}

TEST(SolveControllerTest, ANewRequestSupersedesTheRunningOne) {
    Fixture f = make_fixture("mcunet", "last-layer", "stm32f746");
    SolveJob job{f.graph, f.costs, "milp", {}};
    job.options.ram_budget_bytes = 2 * 1024 * 1024;
    SolveController controller;
    QSignalSpy finished(&controller, &SolveController::finished);
    controller.solve(job);
    job.options.ram_budget_bytes = 3 * 1024 * 1024;
    const quint64 second = controller.solve(job);
    auto outcome = wait_finished(finished, 60000);
    ASSERT_NE(outcome, nullptr);
    EXPECT_EQ(outcome->serial, second);
    EXPECT_EQ(outcome->job.options.ram_budget_bytes, 3 * 1024 * 1024);
    QTest::qWait(200);
    EXPECT_EQ(finished.size(), 1) << "the superseded solve's result must be dropped";
}

TEST(SolveControllerTest, DebouncedRequestsStartOnceAfterTheQuietPeriod) {
    Fixture f = make_fixture("mcunet", "last-layer", "stm32f746");
    SolveJob job{f.graph, f.costs, "store-all", {}};
    SolveController controller;
    QSignalSpy started(&controller, &SolveController::started);
    QSignalSpy finished(&controller, &SolveController::finished);
    for (int i = 0; i < 5; ++i) controller.solve(job, 100);
    EXPECT_TRUE(started.isEmpty());
    ASSERT_NE(wait_finished(finished, 20000), nullptr);
    EXPECT_EQ(started.size(), 1);
}

TEST(SolveControllerTest, CancelStopsALongSolveWithinASecond) {
    // Full training of MCUNet at a budget that forces paging keeps GLPK branching for minutes.
    Fixture f = make_fixture("mcunet", "full", "stm32f746");
    SolveJob job{f.graph, f.costs, "milp", {}};
    job.options.ram_budget_bytes = 5 * 1024 * 1024;
    job.options.time_limit_s = 600;
    SolveController controller;
    QSignalSpy finished(&controller, &SolveController::finished);
    QSignalSpy progressed(&controller, &SolveController::progressed);
    controller.solve(job);
    // Wait until branch and bound is under way, then cancel.
    ASSERT_TRUE(QTest::qWaitFor(
        [&] {
            for (const auto& args : progressed)
                if (args.at(1).value<SolveProgress>().phase == "branch and bound") return true;
            return false;
        },
        60000));
    QElapsedTimer clock;
    clock.start();
    controller.cancel();
    auto outcome = wait_finished(finished, 5000);
    const qint64 ms = clock.elapsed();
    ASSERT_NE(outcome, nullptr);
    EXPECT_LT(ms, 1000) << "cancel took " << ms << " ms";
    EXPECT_EQ(outcome->solution.result.status, SolveStatus::cancelled);
}

TEST(SolveControllerTest, CancelAnswersWithinASecondEvenBeforeBranchAndBound) {
    // ResNet-18 trained in full: GLPK spends seconds in its simplex phase, which has no callback.
    Fixture f = make_fixture("resnet18", "full", "rpi4");
    SolveJob job{f.graph, f.costs, "milp", {}};
    job.options.ram_budget_bytes = smallest_step_bytes(*f.graph) + 1024 * 1024;
    job.options.time_limit_s = 600;
    SolveController controller;
    QSignalSpy finished(&controller, &SolveController::finished);
    controller.solve(job);
    QTest::qWait(200);
    ASSERT_TRUE(finished.isEmpty()) << "the solve ended before the cancel; pick a harder case";
    QElapsedTimer clock;
    clock.start();
    controller.cancel();
    auto outcome = wait_finished(finished, 5000);
    ASSERT_NE(outcome, nullptr);
    EXPECT_LT(clock.elapsed(), 1000);
    EXPECT_EQ(outcome->solution.result.status, SolveStatus::cancelled);
    EXPECT_FALSE(controller.isBusy());
}

TEST(CompareControllerTest, CellsArriveOneByOneAndEqualDirectSolves) {
    Fixture f = make_fixture("mcunet", "last-layer", "stm32f746");
    const DeviceLibrary lib = load_device_library(default_device_dirs());
    CompareRequest request;
    request.graph = f.graph;
    request.boards = {*lib.find("stm32f746"), *lib.find("nrf52840")};
    request.budgets = compare_budgets(1700 * 1024, 3000 * 1024, 3);
    ASSERT_EQ(request.budgets.size(), 3);
    request.solver = "milp";
    request.options.time_limit_s = 30;
    CompareController controller;
    QSignalSpy cells(&controller, &CompareController::cellFinished);
    QSignalSpy all(&controller, &CompareController::allFinished);
    controller.run(request);
    EXPECT_TRUE(controller.isRunning());
    ASSERT_TRUE(all.wait(120000));
    EXPECT_FALSE(all.first().first().toBool());
    ASSERT_EQ(cells.size(), 6);
    for (const auto& args : cells) {
        const auto r = args.first().value<CompareResult>();
        const Device* board = lib.find(r.board.toStdString());
        ASSERT_NE(board, nullptr);
        auto costs = build_cost_model(*f.graph, *board);
        ASSERT_TRUE(costs.ok());
        SolveOptions options = request.options;
        options.ram_budget_bytes = r.budgetBytes;
        const PlanSolution direct = solve_plan(*f.graph, *costs, "milp", options);
        EXPECT_EQ(r.solution.result.status, direct.result.status) << r.board.toStdString();
        EXPECT_NEAR(r.solution.result.energy_j, direct.result.energy_j,
                    1e-4 * std::max(1e-9, direct.result.energy_j));
    }
}

TEST(CompareControllerTest, BudgetsSpanTheRangeInWholeKiB) {
    const QVector<qint64> b = compare_budgets(1000, 10 * 1024, 4);
    ASSERT_EQ(b.size(), 4);
    EXPECT_EQ(b.front(), 1000);
    EXPECT_EQ(b.back(), 10 * 1024);
    for (int i = 1; i < b.size(); ++i) {
        EXPECT_GT(b[i], b[i - 1]);
        EXPECT_EQ(b[i] % 1024, 0);
    }
    EXPECT_TRUE(compare_budgets(10, 5, 3).isEmpty());
    EXPECT_EQ(compare_budgets(7, 7, 3), QVector<qint64>{7});
}

}  // namespace
}  // namespace tp
