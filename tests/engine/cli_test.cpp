// The `trainplan` CLI contract: JSON keys other tools rely on, exit codes, one-line errors.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_runner.h"
#include "engine/memory_report.h"
#include "engine/model_loader.h"

namespace tp {
namespace {

using testing::CliRun;

CliRun trainplan(const std::string& args, bool with_stderr = true) {
    return testing::run_trainplan(args, with_stderr);
}

TEST(Cli, InspectJsonGivesTheParameterCount) {
    CliRun r = trainplan("inspect zoo:resnet18 --json");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.at("params").get<int64_t>(), 11689512);  // torchvision's resnet18
    EXPECT_TRUE(j.at("params").is_number_integer());
    EXPECT_EQ(j.at("layers").size(), load_model("zoo:resnet18")->ops.size());
}

TEST(Cli, MemoryJsonHasTheStableKeysAsIntegers) {
    CliRun r = trainplan("memory zoo:mcunet --plan sparse --batch 1 --json");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    auto j = nlohmann::json::parse(r.out);
    for (const char* key :
         {"peak_bytes", "saved_activation_bytes", "trained_param_bytes", "optimizer_state_bytes",
          "gradient_bytes", "transient_bytes", "flash_bytes"}) {
        ASSERT_TRUE(j.contains(key)) << key;
        EXPECT_TRUE(j.at(key).is_number_integer()) << key;
    }
    EXPECT_EQ(j["peak_bytes"].get<int64_t>(),
              j["trained_param_bytes"].get<int64_t>() + j["optimizer_state_bytes"].get<int64_t>() +
                  j["saved_activation_bytes"].get<int64_t>() + j["gradient_bytes"].get<int64_t>() +
                  j["transient_bytes"].get<int64_t>());
    // The CLI reports what the engine computes for the same plan.
    auto net = load_model("zoo:mcunet");
    auto g = derive_training_graph(*net, *make_preset(*net, "sparse"));
    EXPECT_EQ(j["peak_bytes"].get<int64_t>(), store_all_memory(*g).peak_bytes);
}

TEST(Cli, PlanFileOverridesPresetPerLayer) {
    std::string path = ::testing::TempDir() + "plan-" + std::to_string(::getpid()) + ".json";
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(
        R"({"preset": "last-layer", "optimizer": "adam", "layers": {"layer4.1.conv2": {"mode": "sparse", "fraction": 0.25}}})",
        f);
    std::fclose(f);
    CliRun r = trainplan("memory zoo:resnet18 --plan " + path + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    auto j = nlohmann::json::parse(r.out);
    // fc (512x1000 + 1000) plus a quarter of layer4.1.conv2's 512 output channels (128 x 512 x 3 x
    // 3).
    int64_t trained = 513000 + 128LL * 512 * 9;
    EXPECT_EQ(j["trained_params"].get<int64_t>(), trained);
    EXPECT_EQ(j["optimizer_state_bytes"].get<int64_t>(), 2 * 4 * trained);
    std::remove(path.c_str());
}

TEST(Cli, ExamplePlanFileLoads) {
    std::string plan =
        std::string(TP_FIXTURES_DIR) + "/../../resources/examples/mcunet-vww-sparse.plan.json";
    CliRun r = trainplan("memory zoo:mcunet --plan " + plan + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["precision"], "int8");
    // The 2-class head trains fully: 160 x 2 int8 weights + 2 int32 biases, plus the rest.
    bool head = false;
    for (const auto& l : j["layers"])
        if (l["name"] == "classifier")
            head = l["trained_param_bytes"].get<int64_t>() == 160 * 2 + 2 * 4;
    EXPECT_TRUE(head);
}

TEST(Cli, ErrorsAreOneLineAndNonZero) {
    for (const char* args :
         {"memory /no/such/model.onnx", "memory zoo:nonet", "memory zoo:mcunet --plan everything",
          "inspect", "memory zoo:mcunet --batch many", "frobnicate"}) {
        CliRun r = trainplan(args);
        EXPECT_NE(r.exit_code, 0) << args;
        EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << args << ": " << r.out;
        EXPECT_NE(r.out.find("error"), std::string::npos) << args;
    }
    EXPECT_NE(trainplan("memory zoo:nonet").out.find("mcunet"),
              std::string::npos);  // names the valid ids
}

TEST(Cli, ZooListsEveryBuiltInModel) {
    CliRun r = trainplan("zoo");
    ASSERT_EQ(r.exit_code, 0);
    for (const char* id :
         {"mcunet", "mobilenetv2-w0.35", "proxylessnas-w0.3", "resnet18", "bert-tiny"})
        EXPECT_NE(r.out.find(id), std::string::npos) << id;
}

}  // namespace
}  // namespace tp
