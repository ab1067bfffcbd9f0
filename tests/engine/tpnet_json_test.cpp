// The JSON network format round-trips the IR losslessly, with and without weights.
#include "engine/io/tpnet_json.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/zoo/zoo.h"
#include "small_networks.h"

namespace tp {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
    fs::path p =
        fs::temp_directory_path() / ("tp-tpnet-" + name + "-" + std::to_string(::getpid()));
    fs::create_directories(p);
    return p;
}

TEST(TpnetJson, EveryZooModelRoundTripsExactly) {
    for (const auto& e : zoo_entries()) {
        auto net = build_zoo_model(e.id);
        ASSERT_TRUE(net) << e.id;
        auto back = network_from_json(network_to_json(*net), e.id);
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_TRUE(*back == *net) << e.id;
    }
}

TEST(TpnetJson, AttributesKeepTheirTypesAndInfinities) {
    Network net = test::two_conv_network();
    Op clip{"clip", OpType::Clip, {"logits"}, {"clipped"}, {}, {}, "head", 0};
    clip.attrs.set("min", 0.0);
    clip.attrs.set("max", std::numeric_limits<double>::infinity());
    clip.attrs.set("note", std::string("kept"));
    clip.attrs.set("empty", std::vector<int64_t>{});
    net.ops.push_back(clip);
    net.outputs = {"clipped"};
    ASSERT_TRUE(infer_shapes(net));
    auto back = network_from_json(nlohmann::json::parse(network_to_json(net).dump()), "t");
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_TRUE(*back == net);
}

TEST(TpnetJson, WeightsRoundTripThroughTheBlobFile) {
    auto net = build_zoo_model("mcunet", true);
    ASSERT_TRUE(net);
    fs::path dir = temp_dir("weights");
    std::string path = (dir / "mcunet.tpnet.json").string();
    ASSERT_TRUE(save_tpnet(*net, path, true));
    EXPECT_TRUE(fs::exists(dir / "mcunet.weights.bin"));
    EXPECT_EQ(static_cast<int64_t>(fs::file_size(dir / "mcunet.weights.bin")), net->param_bytes());
    auto back = load_tpnet(path);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_TRUE(*back == *net);
    fs::remove(dir / "mcunet.weights.bin");
    auto missing = load_tpnet(path);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("mcunet.weights.bin"), std::string::npos);
    fs::remove_all(dir);
}

TEST(TpnetJson, MalformedFilesAreNamedErrors) {
    fs::path dir = temp_dir("bad");
    std::string path = (dir / "bad.tpnet.json").string();
    std::ofstream(path) << "{\"format\": \"tpnet\", \"version\": 1, \"inputs\": [";
    auto r = load_tpnet(path);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("bad.tpnet.json"), std::string::npos);
    auto j = network_to_json(test::two_conv_network());
    j["ops"][0]["type"] = "FancyConv";
    auto u = network_from_json(j, "x.tpnet.json");
    ASSERT_FALSE(u);
    EXPECT_NE(u.error().message.find("FancyConv"), std::string::npos);
    j = network_to_json(test::two_conv_network());
    j["version"] = 7;
    EXPECT_FALSE(network_from_json(j, "v7"));
    fs::remove_all(dir);
}

}  // namespace
}  // namespace tp
