// `trainplan solve / compare / devices`: the schedule JSON is re-checked here by replaying its
// steps exactly as README "Schedule JSON" tells a stranger to, with no TrainPlan code.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "cli_runner.h"

namespace tp {
namespace {

using testing::CliRun;

CliRun run(const std::string& args, bool with_stderr = true) {
    return testing::run_trainplan(args, with_stderr);
}

TEST(CliSolve, ScheduleJsonReplaysByTheReadmeContract) {
    CliRun r = run("solve zoo:mcunet --plan full --device stm32f746 --budget 7M --json", false);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_TRUE(j.at("status") == "optimal" || j.at("status") == "feasible");
    const auto& nodes = j.at("nodes");
    std::set<int64_t> resident, computed;
    int64_t ram = j.at("persistent_bytes").get<int64_t>(), peak = ram;
    for (const auto& s : j.at("steps")) {
        const int64_t id = s.at("node").get<int64_t>();
        const auto& node = nodes.at(static_cast<size_t>(id));
        ASSERT_EQ(node.at("id").get<int64_t>(), id);
        const std::string op = s.at("op");
        if (op == "compute" || op == "recompute") {
            for (const auto& in : node.at("inputs"))
                ASSERT_TRUE(resident.count(in.get<int64_t>()))
                    << node.at("name") << " reads a missing input";
            for (const auto& a : node.at("after")) ASSERT_TRUE(computed.count(a.get<int64_t>()));
            ASSERT_EQ(op == "compute", computed.insert(id).second) << node.at("name");
            ASSERT_TRUE(resident.insert(id).second);
            ram += node.at("bytes").get<int64_t>();
            peak = std::max(peak, ram + node.at("workspace_bytes").get<int64_t>());
        } else if (op == "page_in") {
            ASSERT_TRUE(resident.insert(id).second);
            ram += node.at("bytes").get<int64_t>();
            peak = std::max(peak, ram);
        } else if (op == "free") {
            ASSERT_TRUE(resident.erase(id));
            ram -= node.at("bytes").get<int64_t>();
        } else {
            ASSERT_EQ(op, "page_out");
            ASSERT_TRUE(resident.count(id));
        }
    }
    EXPECT_EQ(computed.size(), nodes.size());
    EXPECT_TRUE(resident.empty());
    EXPECT_EQ(peak, j.at("peak_ram_bytes").get<int64_t>());
    EXPECT_LE(peak, j.at("budget_bytes").get<int64_t>());
    EXPECT_LT(j.at("store_all_peak_bytes").get<int64_t>() - 1, 9 * 1024 * 1024);
    EXPECT_GE(j.at("energy_j").get<double>(), j.at("floor_energy_j").get<double>());
    const auto& e = j.at("energy_breakdown_j");
    EXPECT_NEAR(e.at("compute").get<double>() + e.at("recompute").get<double>() +
                    e.at("page_in").get<double>() + e.at("page_out").get<double>() +
                    e.at("static").get<double>(),
                j.at("energy_j").get<double>(), 1e-9);
}

TEST(CliSolve, InfeasibleBudgetExitsNonZeroNamingTheSmallestFeasibleBudget) {
    CliRun r = run("solve zoo:mcunet --plan sparse --device stm32f746 --budget 64K");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("smallest feasible budget"), std::string::npos) << r.out;
}

TEST(CliSolve, BadArgumentsAreNamed) {
    EXPECT_NE(run("solve zoo:mcunet --device nosuchboard --budget 1M").out.find("nosuchboard"),
              std::string::npos);
    EXPECT_NE(run("solve zoo:mcunet --device stm32f746 --budget lots").out.find("lots"),
              std::string::npos);
    EXPECT_NE(
        run("solve zoo:mcunet --device stm32f746 --budget 1M --solver magic").out.find("magic"),
        std::string::npos);
    const CliRun threads = run("solve zoo:mcunet --device stm32f746 --budget 1M --threads 0");
    EXPECT_EQ(threads.exit_code, 1);
    EXPECT_NE(threads.out.find("--threads needs a whole number of 1 or more, got '0'"),
              std::string::npos)
        << threads.out;
}

// One MILP search per thread asked for (at most four), said in the JSON's solver_stats.
TEST(CliSolve, ThreadsAreTheSearchesOfTheSolve) {
    for (int threads : {1, 2}) {
        CliRun r =
            run("solve zoo:mcunet --plan full --device stm32f746 --budget 5M --time-limit 5 "
                "--json --threads " +
                    std::to_string(threads),
                false);
        ASSERT_EQ(r.exit_code, 0) << r.out;
        const auto j = nlohmann::json::parse(r.out);
        EXPECT_EQ(j.at("solver_stats").at("searches").get<int>(), threads);
        EXPECT_TRUE(j.at("valid").get<bool>());
    }
}

TEST(CliCompare, CsvHasOneRowPerBoardAndBudget) {
    CliRun r = run(
        "compare zoo:mcunet --plan sparse --devices stm32f746,nrf52840 --budgets 1M..3M:3 --csv",
        false);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1 + 2 * 3) << r.out;
    EXPECT_NE(r.out.find("nrf52840,3145728,optimal"), std::string::npos) << r.out;
}

// Without --time-limit a compare shares ~45 s among its cells: 45 × workers / cells, at least
// 1 s and at most the 60 s solve default; the choice is said on stderr, not in the CSV.
TEST(CliCompare, SharesAboutFortyFiveSecondsAmongItsCells) {
    auto limit_line = [](const std::string& args) {
        CliRun r = run("compare zoo:mcunet --plan sparse --devices stm32f746,nrf52840 " + args);
        EXPECT_EQ(r.exit_code, 0) << r.out;
        const auto at = r.out.find("compare: ");
        return at == std::string::npos ? std::string{}
                                       : r.out.substr(at, r.out.find('\n', at) - at);
    };
    EXPECT_EQ(limit_line("--budgets 2M,3M --jobs 2 --csv"),
              "compare: 4 cells on 2 workers, 22.5 s per cell at most (--time-limit S to change)");
    EXPECT_EQ(limit_line("--budgets 3M --jobs 1 --csv"),
              "compare: 2 cells on 1 workers, 22.5 s per cell at most (--time-limit S to change)");
    EXPECT_NE(limit_line("--budgets 1M..3M:30 --jobs 1 --csv").find(", 1.0 s per cell"),
              std::string::npos);
    EXPECT_EQ(limit_line("--budgets 3M --time-limit 5 --csv"), "");
}

TEST(CliDevices, ListsTheRequiredBoards) {
    CliRun r = run("devices --json", false);
    ASSERT_EQ(r.exit_code, 0);
    const auto j = nlohmann::json::parse(r.out);
    std::set<std::string> ids;
    for (const auto& d : j) ids.insert(d.at("id").get<std::string>());
    for (const char* id : {"mkr1000", "nrf52840", "stm32f746", "stm32h743", "esp32s3", "rp2040",
                           "rpi4", "jetson-tx2"})
        EXPECT_TRUE(ids.count(id)) << id;
}

}  // namespace
}  // namespace tp
