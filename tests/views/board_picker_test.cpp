// BoardPicker over the real board library (devices/*.json): every board listed with the
// profile's numbers, choices signalled once and only when the user makes them.
#include "views/board_picker.h"

#include <gtest/gtest.h>

#include <QAbstractItemView>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "views/number_format.h"

namespace tp {
namespace {

const QString kDevicesDir = QStringLiteral(TP_FIXTURES_DIR "/../../devices");

class BoardPickerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        // The user folder is an empty one, so the library is exactly the built-in boards.
        ASSERT_TRUE(userDir.isValid());
        qputenv("TRAINPLAN_DEVICES", userDir.path().toUtf8());
        library = load_device_library(default_device_dirs());
        ASSERT_TRUE(library.problems.empty()) << library.problems.front().message;
        ASSERT_GE(library.devices.size(), 3u);
        picker.setLibrary(library);
    }
    void TearDown() override { qunsetenv("TRAINPLAN_DEVICES"); }

    QComboBox* combo() const { return picker.findChild<QComboBox*>("boardCombo"); }
    QString detail() const { return picker.findChild<QLabel*>("boardDetail")->text(); }
    QString cell(int row, int column) const {
        return combo()->model()->index(row, column).data().toString();
    }

    QTemporaryDir userDir;
    DeviceLibrary library;
    BoardPicker picker;
};

TEST_F(BoardPickerTest, ListsEveryBoardFileWithItsSram) {
    const QStringList files = QDir(kDevicesDir).entryList({"*.json"}, QDir::Files, QDir::Name);
    ASSERT_EQ(combo()->count(), files.size());
    for (int row = 0; row < files.size(); ++row) {
        const Device& d = library.devices[row];
        EXPECT_EQ(QString::fromStdString(d.id) + ".json", files[row]);
        EXPECT_EQ(cell(row, 0), QString::fromStdString(d.name));
        EXPECT_EQ(cell(row, 1), QString::fromStdString(d.core));
        EXPECT_EQ(cell(row, 2), formatBytes(d.sram_bytes));
        // Application processors (Jetson, Pi) have no internal flash: a dash, not "0 B".
        EXPECT_EQ(cell(row, 3),
                  d.flash_bytes > 0 ? formatBytes(d.flash_bytes) : QStringLiteral("—"));
        ASSERT_TRUE(d.storage);
        EXPECT_TRUE(cell(row, 4).endsWith(formatBytes(d.storage->capacity_bytes)))
            << cell(row, 4).toStdString();
    }
    EXPECT_EQ(cell(0, 2), formatBytes(library.devices[0].sram_bytes));
    // The datasheet's 320 KB of the 256KB paper's board, in the binary units the studio uses.
    EXPECT_EQ(formatBytes(library.find("stm32f746")->sram_bytes), QStringLiteral("320.0 KiB"));
}

TEST_F(BoardPickerTest, ProgrammaticChoiceDoesNotEmit) {
    QSignalSpy changed(&picker, &BoardPicker::deviceChanged);
    EXPECT_TRUE(picker.currentDeviceId().isEmpty());
    EXPECT_EQ(picker.currentDevice(), nullptr);
    EXPECT_TRUE(picker.setCurrentDevice("stm32f746"));
    EXPECT_EQ(picker.currentDeviceId(), QStringLiteral("stm32f746"));
    ASSERT_NE(picker.currentDevice(), nullptr);
    EXPECT_EQ(picker.currentDevice()->sram_bytes, 327680);
    EXPECT_FALSE(picker.setCurrentDevice("no-such-board"));
    EXPECT_EQ(picker.currentDeviceId(), QStringLiteral("stm32f746"));
    EXPECT_TRUE(changed.isEmpty());
}

TEST_F(BoardPickerTest, DetailShowsClockMemoryAndStorageBandwidth) {
    ASSERT_TRUE(picker.setCurrentDevice("stm32f746"));
    const QString text = detail();
    EXPECT_TRUE(text.contains("Cortex-M7")) << text.toStdString();
    EXPECT_TRUE(text.contains("216 MHz"));
    EXPECT_TRUE(text.contains("SRAM 320.0 KiB"));
    EXPECT_TRUE(text.contains("flash 1.00 MiB"));
    EXPECT_TRUE(text.contains("SD card: read 12.5 MB/s, write 10.0 MB/s"));
}

TEST_F(BoardPickerTest, BoardWithoutStorageSaysItCannotPage) {
    DeviceLibrary one;
    one.devices = {*library.find("nrf52840")};
    one.devices[0].storage.reset();
    picker.setLibrary(one);
    ASSERT_TRUE(picker.setCurrentDevice("nrf52840"));
    EXPECT_TRUE(detail().contains("no paging storage")) << detail().toStdString();
    EXPECT_EQ(cell(0, 4), QStringLiteral("none"));
}

TEST_F(BoardPickerTest, KeyboardChoiceEmitsOnceWithTheNewBoard) {
    ASSERT_TRUE(picker.setCurrentDevice(QString::fromStdString(library.devices[0].id)));
    QSignalSpy changed(&picker, &BoardPicker::deviceChanged);
    QTest::keyClick(combo(), Qt::Key_Down);
    ASSERT_EQ(changed.size(), 1);
    const Device& second = library.devices[1];
    EXPECT_EQ(changed.first().first().toString(), QString::fromStdString(second.id));
    EXPECT_EQ(picker.currentDevice()->id, second.id);
    EXPECT_TRUE(detail().contains(formatBytes(second.sram_bytes))) << detail().toStdString();
    // Choosing the board already chosen is no change.
    emit combo()->activated(1);
    EXPECT_EQ(changed.size(), 1);
}

TEST_F(BoardPickerTest, PopupClickChoosesTheRowsBoard) {
    ASSERT_TRUE(picker.setCurrentDevice(QString::fromStdString(library.devices[0].id)));
    picker.show();
    QSignalSpy changed(&picker, &BoardPicker::deviceChanged);
    combo()->showPopup();
    QAbstractItemView* view = combo()->view();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(view->window()));
    const QRect row = view->visualRect(combo()->model()->index(2, 0));
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, row.center());
    ASSERT_EQ(changed.size(), 1);
    EXPECT_EQ(changed.first().first().toString(), QString::fromStdString(library.devices[2].id));
}

TEST_F(BoardPickerTest, NewLibraryKeepsTheBoardOnlyWhenItIsStillThere) {
    ASSERT_TRUE(picker.setCurrentDevice("stm32f746"));
    QSignalSpy changed(&picker, &BoardPicker::deviceChanged);
    picker.setLibrary(library);
    EXPECT_EQ(picker.currentDeviceId(), QStringLiteral("stm32f746"));
    DeviceLibrary without;
    for (const Device& d : library.devices)
        if (d.id != "stm32f746") without.devices.push_back(d);
    picker.setLibrary(without);
    EXPECT_TRUE(picker.currentDeviceId().isEmpty());
    EXPECT_TRUE(detail().contains("No board chosen"));
    EXPECT_TRUE(changed.isEmpty());
}

TEST_F(BoardPickerTest, SkippedBoardFilesShowAWarningNamingTheFile) {
    QLabel* warning = picker.findChild<QLabel*>("boardProblems");
    EXPECT_FALSE(warning->isVisibleTo(&picker));
    QFile broken(userDir.filePath("broken.json"));
    ASSERT_TRUE(broken.open(QIODevice::WriteOnly));
    broken.write("{ \"format\": 1, ");
    broken.close();
    const DeviceLibrary withProblem = load_device_library(default_device_dirs());
    ASSERT_EQ(withProblem.problems.size(), 1u);
    picker.setLibrary(withProblem);
    EXPECT_TRUE(warning->isVisibleTo(&picker));
    EXPECT_TRUE(warning->toolTip().contains("broken.json")) << warning->toolTip().toStdString();
    ASSERT_EQ(picker.problemMessages().size(), 1);
    EXPECT_EQ(combo()->count(), static_cast<int>(library.devices.size()));
}

}  // namespace
}  // namespace tp
