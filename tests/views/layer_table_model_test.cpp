// LayerTableModel shows the hand-built tiny network; expected numbers are counted by hand.
#include "views/layer_table_model.h"

#include <gtest/gtest.h>

#include <QSignalSpy>
#include <QSortFilterProxyModel>

#include "tests/views/tiny_network.h"

namespace tp {
namespace {

using Col = LayerTableModel::Column;

class LayerTableModelTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto net = test::tinyNetwork();
        ASSERT_TRUE(net.ok()) << net.error().message;
        network = std::make_shared<const Network>(std::move(net).value());
        model.setNetwork(network);
    }

    QString text(int row, int column) const { return model.index(row, column).data().toString(); }
    qlonglong raw(int row, int column) const {
        return model.index(row, column).data(LayerTableModel::SortRole).toLongLong();
    }

    std::shared_ptr<const Network> network;
    LayerTableModel model;
};

TEST_F(LayerTableModelTest, OneRowPerOpInGraphOrder) {
    ASSERT_EQ(model.rowCount(), 6);
    EXPECT_EQ(model.columnCount(), 6);
    const QStringList names{"conv", "bn", "relu", "pool", "flatten", "fc"};
    const QStringList types{"Conv", "BatchNormalization", "Relu", "GlobalAveragePool", "Flatten",
                            "Gemm"};
    for (int row = 0; row < 6; ++row) {
        EXPECT_EQ(text(row, Col::LayerColumn), names[row]);
        EXPECT_EQ(text(row, Col::OpColumn), types[row]);
        EXPECT_EQ(model.headerData(row, Qt::Vertical).toInt(), row + 1);
    }
}

TEST_F(LayerTableModelTest, HeadersNameTheColumns) {
    const QStringList headers{"Layer", "Op", "Block", "Output shape", "Params", "MACs"};
    for (int column = 0; column < 6; ++column)
        EXPECT_EQ(model.headerData(column, Qt::Horizontal).toString(), headers[column]);
}

TEST_F(LayerTableModelTest, BlockColumnShowsEachOpsBlock) {
    EXPECT_EQ(text(0, Col::BlockColumn), "stem");
    EXPECT_EQ(text(2, Col::BlockColumn), "stem");
    EXPECT_EQ(text(5, Col::BlockColumn), "head");
}

TEST_F(LayerTableModelTest, OutputShapeIsTheFirstOutputBatchFirst) {
    EXPECT_EQ(text(0, Col::OutputShapeColumn), "1x4x8x8");  // pad 1 keeps 8x8
    EXPECT_EQ(text(3, Col::OutputShapeColumn), "1x4x1x1");
    EXPECT_EQ(text(4, Col::OutputShapeColumn), "1x4");
    EXPECT_EQ(text(5, Col::OutputShapeColumn), "1x10");
    EXPECT_EQ(raw(0, Col::OutputShapeColumn), 4 * 8 * 8);  // sorts by activation size
}

TEST_F(LayerTableModelTest, ParamsCountTrainableElementsOnly) {
    EXPECT_EQ(raw(0, Col::ParamsColumn), 4 * 3 * 3 * 3 + 4);  // weight + bias = 112
    EXPECT_EQ(raw(1, Col::ParamsColumn), 4 + 4);              // running mean/var are buffers
    EXPECT_EQ(raw(2, Col::ParamsColumn), 0);
    EXPECT_EQ(raw(5, Col::ParamsColumn), 10 * 4 + 10);  // 50
    qlonglong sum = 0;
    for (int row = 0; row < model.rowCount(); ++row) sum += raw(row, Col::ParamsColumn);
    EXPECT_EQ(sum, 170);
    EXPECT_EQ(sum, network->trainable_param_count());
}

TEST_F(LayerTableModelTest, MacsComeFromTheNetwork) {
    EXPECT_EQ(raw(0, Col::MacsColumn), 4 * 8 * 8 * 3 * 3 * 3);  // Cout*H*W*Cin*kh*kw = 6912
    EXPECT_EQ(raw(5, Col::MacsColumn), 10 * 4);
    qlonglong sum = 0;
    for (int row = 0; row < model.rowCount(); ++row) {
        EXPECT_EQ(raw(row, Col::MacsColumn), network->ops[static_cast<size_t>(row)].macs);
        sum += raw(row, Col::MacsColumn);
    }
    EXPECT_EQ(sum, network->total_macs());
}

TEST_F(LayerTableModelTest, NumbersAreGroupedAndRightAligned) {
    EXPECT_EQ(text(0, Col::MacsColumn), "6,912");
    EXPECT_EQ(text(0, Col::ParamsColumn), "112");
    const auto align = [&](int column) {
        return model.index(0, column).data(Qt::TextAlignmentRole).value<Qt::Alignment>();
    };
    EXPECT_TRUE(align(Col::ParamsColumn) & Qt::AlignRight);
    EXPECT_TRUE(align(Col::MacsColumn) & Qt::AlignRight);
    EXPECT_TRUE(align(Col::LayerColumn) & Qt::AlignLeft);
}

TEST_F(LayerTableModelTest, ParamsToolTipListsBuffersAsNotTrained) {
    const QString tip = model.index(1, Col::ParamsColumn).data(Qt::ToolTipRole).toString();
    EXPECT_TRUE(tip.contains("bn.mean")) << tip.toStdString();
    EXPECT_TRUE(tip.contains("not trained")) << tip.toStdString();
}

TEST_F(LayerTableModelTest, ProxySortsNumbersNumerically) {
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setSortRole(LayerTableModel::SortRole);
    proxy.sort(Col::ParamsColumn, Qt::DescendingOrder);
    // As text "8" > "50" > "112"; as numbers 112 > 50 > 8.
    EXPECT_EQ(proxy.index(0, Col::LayerColumn).data().toString(), "conv");
    EXPECT_EQ(proxy.index(1, Col::LayerColumn).data().toString(), "fc");
    EXPECT_EQ(proxy.index(2, Col::LayerColumn).data().toString(), "bn");
    // The row header keeps each op's graph position.
    EXPECT_EQ(proxy.headerData(1, Qt::Vertical).toInt(), 6);
}

TEST_F(LayerTableModelTest, ClearingTheNetworkEmptiesTheTable) {
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    model.setNetwork(nullptr);
    EXPECT_EQ(reset.count(), 1);
    EXPECT_EQ(model.rowCount(), 0);
    EXPECT_FALSE(model.index(0, 0).isValid());
    EXPECT_EQ(model.opAt(0), nullptr);
}

}  // namespace
}  // namespace tp
