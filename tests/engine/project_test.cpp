// .tplan project files: round trips, the model reference (relative path + content hash), and
// every error a user can meet on opening, each naming the file and the way out.
#include "engine/project.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/model_loader.h"
#include "engine/sha256.h"

namespace tp {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

::testing::AssertionResult contains(const std::string& text, const std::string& part) {
    if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "\"" << text << "\" does not contain \"" << part << "\"";
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
}

const fs::path kFixtures = fs::path(TP_FIXTURES_DIR) / "onnx";

class ProjectTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() /
              ("tp_project_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override {
        std::error_code ec;
        fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(dir, ec);
    }

    // A project on the tiny CNN copied to `model_path`: "full" preset with one layer set to
    // sparse and one frozen, so the plan is not any preset.
    Project tinyProject(const fs::path& model_path) {
        fs::create_directories(model_path.parent_path());
        fs::copy_file(kFixtures / "tiny_cnn.onnx", model_path);
        auto net = load_model(model_path.string());
        EXPECT_TRUE(net.ok()) << net.error().message;
        network = *net;
        Project p;
        p.model = model_path.string();
        p.model_sha256 = *sha256_file_hex(model_path.string());
        p.plan = *make_preset(network, "full");
        const auto layers = trainable_layers(network);
        p.plan.layers[layers.front()] = {UpdateMode::sparse, 0.25};
        p.plan.layers.erase(layers[1]);  // frozen
        p.plan.optimizer = Optimizer::adam;
        p.device_id = "stm32f746-disco";
        p.ram_budget_bytes = 256 * 1024;
        p.deadline_s = 1.5;
        return p;
    }

    fs::path dir;
    Network network;
};

TEST_F(ProjectTest, ZooProjectRoundTripsEveryField) {
    auto net = load_model("zoo:mcunet");
    ASSERT_TRUE(net.ok()) << net.error().message;
    Project p;
    p.model = "zoo:mcunet";
    p.plan = *make_preset(*net, "tinytl-lb");
    p.plan.layers[trainable_layers(*net)[3]] = {UpdateMode::sparse, 0.125};
    p.plan.batch = 2;
    p.plan.precision = Precision::int8;
    p.plan.classes = 2;
    p.device_id = "nrf52840";
    p.ram_budget_bytes = 320 * 1024;
    p.deadline_s = 0.75;
    p.solver = "dp";
    p.time_limit_s = 12.5;
    p.recompute_depth = 2;
    p.allow_paging = false;
    p.allow_recompute = true;
    p.last_result =
        json{{"status", "optimal"}, {"energy_j", 0.0123456789}, {"steps", json::array()}};
    ASSERT_FALSE(p.plan.adapters.empty());

    const std::string path = (dir / "mcunet.tplan").string();
    auto saved = save_project(p, path);
    ASSERT_TRUE(saved.ok()) << saved.error().message;
    ProjectProblem problem = ProjectProblem::malformed;
    auto loaded = load_project(path, {}, &problem);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(problem, ProjectProblem::none);
    EXPECT_EQ(loaded->project, p);
    EXPECT_EQ(loaded->project.model_sha256, "");
    EXPECT_EQ(loaded->network, *net);
    EXPECT_FALSE(loaded->model_changed);
    EXPECT_TRUE(loaded->warnings.empty());
}

TEST_F(ProjectTest, SavedJsonHasTheDocumentedShape) {
    Project p = tinyProject(dir / "models" / "tiny.onnx");
    const json j = project_to_json(p, (dir / "a.tplan").string());
    EXPECT_EQ(j.at("format"), 1);
    EXPECT_EQ(j.at("model").at("path"), "models/tiny.onnx");
    EXPECT_EQ(j.at("model").at("sha256"),
              sha256_file_hex((dir / "models/tiny.onnx").string()).value());
    EXPECT_EQ(j.at("device"), "stm32f746-disco");
    EXPECT_EQ(j.at("ram_budget_bytes"), 262144);
    EXPECT_EQ(j.at("deadline_s"), 1.5);
    EXPECT_EQ(j.at("plan").at("from_preset"), "full");
    EXPECT_FALSE(j.at("plan").contains("preset"));  // a record, never re-applied
    EXPECT_EQ(j.at("plan").at("layers").at(trainable_layers(network).front()).at("fraction"), 0.25);
    EXPECT_EQ(j.at("solver").at("name"), "milp");
    EXPECT_EQ(j.at("solver").at("recompute_depth"), -1);
    EXPECT_FALSE(j.contains("last_result"));
}

TEST_F(ProjectTest, OnnxProjectRoundTripsAndKeepsFrozenLayersFrozen) {
    Project p = tinyProject(dir / "models" / "tiny.onnx");
    const std::string path = (dir / "tiny.tplan").string();
    ASSERT_TRUE(save_project(p, path).ok());
    auto loaded = load_project(path);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->project, p);
    // The "full" preset would train layer 1; the saved plan froze it and it stays frozen.
    EXPECT_EQ(loaded->project.plan.layer(trainable_layers(network)[1]).mode, UpdateMode::frozen);
}

TEST_F(ProjectTest, ModelBelowTheFolderFollowsWhenTheFolderMoves) {
    const fs::path folder = dir / "work";
    Project p = tinyProject(folder / "models" / "tiny.onnx");
    ASSERT_TRUE(save_project(p, (folder / "tiny.tplan").string()).ok());
    const json stored = json::parse(slurp(folder / "tiny.tplan"));
    EXPECT_EQ(stored.at("model").at("path"), "models/tiny.onnx");

    fs::rename(folder, dir / "moved");
    auto loaded = load_project((dir / "moved" / "tiny.tplan").string());
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->project.model, (dir / "moved" / "models" / "tiny.onnx").generic_string());
    EXPECT_EQ(loaded->project.model_sha256, p.model_sha256);
    EXPECT_EQ(loaded->project.plan, p.plan);
    EXPECT_EQ(loaded->network, network);
}

TEST_F(ProjectTest, ModelOutsideTheFolderIsStoredAbsolute) {
    Project p = tinyProject(dir / "models" / "tiny.onnx");
    fs::create_directories(dir / "projects");
    const json j = project_to_json(p, (dir / "projects" / "a.tplan").string());
    EXPECT_EQ(j.at("model").at("path"), (dir / "models" / "tiny.onnx").generic_string());
}

TEST_F(ProjectTest, SaveRecordsTheHashWhenMissing) {
    Project p = tinyProject(dir / "tiny.onnx");
    const std::string expected = p.model_sha256;
    p.model_sha256.clear();
    ASSERT_TRUE(save_project(p, (dir / "a.tplan").string()).ok());
    EXPECT_EQ(json::parse(slurp(dir / "a.tplan")).at("model").at("sha256"), expected);
}

TEST_F(ProjectTest, ZooModelsHaveNoContentHash) {
    EXPECT_EQ(model_content_hash("zoo:mcunet").value(), "");
    const std::string file = (kFixtures / "tiny_cnn.onnx").string();
    EXPECT_EQ(model_content_hash(file).value(), sha256_file_hex(file).value());
}

TEST_F(ProjectTest, MalformedJsonNamesTheFileAndTheJsonError) {
    const std::string path = (dir / "broken.tplan").string();
    write(path, "{\"format\": 1, \"model\": {\"zoo\": \"mcunet\"},\n");
    ProjectProblem problem{};
    auto loaded = load_project(path, {}, &problem);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(problem, ProjectProblem::malformed);
    EXPECT_TRUE(contains(loaded.error().message, path));
    EXPECT_TRUE(contains(loaded.error().message, "not valid JSON"));
    EXPECT_TRUE(contains(loaded.error().message, "line 2"));  // nlohmann's parse position
}

TEST_F(ProjectTest, NewerFormatSaysWhichVersionReadsIt) {
    const std::string path = (dir / "future.tplan").string();
    write(path, R"({"format": 2, "model": {"zoo": "mcunet"}, "plan": {}, "hologram": true})");
    ProjectProblem problem{};
    auto loaded = load_project(path, {}, &problem);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(problem, ProjectProblem::newer_format);
    EXPECT_TRUE(contains(loaded.error().message, path));
    EXPECT_TRUE(contains(loaded.error().message,
                         "written by a newer TrainPlan; format 2, this version reads 1"));
}

TEST_F(ProjectTest, FileWithoutFormatIsNotAProject) {
    const std::string path = (dir / "plan.json").string();
    write(path, R"({"preset": "full"})");
    auto loaded = load_project(path);
    ASSERT_FALSE(loaded.ok());
    EXPECT_TRUE(contains(loaded.error().message, "not a TrainPlan project"));
}

TEST_F(ProjectTest, MissingProjectFileIsUnreadable) {
    ProjectProblem problem{};
    const std::string path = (dir / "nope.tplan").string();
    auto loaded = load_project(path, {}, &problem);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(problem, ProjectProblem::unreadable);
    EXPECT_TRUE(contains(loaded.error().message, path));
}

TEST_F(ProjectTest, WrongFieldTypeNamesTheField) {
    const std::string path = (dir / "typo.tplan").string();
    write(path, R"({"format": 1, "model": {"zoo": "mcunet"}, "ram_budget_bytes": "lots"})");
    ProjectProblem problem{};
    auto loaded = load_project(path, {}, &problem);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(problem, ProjectProblem::malformed);
    EXPECT_TRUE(contains(loaded.error().message, "\"ram_budget_bytes\""));
    EXPECT_TRUE(contains(loaded.error().message, path));

    write(path, R"({"format": 1, "model": {"zoo": "mcunet"}, "solver": {"time_limit_s": -1}})");
    loaded = load_project(path);
    ASSERT_FALSE(loaded.ok());
    EXPECT_TRUE(contains(loaded.error().message, "\"solver.time_limit_s\" must be positive"));
}

TEST_F(ProjectTest, MovedModelSaysSoAndCanBeLocated) {
    Project p = tinyProject(dir / "models" / "tiny.onnx");
    const std::string path = (dir / "tiny.tplan").string();
    ASSERT_TRUE(save_project(p, path).ok());
    fs::create_directories(dir / "elsewhere");
    fs::rename(dir / "models" / "tiny.onnx", dir / "elsewhere" / "tiny.onnx");

    ProjectProblem problem{};
    auto loaded = load_project(path, {}, &problem);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(problem, ProjectProblem::model_missing);
    EXPECT_TRUE(contains(loaded.error().message, path));
    EXPECT_TRUE(contains(loaded.error().message,
                         (dir / "models" / "tiny.onnx").string() + "' moved or was deleted"));

    ProjectLoadOptions located;
    located.model_override = (dir / "elsewhere" / "tiny.onnx").string();
    loaded = load_project(path, located, &problem);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(problem, ProjectProblem::none);
    EXPECT_EQ(loaded->project.model, located.model_override);  // the next save stores it
    EXPECT_EQ(loaded->project.plan, p.plan);
    EXPECT_FALSE(loaded->model_changed);
}

TEST_F(ProjectTest, ChangedModelIsRefusedUntilAccepted) {
    Project p = tinyProject(dir / "model.onnx");
    p.last_result = json{{"status", "optimal"}};
    const std::string path = (dir / "p.tplan").string();
    ASSERT_TRUE(save_project(p, path).ok());
    const std::string before = slurp(path);
    fs::copy_file(kFixtures / "resnet18.onnx", dir / "model.onnx",
                  fs::copy_options::overwrite_existing);

    ProjectProblem problem{};
    auto refused = load_project(path, {}, &problem);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(problem, ProjectProblem::model_changed);
    EXPECT_TRUE(contains(refused.error().message, path));
    EXPECT_TRUE(contains(refused.error().message, "changed since the project was saved"));
    EXPECT_TRUE(contains(refused.error().message, "open it anyway"));
    EXPECT_EQ(slurp(path), before);  // opening never writes

    ProjectLoadOptions anyway;
    anyway.accept_changed_model = true;
    auto opened = load_project(path, anyway, &problem);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(problem, ProjectProblem::none);
    EXPECT_TRUE(opened->model_changed);
    EXPECT_EQ(opened->project.model_sha256, sha256_file_hex((dir / "model.onnx").string()).value());
    EXPECT_FALSE(opened->project.last_result.has_value());  // it was for the old model
    EXPECT_TRUE(validate_plan(opened->network, opened->project.plan).ok());
    // Every layer of the old plan the new model lacks is named in a warning.
    int missing = 0;
    for (const auto& [name, lp] : p.plan.layers) {
        if (opened->network.op(name)) continue;
        ++missing;
        bool named = false;
        for (const auto& w : opened->warnings) named = named || contains(w, "'" + name + "'");
        EXPECT_TRUE(named) << name;
    }
    EXPECT_GT(missing, 0);  // resnet18 has none of the tiny CNN's layer names
    EXPECT_EQ(opened->project.device_id, p.device_id);
    EXPECT_EQ(opened->project.ram_budget_bytes, p.ram_budget_bytes);
}

TEST_F(ProjectTest, PlanNamingAnUnknownLayerNamesIt) {
    Project p = tinyProject(dir / "tiny.onnx");
    const std::string path = (dir / "p.tplan").string();
    json j = project_to_json(p, path);
    j["plan"]["layers"]["encoder.no_such_conv"] = "full";
    write(path, j.dump(2));
    ProjectProblem problem{};
    auto loaded = load_project(path, {}, &problem);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(problem, ProjectProblem::plan_mismatch);
    EXPECT_TRUE(contains(loaded.error().message, path));
    EXPECT_TRUE(contains(loaded.error().message, "'encoder.no_such_conv'"));
}

TEST_F(ProjectTest, UnknownZooModelIsInvalid) {
    const std::string path = (dir / "p.tplan").string();
    write(path, R"({"format": 1, "model": {"zoo": "no-such-net"}})");
    ProjectProblem problem{};
    auto loaded = load_project(path, {}, &problem);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(problem, ProjectProblem::model_invalid);
    EXPECT_TRUE(contains(loaded.error().message, "no-such-net"));
}

TEST_F(ProjectTest, UnknownDeviceIdIsLeftToTheApp) {
    const std::string path = (dir / "p.tplan").string();
    write(path, R"({"format": 1, "model": {"zoo": "mcunet"}, "device": "no-such-board"})");
    auto loaded = load_project(path);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->project.device_id, "no-such-board");
}

TEST_F(ProjectTest, SaveOntoADirectoryFailsAndKeepsIt) {
    Project p = tinyProject(dir / "tiny.onnx");
    fs::create_directories(dir / "taken.tplan" / "inside");
    auto saved = save_project(p, (dir / "taken.tplan").string());
    ASSERT_FALSE(saved.ok());
    EXPECT_TRUE(contains(saved.error().message, (dir / "taken.tplan").string()));
    EXPECT_TRUE(fs::is_directory(dir / "taken.tplan" / "inside"));
    for (const auto& entry : fs::directory_iterator(dir))  // no temporary left behind
        EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
}

TEST_F(ProjectTest, UnsavableTextLeavesTheOldFileIntact) {
    Project p = tinyProject(dir / "tiny.onnx");
    const std::string path = (dir / "p.tplan").string();
    ASSERT_TRUE(save_project(p, path).ok());
    const std::string before = slurp(path);

    Project bad = p;
    bad.device_id = "board\xff";  // not UTF-8: JSON cannot hold it
    auto saved = save_project(bad, path);
    ASSERT_FALSE(saved.ok());
    EXPECT_TRUE(contains(saved.error().message, path));
    EXPECT_TRUE(contains(saved.error().message, "not changed"));
    EXPECT_EQ(slurp(path), before);
}

TEST_F(ProjectTest, SaveIntoAReadOnlyFolderLeavesTheOldFileIntact) {
    Project p = tinyProject(dir / "tiny.onnx");
    const std::string path = (dir / "p.tplan").string();
    ASSERT_TRUE(save_project(p, path).ok());
    const std::string before = slurp(path);
    if (::geteuid() == 0) GTEST_SKIP() << "root writes into read-only folders";
    fs::permissions(dir, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
    Project other = p;
    other.ram_budget_bytes = 1;
    auto saved = save_project(other, path);
    fs::permissions(dir, fs::perms::owner_write, fs::perm_options::add);
    ASSERT_FALSE(saved.ok());
    EXPECT_TRUE(contains(saved.error().message, path));
    EXPECT_EQ(slurp(path), before);
}

}  // namespace
}  // namespace tp
