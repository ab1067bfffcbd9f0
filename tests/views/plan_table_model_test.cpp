// PlanTableModel over zoo:mcunet: its rows are the engine's trainable layers, its numbers the
// MemoryReport's, and an edit is a request the model itself does not apply.
#include "views/plan_table_model.h"

#include <gtest/gtest.h>

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QSignalSpy>
#include <QTableView>

#include "engine/memory_report.h"
#include "engine/model_loader.h"
#include "engine/training_graph.h"
#include "views/plan_table_delegate.h"

namespace tp {
namespace {

using Col = PlanTableModel::Column;

MemoryReport reportFor(const Network& net, const TrainingPlan& plan) {
    auto g = derive_training_graph(net, plan);
    EXPECT_TRUE(g.ok()) << g.error().message;
    return store_all_memory(*g);
}

const LayerMemory* layerMemory(const MemoryReport& r, const std::string& op) {
    for (const auto& l : r.layers)
        if (l.op == op) return &l;
    return nullptr;
}

class PlanTableModelTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto net = load_model("zoo:mcunet");
        ASSERT_TRUE(net.ok()) << net.error().message;
        network = std::make_shared<const Network>(std::move(net).value());
        model.setNetwork(network);
        plan = make_preset(*network, "sparse").value();
        report = reportFor(*network, plan);
        model.setPlan(plan, report);
    }

    QModelIndex at(int row, int column) const { return model.index(row, column); }
    int rowWhere(bool (*pred)(const std::vector<UpdateMode>&)) const {
        for (int row = 0; row < model.rowCount(); ++row)
            if (pred(model.supportedModes(row))) return row;
        return -1;
    }
    static bool hasBiasOnly(const std::vector<UpdateMode>& m) {
        return std::find(m.begin(), m.end(), UpdateMode::bias_only) != m.end();
    }
    static bool lacksBiasOnly(const std::vector<UpdateMode>& m) { return !hasBiasOnly(m); }

    std::shared_ptr<const Network> network;
    TrainingPlan plan;
    MemoryReport report;
    PlanTableModel model;
};

TEST_F(PlanTableModelTest, RowsAreTheTrainableLayersInGraphOrder) {
    const auto layers = trainable_layers(*network);
    ASSERT_EQ(model.rowCount(), static_cast<int>(layers.size()));
    ASSERT_GT(model.rowCount(), 10);
    EXPECT_EQ(model.columnCount(), 10);
    for (int row = 0; row < model.rowCount(); ++row) {
        EXPECT_EQ(model.opAt(row).toStdString(), layers[static_cast<size_t>(row)]);
        EXPECT_EQ(at(row, Col::LayerColumn).data().toString(), model.opAt(row));
        EXPECT_EQ(model.rowOf(model.opAt(row)), row);
        const Op* op = network->op(layers[static_cast<size_t>(row)]);
        EXPECT_EQ(at(row, Col::OpColumn).data().toString(), op_type_name(op->type));
        EXPECT_EQ(at(row, Col::MacsColumn).data(PlanTableModel::SortRole).toLongLong(), op->macs);
    }
    EXPECT_EQ(model.headerData(Col::ModeColumn, Qt::Horizontal).toString(), "Mode");
    EXPECT_EQ(model.headerData(Col::AdapterColumn, Qt::Horizontal).toString(), "Adapter");
}

TEST_F(PlanTableModelTest, ParamsAreWhatAFullPlanTrains) {
    const TrainingPlan full = make_preset(*network, "full").value();
    const MemoryReport fullReport = reportFor(*network, full);
    model.setPlan(full, fullReport);
    qlonglong sum = 0;
    for (int row = 0; row < model.rowCount(); ++row) {
        const qlonglong params =
            at(row, Col::ParamsColumn).data(PlanTableModel::SortRole).toLongLong();
        const LayerMemory* m = layerMemory(fullReport, model.opAt(row).toStdString());
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(params, m->trained_params) << model.opAt(row).toStdString();
        sum += params;
    }
    EXPECT_EQ(sum, network->trainable_param_count());
    EXPECT_EQ(sum, fullReport.trained_params);
}

TEST_F(PlanTableModelTest, MemoryNumbersAreTheReports) {
    const double total =
        static_cast<double>(report.trained_param_bytes + report.optimizer_state_bytes +
                            report.saved_activation_total_bytes);
    int withSavedBytes = 0;
    for (int row = 0; row < model.rowCount(); ++row) {
        const LayerMemory* m = layerMemory(report, model.opAt(row).toStdString());
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(at(row, Col::SavedActivationColumn).data(PlanTableModel::SortRole).toLongLong(),
                  m->saved_activation_bytes);
        const double share =
            at(row, Col::MemoryShareColumn).data(PlanTableModel::ShareRole).toDouble();
        EXPECT_DOUBLE_EQ(
            share, (m->trained_param_bytes + m->optimizer_state_bytes + m->saved_activation_bytes) /
                       total);
        EXPECT_GE(share, 0.0);
        EXPECT_LE(share, 1.0);
        EXPECT_EQ(at(row, Col::ModeColumn).data(PlanTableModel::SortRole).toInt(),
                  static_cast<int>(m->mode));
        withSavedBytes += m->saved_activation_bytes > 0;
    }
    EXPECT_GT(withSavedBytes, 0);
}

TEST_F(PlanTableModelTest, ModeCellsShowThePlan) {
    int sparseRows = 0;
    for (int row = 0; row < model.rowCount(); ++row) {
        const LayerPlan lp = plan.layer(model.opAt(row).toStdString());
        EXPECT_EQ(at(row, Col::ModeColumn).data(PlanTableModel::LayerPlanRole).value<LayerPlan>(),
                  lp);
        if (lp.mode != UpdateMode::sparse) continue;
        ++sparseRows;
        EXPECT_EQ(at(row, Col::ModeColumn).data().toString(), PlanTableModel::modeText(lp));
    }
    int sparseInPlan = 0;
    for (const auto& [op, lp] : plan.layers) sparseInPlan += lp.mode == UpdateMode::sparse;
    EXPECT_GT(sparseRows, 0);
    EXPECT_EQ(sparseRows, sparseInPlan);
    EXPECT_EQ(PlanTableModel::modeText({UpdateMode::sparse, 0.125}), "sparse 12.5%");
    EXPECT_EQ(PlanTableModel::modeText({UpdateMode::bias_only, 1.0}), "bias-only");
}

TEST_F(PlanTableModelTest, ModeTextParsesBack) {
    for (const LayerPlan& lp :
         {LayerPlan{UpdateMode::frozen, 1.0}, LayerPlan{UpdateMode::full, 1.0},
          LayerPlan{UpdateMode::bias_only, 1.0}, LayerPlan{UpdateMode::sparse, 0.25}}) {
        auto parsed = PlanTableModel::parseModeText(PlanTableModel::modeText(lp));
        ASSERT_TRUE(parsed.has_value());
        EXPECT_EQ(*parsed, lp);
    }
    EXPECT_FALSE(PlanTableModel::parseModeText("sparse 0%").has_value());
    EXPECT_FALSE(PlanTableModel::parseModeText("half").has_value());
}

TEST_F(PlanTableModelTest, SetDataRequestsAndDoesNotMutate) {
    QSignalSpy requested(&model, &PlanTableModel::layerPlanRequested);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    const int row = 0;
    const QString before = at(row, Col::ModeColumn).data().toString();
    ASSERT_TRUE(at(row, Col::ModeColumn).flags() & Qt::ItemIsEditable);

    EXPECT_TRUE(model.setData(at(row, Col::ModeColumn), QStringLiteral("sparse 25%")));
    ASSERT_EQ(requested.count(), 1);
    EXPECT_EQ(requested[0][0].toStringList(), QStringList{model.opAt(row)});
    EXPECT_EQ(requested[0][1].value<LayerPlan>(), (LayerPlan{UpdateMode::sparse, 0.25}));
    EXPECT_EQ(model.plan(), plan);
    EXPECT_EQ(at(row, Col::ModeColumn).data().toString(), before);
    EXPECT_EQ(changed.count(), 0);

    // A LayerPlan value works as well; asking for what the layer has emits nothing.
    EXPECT_TRUE(model.setData(at(row, Col::ModeColumn),
                              QVariant::fromValue(plan.layer(model.opAt(row).toStdString()))));
    EXPECT_EQ(requested.count(), 1);
    // Not editable: other columns, nonsense text.
    EXPECT_FALSE(model.setData(at(row, Col::SavedActivationColumn), 5));
    EXPECT_FALSE(model.setData(at(row, Col::ModeColumn), QStringLiteral("half")));
    EXPECT_EQ(requested.count(), 1);
}

TEST_F(PlanTableModelTest, BiasOnlyIsOfferedOnlyWhereTheEngineAcceptsIt) {
    const int noBias = rowWhere(&lacksBiasOnly);
    const int withBias = rowWhere(&hasBiasOnly);
    ASSERT_GE(noBias, 0);  // MCUNet's convs have no bias: BatchNorm follows them
    ASSERT_GE(withBias, 0);
    QSignalSpy requested(&model, &PlanTableModel::layerPlanRequested);
    EXPECT_FALSE(model.setData(at(noBias, Col::ModeColumn), QStringLiteral("bias-only")));
    EXPECT_EQ(requested.count(), 0);
    for (int row : {noBias, withBias}) {
        TrainingPlan probe;
        probe.layers[model.opAt(row).toStdString()] = {UpdateMode::bias_only, 1.0};
        EXPECT_EQ(validate_plan(*network, probe).ok(), row == withBias);
    }
}

TEST_F(PlanTableModelTest, RequestModeAsksOnceForTheSelectedRows) {
    QSignalSpy requested(&model, &PlanTableModel::layerPlanRequested);
    QModelIndexList selection;
    for (int row = 0; row < 6; ++row)
        for (int column : {int(Col::LayerColumn), int(Col::ModeColumn)})
            selection << at(row, column);
    model.requestMode(selection, {UpdateMode::full, 1.0});
    ASSERT_EQ(requested.count(), 1);
    QStringList expected;
    for (int row = 0; row < 6; ++row) expected << model.opAt(row);
    EXPECT_EQ(requested[0][0].toStringList(), expected);

    // Bias-only leaves out the rows without a bias (and those already bias-only).
    model.requestMode(selection, {UpdateMode::bias_only, 1.0});
    ASSERT_EQ(requested.count(), 2);
    for (const QString& op : requested[1][0].toStringList()) {
        EXPECT_TRUE(hasBiasOnly(model.supportedModes(model.rowOf(op)))) << op.toStdString();
        EXPECT_NE(plan.layer(op.toStdString()).mode, UpdateMode::bias_only);
    }
    EXPECT_EQ(model.plan(), plan);
}

TEST_F(PlanTableModelTest, AdapterCheckboxSitsOnEachAdapterBlocksFirstRow) {
    const auto blocks = adapter_blocks(*network);
    ASSERT_FALSE(blocks.empty());
    QStringList seen;
    for (int row = 0; row < model.rowCount(); ++row) {
        const QString block = model.adapterBlockAt(row);
        const bool checkable = at(row, Col::AdapterColumn).flags() & Qt::ItemIsUserCheckable;
        EXPECT_EQ(checkable, !block.isEmpty());
        if (block.isEmpty()) continue;
        EXPECT_EQ(at(row, Col::BlockColumn).data().toString(), block);
        EXPECT_FALSE(seen.contains(block));
        if (row > 0) {
            EXPECT_NE(at(row - 1, Col::BlockColumn).data().toString(), block);
        }
        seen << block;
    }
    EXPECT_EQ(seen.size(), static_cast<qsizetype>(blocks.size()));

    int row = 0;
    while (row < model.rowCount() && model.adapterBlockAt(row).isEmpty()) ++row;
    ASSERT_LT(row, model.rowCount());
    QSignalSpy requested(&model, &PlanTableModel::adapterRequested);
    EXPECT_EQ(at(row, Col::AdapterColumn).data(Qt::CheckStateRole).value<Qt::CheckState>(),
              Qt::Unchecked);
    EXPECT_TRUE(model.setData(at(row, Col::AdapterColumn), Qt::Checked, Qt::CheckStateRole));
    ASSERT_EQ(requested.count(), 1);
    EXPECT_EQ(requested[0][0].toString(), model.adapterBlockAt(row));
    EXPECT_TRUE(requested[0][1].toBool());
    EXPECT_EQ(at(row, Col::AdapterColumn).data(Qt::CheckStateRole).value<Qt::CheckState>(),
              Qt::Unchecked);  // until the document says otherwise
    EXPECT_TRUE(model.plan().adapters.empty());
}

TEST_F(PlanTableModelTest, SetPlanUpdatesTheModeCellsInPlace) {
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    TrainingPlan next = make_preset(*network, "tinytl-lb").value();
    const std::string op = model.opAt(0).toStdString();
    next.layers[op] = {UpdateMode::sparse, 0.25};
    model.setPlan(next, reportFor(*network, next));
    EXPECT_EQ(reset.count(), 0);
    ASSERT_EQ(changed.count(), 1);
    const QModelIndex topLeft = changed[0][0].toModelIndex();
    const QModelIndex bottomRight = changed[0][1].toModelIndex();
    EXPECT_LE(topLeft.column(), int(Col::ModeColumn));
    EXPECT_EQ(bottomRight.column(), int(Col::AdapterColumn));
    EXPECT_EQ(topLeft.row(), 0);
    EXPECT_EQ(bottomRight.row(), model.rowCount() - 1);
    EXPECT_EQ(at(0, Col::ModeColumn).data().toString(), "sparse 25%");
    EXPECT_EQ(model.plan(), next);
    for (int row = 0; row < model.rowCount(); ++row) {
        if (model.adapterBlockAt(row).isEmpty()) continue;
        EXPECT_EQ(at(row, Col::AdapterColumn).data(Qt::CheckStateRole).value<Qt::CheckState>(),
                  Qt::Checked);
    }
}

TEST_F(PlanTableModelTest, DelegateEditorRoundTripsALayerPlan) {
    PlanTableDelegate delegate;
    QWidget parent;
    const int row = rowWhere(&lacksBiasOnly);
    ASSERT_GE(row, 0);
    const QModelIndex index = at(row, Col::ModeColumn);
    std::unique_ptr<QWidget> widget(delegate.createEditor(&parent, {}, index));
    auto* editor = qobject_cast<ModeEditor*>(widget.get());
    ASSERT_NE(editor, nullptr);
    QStringList offered;
    for (int i = 0; i < editor->modeBox()->count(); ++i) offered << editor->modeBox()->itemText(i);
    EXPECT_EQ(offered, (QStringList{"frozen", "sparse", "full"}));

    delegate.setEditorData(editor, index);
    EXPECT_EQ(editor->layerPlan(), plan.layer(model.opAt(row).toStdString()));

    editor->modeBox()->setCurrentIndex(editor->modeBox()->findText("sparse"));
    editor->percentBox()->setValue(12.5);
    QSignalSpy requested(&model, &PlanTableModel::layerPlanRequested);
    delegate.setModelData(editor, &model, index);
    ASSERT_EQ(requested.count(), 1);
    EXPECT_EQ(requested[0][1].value<LayerPlan>(), (LayerPlan{UpdateMode::sparse, 0.125}));

    editor->setLayerPlan({UpdateMode::sparse, 0.25});
    EXPECT_DOUBLE_EQ(editor->percentBox()->value(), 25.0);
    EXPECT_TRUE(editor->percentBox()->isEnabled());
    editor->setLayerPlan({UpdateMode::full, 1.0});
    EXPECT_FALSE(editor->percentBox()->isEnabled());
}

TEST_F(PlanTableModelTest, PickingAModeInTheViewCommitsIt) {
    QTableView view;
    view.setModel(&model);
    PlanTableDelegate delegate;
    view.setItemDelegate(&delegate);
    view.resize(1200, 600);
    view.show();
    QSignalSpy requested(&model, &PlanTableModel::layerPlanRequested);
    const QModelIndex index = at(0, Col::ModeColumn);
    view.edit(index);
    auto* editor = view.findChild<ModeEditor*>();
    ASSERT_NE(editor, nullptr);
    const int full = editor->modeBox()->findText("full");
    ASSERT_GE(full, 0);
    editor->modeBox()->setCurrentIndex(full);
    emit editor->modeBox()->activated(full);
    ASSERT_EQ(requested.count(), 1);
    EXPECT_EQ(requested[0][0].toStringList(), QStringList{model.opAt(0)});
    EXPECT_EQ(requested[0][1].value<LayerPlan>(), (LayerPlan{UpdateMode::full, 1.0}));
    EXPECT_FALSE(view.grab().isNull());  // paints the share bars
}

TEST_F(PlanTableModelTest, NewNetworkResetsAndClearsThePlan) {
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    model.setNetwork(nullptr);
    EXPECT_EQ(reset.count(), 1);
    EXPECT_EQ(model.rowCount(), 0);
    EXPECT_TRUE(model.plan().layers.empty());
    EXPECT_TRUE(model.opAt(0).isEmpty());
}

}  // namespace
}  // namespace tp
