// BudgetEditor driven by keyboard and mouse: slider and size field agree both ways, a commit
// is signalled exactly once, programmatic sets never signal, the range ends are exact bytes.
#include "views/budget_editor.h"

#include <gtest/gtest.h>

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QSignalSpy>
#include <QSlider>
#include <QTest>
#include <cmath>

namespace tp {
namespace {

constexpr qint64 KiB = 1024;
// The smallest feasible budget is rarely whole KiB; 183 KiB + 300 B stands for one.
constexpr qint64 kMin = 183 * KiB + 300;
constexpr qint64 kMax = 400 * KiB;

class BudgetEditorTest : public ::testing::Test {
  protected:
    void SetUp() override {
        editor.setRange(kMin, kMax);
        editor.setSramBytes(320 * KiB);
        editor.setBudgetBytes(256 * KiB);
        editor.resize(520, editor.sizeHint().height());
        editor.show();
        ASSERT_TRUE(QTest::qWaitForWindowExposed(&editor));
    }

    QSlider* slider() const { return editor.findChild<QSlider*>("budgetSlider"); }
    QDoubleSpinBox* field() const { return editor.findChild<QDoubleSpinBox*>("budgetField"); }
    QCheckBox* deadlineCheck() const { return editor.findChild<QCheckBox*>("deadlineCheck"); }
    QDoubleSpinBox* deadlineField() const {
        return editor.findChild<QDoubleSpinBox*>("deadlineField");
    }
    static void enter(QDoubleSpinBox* box, const QString& text) {
        box->setFocus();
        box->selectAll();
        QTest::keyClicks(box, text);
        QTest::keyClick(box, Qt::Key_Return);
    }

    BudgetEditor editor;
};

TEST_F(BudgetEditorTest, ShowsTheSetBudgetInSliderAndField) {
    EXPECT_EQ(editor.budgetBytes(), 256 * KiB);
    EXPECT_FALSE(editor.isLogarithmic());
    EXPECT_EQ(slider()->value(), 256);  // one tick per KiB
    EXPECT_DOUBLE_EQ(field()->value(), 256.0);
    EXPECT_EQ(field()->suffix(), QStringLiteral(" KiB"));
}

TEST_F(BudgetEditorTest, SliderKeyCommitsOnceAndMovesTheField) {
    QSignalSpy changed(&editor, &BudgetEditor::budgetChanged);
    slider()->setFocus();
    QTest::keyClick(slider(), Qt::Key_Right);
    ASSERT_EQ(changed.size(), 1);
    EXPECT_EQ(changed.first().first().toLongLong(), 257 * KiB);
    EXPECT_EQ(editor.budgetBytes(), 257 * KiB);
    EXPECT_DOUBLE_EQ(field()->value(), 257.0);
}

TEST_F(BudgetEditorTest, FieldEntryCommitsOnceAndMovesTheSlider) {
    QSignalSpy changed(&editor, &BudgetEditor::budgetChanged);
    enter(field(), QStringLiteral("300"));
    ASSERT_EQ(changed.size(), 1);
    EXPECT_EQ(changed.first().first().toLongLong(), 300 * KiB);
    EXPECT_EQ(slider()->value(), 300);
    // Entering the value already shown is no change; focus leaving commits nothing more.
    enter(field(), QStringLiteral("300"));
    slider()->setFocus();
    EXPECT_EQ(changed.size(), 1);
    // A tenth of a KiB is kept: 300.5 KiB = 307,712 bytes.
    enter(field(), QStringLiteral("300.5"));
    ASSERT_EQ(changed.size(), 2);
    EXPECT_EQ(changed.last().first().toLongLong(), 307712);
}

TEST_F(BudgetEditorTest, DragPreviewsAndCommitsOnceOnRelease) {
    QSignalSpy changed(&editor, &BudgetEditor::budgetChanged);
    QSignalSpy preview(&editor, &BudgetEditor::budgetPreview);
    slider()->setSliderDown(true);  // as a mouse press on the handle does
    for (int kib : {270, 290, 310}) slider()->setValue(kib);
    EXPECT_EQ(preview.size(), 3);
    EXPECT_EQ(preview.last().first().toLongLong(), 310 * KiB);
    EXPECT_TRUE(changed.isEmpty());
    EXPECT_DOUBLE_EQ(field()->value(), 310.0);   // the field follows the handle
    EXPECT_EQ(editor.budgetBytes(), 256 * KiB);  // nothing committed yet
    slider()->setSliderDown(false);              // release
    ASSERT_EQ(changed.size(), 1);
    EXPECT_EQ(changed.first().first().toLongLong(), 310 * KiB);
    EXPECT_EQ(editor.budgetBytes(), 310 * KiB);
}

TEST_F(BudgetEditorTest, ClickOnTheGrooveCommitsOnePageStep) {
    QSignalSpy changed(&editor, &BudgetEditor::budgetChanged);
    QTest::mouseClick(slider(), Qt::LeftButton, {},
                      QPoint(slider()->width() - 3, slider()->height() / 2));
    ASSERT_EQ(changed.size(), 1);
    EXPECT_GT(editor.budgetBytes(), 256 * KiB);
    EXPECT_EQ(changed.first().first().toLongLong(), editor.budgetBytes());
    EXPECT_DOUBLE_EQ(field()->value(), editor.budgetBytes() / 1024.0);
}

TEST_F(BudgetEditorTest, RangeEndsAreTheExactBytes) {
    QSignalSpy changed(&editor, &BudgetEditor::budgetChanged);
    slider()->setFocus();
    QTest::keyClick(slider(), Qt::Key_Home);
    EXPECT_EQ(editor.budgetBytes(), kMin);  // not rounded to a whole KiB
    QTest::keyClick(slider(), Qt::Key_End);
    EXPECT_EQ(editor.budgetBytes(), kMax);
    EXPECT_EQ(changed.size(), 2);
    enter(field(), QStringLiteral("100"));  // below the range: the field stops at its minimum
    EXPECT_EQ(editor.budgetBytes(), kMin);
}

TEST_F(BudgetEditorTest, ProgrammaticSettersNeverEmit) {
    QSignalSpy changed(&editor, &BudgetEditor::budgetChanged);
    QSignalSpy preview(&editor, &BudgetEditor::budgetPreview);
    QSignalSpy deadline(&editor, &BudgetEditor::deadlineChanged);
    editor.setRange(100 * KiB, 2000 * KiB);
    editor.setSramBytes(512 * KiB);
    editor.setBudgetBytes(777 * KiB);
    editor.setDeadline(2.5);
    editor.setDeadline(std::nullopt);
    EXPECT_TRUE(changed.isEmpty());
    EXPECT_TRUE(preview.isEmpty());
    EXPECT_TRUE(deadline.isEmpty());
    EXPECT_EQ(slider()->value(), 777);
    EXPECT_DOUBLE_EQ(field()->value(), 777.0);
}

TEST_F(BudgetEditorTest, BudgetOutsideTheRangeWidensItAndIsKeptExactly) {
    editor.setBudgetBytes(100 * KiB + 1);
    EXPECT_EQ(editor.budgetBytes(), 100 * KiB + 1);
    EXPECT_EQ(editor.minimumBytes(), 100 * KiB + 1);
    EXPECT_DOUBLE_EQ(field()->value(), 100.0);
}

TEST_F(BudgetEditorTest, SramIsLabelledUnderTheSlider) {
    QWidget* ruler = editor.findChild<QWidget*>("budgetRuler");
    ASSERT_NE(ruler, nullptr);
    EXPECT_TRUE(ruler->toolTip().contains("SRAM 320.0 KiB")) << ruler->toolTip().toStdString();
    editor.setSramBytes(0);
    EXPECT_TRUE(ruler->toolTip().isEmpty());
}

TEST_F(BudgetEditorTest, WideRangeUsesALogarithmicSliderOfWholeKiB) {
    const qint64 lo = 180 * KiB, hi = qint64(10) * 1024 * 1024 * KiB;  // 10 GiB board
    editor.setRange(lo, hi);
    editor.setBudgetBytes(320 * KiB);
    ASSERT_TRUE(editor.isLogarithmic());
    ASSERT_EQ(slider()->maximum(), BudgetEditor::kLogTicks);
    const double t = std::log(320.0 / 180.0) / std::log(double(hi) / double(lo));
    EXPECT_EQ(slider()->value(), std::lround(t * BudgetEditor::kLogTicks));
    QSignalSpy changed(&editor, &BudgetEditor::budgetChanged);
    slider()->setFocus();
    QTest::keyClick(slider(), Qt::Key_Home);
    EXPECT_EQ(editor.budgetBytes(), lo);
    QTest::keyClick(slider(), Qt::Key_Right);
    EXPECT_EQ(editor.budgetBytes() % KiB, 0);
    EXPECT_GT(editor.budgetBytes(), lo);
    QTest::keyClick(slider(), Qt::Key_End);
    EXPECT_EQ(editor.budgetBytes(), hi);
    EXPECT_EQ(changed.size(), 3);
}

TEST_F(BudgetEditorTest, DeadlineSwitchesOnEditsAndOff) {
    using Seconds = std::optional<double>;
    QSignalSpy deadline(&editor, &BudgetEditor::deadlineChanged);
    EXPECT_FALSE(editor.deadlineSeconds());
    EXPECT_FALSE(deadlineField()->isEnabled());
    QTest::mouseClick(deadlineCheck(), Qt::LeftButton);
    ASSERT_EQ(deadline.size(), 1);
    EXPECT_EQ(deadline.last().first().value<Seconds>(), Seconds(1.0));
    EXPECT_TRUE(deadlineField()->isEnabled());
    enter(deadlineField(), QStringLiteral("2.5"));
    ASSERT_EQ(deadline.size(), 2);
    EXPECT_EQ(deadline.last().first().value<Seconds>(), Seconds(2.5));
    EXPECT_EQ(editor.deadlineSeconds(), Seconds(2.5));
    QTest::mouseClick(deadlineCheck(), Qt::LeftButton);
    ASSERT_EQ(deadline.size(), 3);
    EXPECT_EQ(deadline.last().first().value<Seconds>(), Seconds());
    EXPECT_FALSE(editor.deadlineSeconds());

    editor.setDeadline(0.75);  // programmatic: shown, not signalled
    EXPECT_EQ(deadline.size(), 3);
    EXPECT_TRUE(deadlineCheck()->isChecked());
    EXPECT_DOUBLE_EQ(deadlineField()->value(), 0.75);
    EXPECT_EQ(editor.deadlineSeconds(), Seconds(0.75));
}

}  // namespace
}  // namespace tp
