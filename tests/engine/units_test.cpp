// The human-readable units of text reports, and the sizes users type.
#include "engine/units.h"

#include <gtest/gtest.h>

namespace tp {
namespace {

TEST(Units, ParsesBinaryAndDatasheetSizes) {
    EXPECT_EQ(*parse_bytes("262144"), 262144);
    EXPECT_EQ(*parse_bytes("256K"), 262144);
    EXPECT_EQ(*parse_bytes("256 KB"), 262144);
    EXPECT_EQ(*parse_bytes("1.5MiB"), 1572864);
    EXPECT_EQ(*parse_bytes("2G"), int64_t{2} << 30);
    const auto bad = parse_bytes("lots");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("lots"), std::string::npos) << bad.error().message;
}

TEST(Units, FormatsSizesCountsAndSeconds) {
    EXPECT_EQ(format_bytes(812), "812 B");
    EXPECT_EQ(format_bytes(4718592), "4.50 MiB");
    EXPECT_EQ(format_count(11689512), "11,689,512");
    EXPECT_EQ(format_count(-1000), "-1,000");
    EXPECT_EQ(format_seconds(10), "10 s");
    EXPECT_EQ(format_seconds(0.25), "0.25 s");
    EXPECT_EQ(format_seconds(1e-3), "0.001 s");
}

}  // namespace
}  // namespace tp
