// NetworkInspector over the hand-built tiny network; expected values counted by hand.
#include "views/network_inspector.h"

#include <gtest/gtest.h>

#include <QLabel>

#include "tests/views/tiny_network.h"

namespace tp {
namespace {

class NetworkInspectorTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto net = test::tinyNetwork();
        ASSERT_TRUE(net.ok()) << net.error().message;
        inspector.setNetwork(std::make_shared<const Network>(std::move(net).value()), "hand-built");
    }
    QString summary() const { return inspector.findChild<QLabel*>("networkSummary")->text(); }
    QString details() const { return inspector.findChild<QLabel*>("layerDetails")->text(); }

    NetworkInspector inspector;
};

TEST_F(NetworkInspectorTest, SummaryShowsNetworkTotals) {
    const QString text = summary();
    EXPECT_TRUE(text.contains("hand-built"));
    EXPECT_TRUE(text.contains("1x3x8x8"));                      // input
    EXPECT_TRUE(text.contains("1x10"));                         // output
    EXPECT_TRUE(text.contains(">170<")) << text.toStdString();  // 112 + 8 + 50 trainable
    // Storage counts buffers too: (108 + 4 + 4*4 + 40 + 10) floats * 4 bytes.
    EXPECT_TRUE(text.contains("712 B")) << text.toStdString();
    EXPECT_TRUE(text.contains("architecture only"));
}

TEST_F(NetworkInspectorTest, LayerDetailsShowParamsAttributesAndMacs) {
    EXPECT_TRUE(details().contains("Select a layer"));
    inspector.setCurrentOp(0);
    const QString conv = details();
    EXPECT_TRUE(conv.contains("conv.weight")) << conv.toStdString();
    EXPECT_TRUE(conv.contains("4x3x3x3"));
    EXPECT_TRUE(conv.contains("pads = [1, 1, 1, 1]"));
    EXPECT_TRUE(conv.contains("6,912"));  // 4*8*8*3*3*3
    inspector.setCurrentOp(1);
    EXPECT_TRUE(details().contains("bn.mean <span style='color:gray'>4</span> (buffer)"))
        << details().toStdString();
}

TEST_F(NetworkInspectorTest, ClearingShowsPlaceholders) {
    inspector.setCurrentOp(0);
    inspector.setNetwork(nullptr, {});
    EXPECT_TRUE(summary().contains("No network open"));
    EXPECT_TRUE(details().contains("Select a layer"));
}

}  // namespace
}  // namespace tp
