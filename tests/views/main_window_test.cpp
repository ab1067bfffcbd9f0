// MainWindow driven through its public slots, as a user would: open, fail, supersede.
#include "app/studio/main_window.h"

#include <gtest/gtest.h>

#include <QDropEvent>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTableView>
#include <QTest>

#include "engine/zoo/zoo.h"
#include "views/layer_table_model.h"
#include "views/number_format.h"

namespace tp {
namespace {

constexpr int kLoadTimeoutMs = 20000;

class MainWindowTest : public ::testing::Test {
  protected:
    MainWindowTest() { window.setInteractive(false); }

    // Opens `spec` and waits for the outcome; true when modelLoaded() came.
    bool open(const QString& spec) {
        QSignalSpy loaded(&window, &MainWindow::modelLoaded);
        QSignalSpy failed(&window, &MainWindow::loadFailed);
        window.openModel(spec);
        (void)QTest::qWaitFor([&] { return !loaded.isEmpty() || !failed.isEmpty(); },
                              kLoadTimeoutMs);
        lastError = failed.isEmpty() ? QString() : failed.first().first().toString();
        return !loaded.isEmpty();
    }

    int tableRows() const {
        return window.findChild<QTableView*>("layerTable")->model()->rowCount();
    }
    QString totalsText() const { return window.findChild<QLabel*>("totalsLabel")->text(); }

    MainWindow window;
    QString lastError;
};

TEST_F(MainWindowTest, ZooModelFillsTableAndTotals) {
    ASSERT_TRUE(open("zoo:resnet18")) << lastError.toStdString();
    const Network* net = window.network().get();
    ASSERT_NE(net, nullptr);
    auto reference = build_zoo_model("resnet18");
    ASSERT_TRUE(reference.ok()) << reference.error().message;
    EXPECT_EQ(tableRows(), static_cast<int>(reference->ops.size()));
    EXPECT_TRUE(
        totalsText().contains(formatCount(reference->trainable_param_count()) + " parameters"))
        << totalsText().toStdString();
    EXPECT_TRUE(totalsText().contains(formatCount(reference->total_macs()) + " MACs"))
        << totalsText().toStdString();
    // "[*]" is where the platform shows the unsaved-changes mark.
    EXPECT_EQ(window.windowTitle(), QString::fromStdString(net->name) + "[*] — TrainPlan Studio");
    EXPECT_FALSE(window.isLoading());
}

TEST_F(MainWindowTest, OnnxFileShowsTheFrameworksParameterCount) {
    // expected.json holds what torch counted when it exported the file.
    QFile file(TP_FIXTURES_DIR "/onnx/expected.json");
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QJsonObject expected = QJsonDocument::fromJson(file.readAll())
                                     .object()["models"]
                                     .toObject()["resnet18"]
                                     .toObject();
    const qint64 params = expected["params"].toInteger();
    ASSERT_GT(params, 0);

    ASSERT_TRUE(open(TP_FIXTURES_DIR "/onnx/resnet18.onnx")) << lastError.toStdString();
    EXPECT_TRUE(totalsText().contains(formatCount(params) + " parameters"))
        << totalsText().toStdString();
    EXPECT_EQ(tableRows(), static_cast<int>(window.network()->ops.size()));
}

TEST_F(MainWindowTest, MissingFileFailsNamingItAndKeepsTheCurrentNetwork) {
    ASSERT_TRUE(open("zoo:resnet18")) << lastError.toStdString();
    const auto before = window.network();
    const int rowsBefore = tableRows();
    const QString titleBefore = window.windowTitle();

    EXPECT_FALSE(open("/nonexistent.onnx"));
    EXPECT_TRUE(lastError.contains("/nonexistent.onnx")) << lastError.toStdString();
    EXPECT_TRUE(window.statusBar()->currentMessage().contains("/nonexistent.onnx"));
    EXPECT_EQ(window.network(), before);
    EXPECT_EQ(tableRows(), rowsBefore);
    EXPECT_EQ(window.windowTitle(), titleBefore);
    EXPECT_EQ(window.currentSpec(), "zoo:resnet18");
    EXPECT_FALSE(window.isLoading());
}

TEST_F(MainWindowTest, NewerRequestSupersedesOneStillRunning) {
    QSignalSpy failed(&window, &MainWindow::loadFailed);
    window.openModel("/nonexistent.onnx");  // its result arrives after the next request
    ASSERT_TRUE(open("zoo:resnet18")) << lastError.toStdString();
    QCoreApplication::processEvents();
    EXPECT_TRUE(failed.isEmpty());
    EXPECT_EQ(window.currentSpec(), "zoo:resnet18");
}

TEST_F(MainWindowTest, CancelledLoadLeavesTheWindowAsItWas) {
    ASSERT_TRUE(open("zoo:mcunet")) << lastError.toStdString();
    const auto before = window.network();
    QSignalSpy loaded(&window, &MainWindow::modelLoaded);
    QSignalSpy failed(&window, &MainWindow::loadFailed);
    window.openModel("zoo:resnet18");
    EXPECT_TRUE(window.isLoading());
    window.cancelLoad();
    EXPECT_FALSE(window.isLoading());
    QTest::qWait(500);  // the worker finishes meanwhile; its result must be dropped
    EXPECT_TRUE(loaded.isEmpty());
    EXPECT_TRUE(failed.isEmpty());
    EXPECT_EQ(window.network(), before);
    EXPECT_EQ(window.currentSpec(), "zoo:mcunet");
}

TEST_F(MainWindowTest, DroppedModelFileIsOpened) {
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile("/nonexistent.onnx")});
    QSignalSpy failed(&window, &MainWindow::loadFailed);
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&window, &enter);
    EXPECT_TRUE(enter.isAccepted());
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(&window, &drop);
    ASSERT_TRUE(failed.wait(kLoadTimeoutMs));
    EXPECT_TRUE(failed.first().first().toString().contains("/nonexistent.onnx"));
}

TEST_F(MainWindowTest, DragOfOtherFilesIsRefused) {
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile("/tmp/notes.txt")});
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    enter.setAccepted(false);
    QCoreApplication::sendEvent(&window, &enter);
    EXPECT_FALSE(enter.isAccepted());
}

TEST_F(MainWindowTest, SelectingARowShowsThatLayerInTheInspector) {
    ASSERT_TRUE(open("zoo:resnet18")) << lastError.toStdString();
    auto* table = window.findChild<QTableView*>("layerTable");
    table->sortByColumn(LayerTableModel::MacsColumn, Qt::DescendingOrder);
    table->selectRow(0);
    // Whatever the sort, the inspector names the op behind the selected row.
    const QString name = table->model()->index(0, LayerTableModel::LayerColumn).data().toString();
    EXPECT_TRUE(window.findChild<QLabel*>("layerDetails")->text().contains(name));
    table->sortByColumn(-1, Qt::AscendingOrder);
}

TEST_F(MainWindowTest, ZooMenuOffersEveryZooModel) {
    QMenu* zoo = nullptr;
    for (QMenu* menu : window.menuBar()->findChildren<QMenu*>())
        if (menu->title().remove('&') == "New from zoo") zoo = menu;
    ASSERT_NE(zoo, nullptr);
    QStringList ids;
    for (QAction* action : zoo->actions()) ids << action->text();
    QStringList expected;
    for (const ZooEntry& entry : zoo_entries()) expected << QString::fromStdString(entry.id);
    EXPECT_EQ(ids, expected);
    EXPECT_FALSE(expected.isEmpty());
}

}  // namespace
}  // namespace tp
