// PlanDocument: every edit is one undoable step, undo/redo restore the exact design, and what
// the document derives equals what the engine derives directly for the same design.
#include "app/studio/plan_document.h"

#include <gtest/gtest.h>

#include <QSignalSpy>
#include <QUndoStack>

#include "engine/zoo/zoo.h"

namespace tp {
namespace {

class PlanDocumentTest : public ::testing::Test {
  protected:
    PlanDocumentTest() {
        auto net = build_zoo_model("mcunet");
        EXPECT_TRUE(net.ok());
        network = std::make_shared<const Network>(std::move(net).value());
        doc.setDeviceLibrary(load_device_library(default_device_dirs()));
        auto plan = make_preset(*network, "last-layer");
        EXPECT_TRUE(plan.ok());
        PlanDesign design;
        design.plan = *plan;
        design.deviceId = "stm32f746";
        design.budgetBytes = 2 * 1024 * 1024;
        doc.reset(network, "zoo:mcunet", design);
    }

    std::shared_ptr<const Network> network;
    PlanDocument doc;
};

TEST_F(PlanDocumentTest, ResetIsNotAnEditAndDerivesTheGraph) {
    EXPECT_FALSE(doc.isModified());
    EXPECT_EQ(doc.undoStack()->count(), 0);
    ASSERT_NE(doc.derived().graph, nullptr);
    ASSERT_NE(doc.derived().costs, nullptr);
    auto direct = derive_training_graph(*network, doc.design().plan);
    ASSERT_TRUE(direct.ok());
    EXPECT_EQ(doc.derived().graph->nodes.size(), direct->nodes.size());
    EXPECT_EQ(doc.derived().memory->peak_bytes, store_all_memory(*direct).peak_bytes);
    ASSERT_NE(doc.device(), nullptr);
    EXPECT_EQ(doc.device()->id, "stm32f746");
}

TEST_F(PlanDocumentTest, LayerEditsUndoAndRedoExactly) {
    const PlanDesign before = doc.design();
    const std::vector<std::string> layers = trainable_layers(*network);
    ASSERT_GE(layers.size(), 3u);
    QSignalSpy changed(&doc, &PlanDocument::designChanged);
    const QStringList ops = {QString::fromStdString(layers[0]), QString::fromStdString(layers[1])};
    EXPECT_TRUE(doc.setLayerPlan(ops, {UpdateMode::sparse, 0.25}).isEmpty());
    EXPECT_EQ(doc.undoStack()->count(), 1) << "a multi-layer edit is one step";
    EXPECT_EQ(doc.design().plan.layer(layers[0]).mode, UpdateMode::sparse);
    EXPECT_DOUBLE_EQ(doc.design().plan.layer(layers[1]).channel_fraction, 0.25);
    EXPECT_TRUE(doc.isModified());
    const PlanDesign after = doc.design();
    const int64_t peakAfter = doc.derived().memory->peak_bytes;

    doc.undoStack()->undo();
    EXPECT_EQ(doc.design(), before);
    EXPECT_FALSE(doc.isModified());
    doc.undoStack()->redo();
    EXPECT_EQ(doc.design(), after);
    EXPECT_EQ(doc.derived().memory->peak_bytes, peakAfter);
    EXPECT_EQ(changed.size(), 3);
}

TEST_F(PlanDocumentTest, ConsecutiveBudgetEditsMergeIntoOneStep) {
    const qint64 original = doc.design().budgetBytes;
    doc.setBudget(3 * 1024 * 1024);
    doc.setBudget(4 * 1024 * 1024);
    doc.setBudget(5 * 1024 * 1024);
    EXPECT_EQ(doc.undoStack()->count(), 1);
    EXPECT_EQ(doc.design().budgetBytes, 5 * 1024 * 1024);
    doc.undoStack()->undo();
    EXPECT_EQ(doc.design().budgetBytes, original);
}

TEST_F(PlanDocumentTest, PresetBoardAndSolverAreUndoable) {
    EXPECT_TRUE(doc.applyPreset("bias-only").isEmpty());
    auto bias = make_preset(*network, "bias-only");
    ASSERT_TRUE(bias.ok());
    EXPECT_EQ(doc.design().plan.layers, bias->layers);
    EXPECT_TRUE(doc.setDevice("nrf52840").isEmpty());
    EXPECT_EQ(doc.device()->id, "nrf52840");
    doc.setSolver("sqrt-n");
    EXPECT_EQ(doc.undoStack()->count(), 3);
    doc.undoStack()->undo();
    doc.undoStack()->undo();
    EXPECT_EQ(doc.design().deviceId, "stm32f746");
    EXPECT_EQ(doc.design().solver, "milp");
}

TEST_F(PlanDocumentTest, BadEditsAreErrorsThatChangeNothing) {
    const PlanDesign before = doc.design();
    EXPECT_TRUE(doc.setLayerPlan({"no-such-layer"}, {UpdateMode::full, 1.0}).contains(
        "no-such-layer"));
    EXPECT_TRUE(doc.applyPreset("no-such-preset").contains("no-such-preset"));
    EXPECT_TRUE(doc.setDevice("no-such-board").contains("no-such-board"));
    EXPECT_EQ(doc.design(), before);
    EXPECT_EQ(doc.undoStack()->count(), 0);
}

TEST_F(PlanDocumentTest, SameValueEditsPushNothing) {
    doc.setBudget(doc.design().budgetBytes);
    doc.setSolver(doc.design().solver);
    EXPECT_EQ(doc.undoStack()->count(), 0);
}

TEST_F(PlanDocumentTest, AnUnknownBoardLeavesNoCostsAndSaysWhy) {
    PlanDesign design = doc.design();
    design.deviceId = "gone-board";
    doc.reset(network, "zoo:mcunet", design);
    EXPECT_NE(doc.derived().graph, nullptr);
    EXPECT_EQ(doc.derived().costs, nullptr);
    EXPECT_TRUE(doc.derived().problem.contains("gone-board"));
}

}  // namespace
}  // namespace tp
