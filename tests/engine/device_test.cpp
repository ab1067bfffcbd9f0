// Board profiles: the built-in boards load cleanly, every malformed file is refused with a
// message naming the file and the field, and a user folder cannot shadow a built-in board.
#include "engine/device.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

namespace tp {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
    fs::path p =
        fs::temp_directory_path() / ("tp-devices-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

std::string write_file(const fs::path& dir, const std::string& file, const std::string& text) {
    fs::path p = dir / file;
    std::ofstream(p) << text;
    return p.string();
}

std::string builtin_dir() {
    return default_device_dirs().front();
}

// A complete, valid profile with every number sourced through its own path or an ancestor.
nlohmann::json valid_board(const std::string& id = "testboard") {
    nlohmann::json rate = {{"macs_per_s", 1e6}, {"energy_j_per_mac", 1e-9}};
    nlohmann::json cls = {{"fp32", rate}, {"int8", rate}};
    return {{"format", 1},
            {"id", id},
            {"name", "Test board"},
            {"core", "Cortex-M4F"},
            {"clock_hz", 64000000},
            {"sram_bytes", 262144},
            {"flash_bytes", 1048576},
            {"storage",
             {{"kind", "sd"},
              {"capacity_bytes", 1000000},
              {"read_bytes_per_s", 4e6},
              {"write_bytes_per_s", 2e6},
              {"read_energy_j_per_byte", 1e-8},
              {"write_energy_j_per_byte", 3e-8}}},
            {"compute", {{"conv", cls}, {"depthwise", cls}, {"linear", cls}, {"elementwise", cls}}},
            {"static_power_w", 0.01},
            {"sources",
             {{"clock_hz", "datasheet"},
              {"sram_bytes", "datasheet"},
              {"flash_bytes", "datasheet"},
              {"storage", "measured"},
              {"compute", "measured"},
              {"static_power_w", "datasheet"}}}};
}

// The error of parsing `j` as if read from devices/bad.json.
std::string error_of(const nlohmann::json& j) {
    auto d = parse_device(j, "devices/bad.json");
    EXPECT_FALSE(d) << "accepted: " << j.dump();
    return d ? std::string() : d.error().message;
}

TEST(Device, EveryBuiltInBoardLoadsWithoutProblems) {
    DeviceLibrary lib = load_device_library({builtin_dir()});
    for (const auto& p : lib.problems) ADD_FAILURE() << p.message;
    std::set<std::string> ids;
    for (const auto& d : lib.devices) ids.insert(d.id);
    for (const char* id : {"mkr1000", "nrf52840", "stm32f746", "stm32h743", "esp32s3", "rp2040",
                           "rpi4", "jetson-tx2"})
        EXPECT_TRUE(ids.count(id)) << id;
    for (size_t i = 1; i < lib.devices.size(); ++i)
        EXPECT_LT(lib.devices[i - 1].id, lib.devices[i].id);  // sorted by id
}

TEST(Device, BuiltInBoardsCarryTheirDatasheetFigures) {
    DeviceLibrary lib = load_device_library({builtin_dir()});
    const Device* f746 = lib.find("stm32f746");
    ASSERT_NE(f746, nullptr);
    EXPECT_EQ(f746->clock_hz, 216000000);
    EXPECT_EQ(f746->sram_bytes, 320 * 1024);
    EXPECT_EQ(f746->flash_bytes, 1024 * 1024);
    const Device* mkr = lib.find("mkr1000");
    ASSERT_NE(mkr, nullptr);
    EXPECT_EQ(mkr->sram_bytes, 32 * 1024);
    EXPECT_EQ(mkr->clock_hz, 48000000);
    // POET's profiled MKR1000: 2000 FLOPs in 12 ms at 2 FLOPs per MAC.
    EXPECT_NEAR(mkr->rate(OpClass::conv, Precision::fp32).macs_per_s, 2000 / 0.012 / 2, 10.0);
    for (const auto& d : lib.devices) {
        SCOPED_TRACE(d.id);
        // SIMD or integer kernels: int8 convolution is never slower than fp32.
        EXPECT_GE(d.rate(OpClass::conv, Precision::int8).macs_per_s,
                  d.rate(OpClass::conv, Precision::fp32).macs_per_s);
        ASSERT_TRUE(d.storage.has_value());
        // Writing is never faster or cheaper per byte than reading.
        EXPECT_LE(d.storage->write_bytes_per_s, d.storage->read_bytes_per_s);
        EXPECT_GE(d.storage->write_energy_j_per_byte, d.storage->read_energy_j_per_byte);
        EXPECT_EQ(d.file, (fs::path(builtin_dir()) / (d.id + ".json")).string());
    }
    // Flash on MCUs: writes are orders of magnitude slower than reads.
    for (const char* id : {"stm32h743", "rp2040", "esp32s3"}) {
        const Device* d = lib.find(id);
        ASSERT_NE(d, nullptr);
        EXPECT_GT(d->storage->read_bytes_per_s, 100 * d->storage->write_bytes_per_s) << id;
    }
}

TEST(Device, ValidProfileParsesAndRoundTrips) {
    auto d = parse_device(valid_board(), "mem");
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->id, "testboard");
    ASSERT_TRUE(d->storage.has_value());
    EXPECT_EQ(d->storage->kind, StorageKind::sd);
    EXPECT_EQ(d->storage->capacity_bytes, 1000000);
    EXPECT_DOUBLE_EQ(d->rate(OpClass::linear, Precision::int8).energy_j_per_mac, 1e-9);
    auto back = parse_device(device_to_json(*d), "mem");
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, *d);
}

TEST(Device, StorageIsOptional) {
    nlohmann::json j = valid_board();
    j.erase("storage");
    auto d = parse_device(j, "mem");
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_FALSE(d->storage.has_value());
}

TEST(Device, WholeNumbersMayBeWrittenInExponentForm) {
    nlohmann::json j = valid_board();
    j["clock_hz"] = 2.16e8;
    auto d = parse_device(j, "mem");
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->clock_hz, 216000000);
}

TEST(Device, MissingFieldIsNamed) {
    nlohmann::json j = valid_board();
    j.erase("clock_hz");
    EXPECT_EQ(error_of(j), "devices/bad.json: field \"clock_hz\" is missing");
    j = valid_board();
    j["compute"]["depthwise"].erase("int8");
    EXPECT_EQ(error_of(j), "devices/bad.json: field \"compute.depthwise.int8\" is missing");
    j = valid_board();
    j["storage"].erase("write_energy_j_per_byte");
    EXPECT_EQ(error_of(j),
              "devices/bad.json: field \"storage.write_energy_j_per_byte\" is missing");
}

TEST(Device, NegativeNumberIsNamedWithItsValue) {
    nlohmann::json j = valid_board();
    j["compute"]["conv"]["fp32"]["macs_per_s"] = -3;
    EXPECT_EQ(error_of(j),
              "devices/bad.json: field \"compute.conv.fp32.macs_per_s\" must be a positive number "
              "(got -3)");
    j = valid_board();
    j["storage"]["read_bytes_per_s"] = 0;
    EXPECT_NE(error_of(j).find("\"storage.read_bytes_per_s\" must be a positive number (got 0)"),
              std::string::npos);
    j = valid_board();
    j["sram_bytes"] = 0;  // a board needs some SRAM
    EXPECT_NE(error_of(j).find("\"sram_bytes\" must be a positive whole number (got 0)"),
              std::string::npos);
    j = valid_board();
    j["storage"]["capacity_bytes"] = -1;
    EXPECT_NE(error_of(j).find("\"storage.capacity_bytes\" must be a whole number >= 0 (got -1)"),
              std::string::npos);
    j = valid_board();
    j["static_power_w"] = -0.5;
    EXPECT_NE(error_of(j).find("\"static_power_w\" must be a number >= 0"), std::string::npos);
}

TEST(Device, ZeroCapacityAndZeroStaticPowerAreAllowed) {
    nlohmann::json j = valid_board();
    j["storage"]["capacity_bytes"] = 0;
    j["static_power_w"] = 0;
    j["flash_bytes"] = 0;
    EXPECT_TRUE(parse_device(j, "mem"));
}

TEST(Device, WrongTypeIsNamed) {
    nlohmann::json j = valid_board();
    j["sram_bytes"] = "lots";
    EXPECT_EQ(error_of(j),
              "devices/bad.json: field \"sram_bytes\" must be a positive whole number (got "
              "\"lots\")");
    j = valid_board();
    j["clock_hz"] = 48e6 + 0.5;  // not whole
    EXPECT_NE(error_of(j).find("field \"clock_hz\""), std::string::npos);
    j = valid_board();
    j["compute"]["linear"] = 5;
    EXPECT_EQ(error_of(j), "devices/bad.json: field \"compute.linear\" must be an object (got 5)");
    j = valid_board();
    j["name"] = nullptr;
    EXPECT_NE(error_of(j).find("field \"name\" must be a non-empty string (got null)"),
              std::string::npos);
    j = valid_board();
    j["storage"]["kind"] = "tape";
    EXPECT_NE(error_of(j).find("field \"storage.kind\" must be one of"), std::string::npos);
    EXPECT_EQ(error_of(nlohmann::json::array()),
              "devices/bad.json: a board profile must be a JSON object (got [])");
}

TEST(Device, UnknownFieldIsNamed) {
    nlohmann::json j = valid_board();
    j["compute"]["conv"]["fp16"] = j["compute"]["conv"]["fp32"];
    EXPECT_NE(error_of(j).find("field \"compute.conv.fp16\" is not part of board format 1"),
              std::string::npos);
    j = valid_board();
    j["format"] = 2;
    EXPECT_NE(error_of(j).find("field \"format\" must be 1 (got 2)"), std::string::npos);
}

TEST(Device, EveryNumberNeedsASource) {
    nlohmann::json j = valid_board();
    j["sources"].erase("static_power_w");
    EXPECT_NE(error_of(j).find("devices/bad.json: field \"static_power_w\" has no entry in "
                               "\"sources\""),
              std::string::npos);
    // An ancestor covers its fields; remove it and the first uncovered number is named.
    j = valid_board();
    j["sources"].erase("compute");
    j["sources"]["compute.conv"] = "measured";
    EXPECT_NE(error_of(j).find("field \"compute.depthwise.fp32.macs_per_s\" has no entry"),
              std::string::npos);
    j = valid_board();
    j["sources"]["compute.conv.fp33"] = "typo";
    EXPECT_NE(error_of(j).find("\"sources\" key \"compute.conv.fp33\" names no field"),
              std::string::npos);
    j = valid_board();
    j["sources"]["clock_hz"] = "";
    EXPECT_NE(error_of(j).find("field \"sources.clock_hz\" must be a non-empty string"),
              std::string::npos);
}

TEST(Device, BadIdIsNamed) {
    for (const char* id : {"Bad Id", "-leading-dash", "UPPER", "a/b", ""}) {
        nlohmann::json j = valid_board(id);
        std::string e = error_of(j);
        EXPECT_NE(e.find("devices/bad.json: field \"id\""), std::string::npos) << id << ": " << e;
    }
    for (const char* id : {"a", "stm32f746", "jetson-tx2", "my.board_2"})
        EXPECT_TRUE(parse_device(valid_board(id), "mem")) << id;
}

TEST(Device, FileMustBeJsonAndNamedAfterItsId) {
    fs::path dir = temp_dir("files");
    std::string notjson = write_file(dir, "broken.json", "{ \"format\": 1, oops");
    auto d = load_device_file(notjson);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().message.rfind(notjson + ": not valid JSON", 0), 0u) << d.error().message;

    std::string misnamed = write_file(dir, "other.json", valid_board("testboard").dump());
    d = load_device_file(misnamed);
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find(misnamed + ": field \"id\" is \"testboard\""),
              std::string::npos)
        << d.error().message;

    std::string good = write_file(dir, "testboard.json", valid_board("testboard").dump());
    d = load_device_file(good);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->file, good);

    d = load_device_file((dir / "absent.json").string());
    ASSERT_FALSE(d);
    EXPECT_NE(d.error().message.find("absent.json: cannot read the file"), std::string::npos);
    fs::remove_all(dir);
}

TEST(Device, UserFolderIsSearchedAfterTheBuiltInOne) {
    fs::path user = temp_dir("user");
    std::string mine = write_file(user, "myboard.json", valid_board("myboard").dump());
    std::string clash = write_file(user, "stm32f746.json", valid_board("stm32f746").dump());
    std::string broken = write_file(user, "zz.json", "not json at all");
    write_file(user, "readme.txt", "ignored: not a .json file");

    DeviceLibrary lib = load_device_library({builtin_dir(), user.string()});
    ASSERT_NE(lib.find("myboard"), nullptr);
    EXPECT_EQ(lib.find("myboard")->file, mine);
    const Device* f746 = lib.find("stm32f746");
    ASSERT_NE(f746, nullptr);
    EXPECT_EQ(f746->name, "ST STM32F746G-DISCO");  // the built-in board wins
    std::string builtin_f746 = (fs::path(builtin_dir()) / "stm32f746.json").string();
    EXPECT_EQ(f746->file, builtin_f746);

    ASSERT_EQ(lib.problems.size(), 2u);
    const std::string& dup = lib.problems[0].message;
    EXPECT_NE(dup.find(clash), std::string::npos) << dup;         // names the skipped file
    EXPECT_NE(dup.find(builtin_f746), std::string::npos) << dup;  // and the board it clashes with
    EXPECT_NE(lib.problems[1].message.find(broken + ": not valid JSON"), std::string::npos);
    for (size_t i = 1; i < lib.devices.size(); ++i)
        EXPECT_LT(lib.devices[i - 1].id, lib.devices[i].id);

    // A folder that does not exist is no problem: most users have no user folder.
    DeviceLibrary none = load_device_library({(user / "absent").string()});
    EXPECT_TRUE(none.devices.empty());
    EXPECT_TRUE(none.problems.empty());
    fs::remove_all(user);
}

class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }

  private:
    const char* name_;
    std::optional<std::string> old_;
};

TEST(Device, DefaultFoldersAreBuiltInThenUser) {
    {
        ScopedEnv a("TRAINPLAN_DEVICES", "/tmp/my-boards");
        ScopedEnv b("XDG_CONFIG_HOME", "/tmp/xdg");
        auto dirs = default_device_dirs();
        ASSERT_EQ(dirs.size(), 2u);
        EXPECT_TRUE(fs::exists(fs::path(dirs[0]) / "stm32f746.json")) << dirs[0];
        EXPECT_EQ(dirs[1], "/tmp/my-boards");
    }
    {
        ScopedEnv a("TRAINPLAN_DEVICES", nullptr);
        ScopedEnv b("XDG_CONFIG_HOME", "/tmp/xdg");
        EXPECT_EQ(default_device_dirs().back(), "/tmp/xdg/trainplan/devices");
    }
    {
        ScopedEnv a("TRAINPLAN_DEVICES", nullptr);
        ScopedEnv b("XDG_CONFIG_HOME", nullptr);
        ScopedEnv c("HOME", "/home/someone");
        EXPECT_EQ(default_device_dirs().back(), "/home/someone/.config/trainplan/devices");
    }
}

}  // namespace
}  // namespace tp
