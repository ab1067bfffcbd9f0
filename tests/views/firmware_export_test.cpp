// File ▸ Export firmware… driven through the real MainWindow and the real `trainplan` CLI:
// the design the window holds is what the CLI exports (read back from the export's own
// memory_report.json), Verify builds and runs it, Cancel stops the tool and every process it
// started, and a missing tool or a refused folder is said in the status line.
#include <gtest/gtest.h>

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

#include "app/studio/firmware_export_dialog.h"
#include "app/studio/firmware_job.h"
#include "app/studio/main_window.h"
#include "app/studio/main_window_keys.h"
#include "app/studio/target_panel.h"
#include "views/number_format.h"

#ifdef Q_OS_LINUX
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#endif

namespace tp {
namespace {

constexpr int kTimeoutMs = 120000;
const QString kTinyCnn = QStringLiteral(TP_FIXTURES_DIR "/onnx/tiny_cnn.onnx");

QJsonObject readJson(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

#ifdef Q_OS_LINUX
// The command lines of the running processes that mention `text` (this test excluded).
QStringList processesMentioning(const QString& text) {
    QStringList found;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString& entry : entries) {
        bool isPid = false;
        const qint64 pid = entry.toLongLong(&isPid);
        if (!isPid || pid == QCoreApplication::applicationPid()) continue;
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
        if (!cmdline.open(QIODevice::ReadOnly)) continue;
        const QString line = QString::fromLocal8Bit(cmdline.readAll()).replace(QChar(0), ' ');
        if (line.contains(text)) found << QStringLiteral("%1: %2").arg(pid).arg(line);
    }
    return found;
}
#endif

#ifdef Q_OS_LINUX
// Whether `pid` is a live process (not gone, not a zombie waiting for its parent).
bool alive(qint64 pid) {
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly)) return false;
    const QByteArray line = stat.readAll();
    const qsizetype close = line.lastIndexOf(')');
    return close > 0 && close + 2 < line.size() && line[close + 2] != 'Z' && line[close + 2] != 'X';
}

TEST(FirmwareJobTest, CancelStopsTheToolAndEverythingItStarted) {
    // A stand-in for the CLI that starts one child in its process group and one, like GNU
    // timeout around QEMU, in a session of its own; both would outlive a plain kill.
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString script = dir.filePath("trainplan");
    QFile file(script);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write(
        "#!/bin/sh\n"
        "sleep 300 &\n"
        "echo \"child $!\"\n"
        "setsid sleep 300 &\n"
        "echo \"child $!\"\n"
        "wait\n");
    file.close();
    ASSERT_TRUE(file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));

    FirmwareJob job;
    job.setCliPath(script);
    QString output;
    QObject::connect(&job, &FirmwareJob::output, [&](const QString& text) { output += text; });
    QSignalSpy finished(&job, &FirmwareJob::finished);
    job.startVerify(dir.path(), {"host"});
    ASSERT_TRUE(job.isRunning());
    const qint64 tool = job.processId();
    ASSERT_TRUE(QTest::qWaitFor([&] { return output.count("child ") == 2; }, 10000))
        << output.toStdString();
    QList<qint64> children;
    for (auto it = QRegularExpression("child (\\d+)").globalMatch(output); it.hasNext();)
        children << it.next().captured(1).toLongLong();
    ASSERT_EQ(children.size(), 2);
    QTest::qWait(100);  // setsid has exec'd sleep
    for (qint64 pid : children) ASSERT_TRUE(alive(pid)) << pid;

    job.cancel();
    ASSERT_TRUE(finished.wait(10000));
    EXPECT_FALSE(finished.first()[0].toBool());
    EXPECT_EQ(finished.first()[2].toString(), "Verify cancelled.");
    EXPECT_FALSE(job.isRunning());
    EXPECT_TRUE(QTest::qWaitFor(
        [&] { return !alive(tool) && !alive(children[0]) && !alive(children[1]); }, 2000))
        << "tool " << alive(tool) << ", group child " << alive(children[0])
        << ", own-session child " << alive(children[1]);
}
#endif

TEST(FirmwareJobTest, BuildsTheExportArguments) {
    FirmwareExportSettings s;
    s.outDir = QStringLiteral("/tmp/fw out");
    s.target = QStringLiteral("cortex-m7");
    s.learningRate = 0.0001;
    EXPECT_EQ(FirmwareJob::exportArguments(QStringLiteral("/tmp/x/design.tplan"), s),
              (QStringList{"export", "/tmp/x/design.tplan", "--out", "/tmp/fw out", "--target",
                           "cortex-m7", "--lr", "0.0001"}));
    s.target = QStringLiteral("host");
    s.learningRate = 0.01;
    s.steps = 25;
    EXPECT_EQ(FirmwareJob::exportArguments(QStringLiteral("d.tplan"), s),
              (QStringList{"export", "d.tplan", "--out", "/tmp/fw out", "--target", "host", "--lr",
                           "0.01", "--steps", "25"}));
}

TEST(FirmwareJobTest, BuildsTheVerifyArguments) {
    EXPECT_EQ(FirmwareJob::verifyArguments(QStringLiteral("/tmp/fw"), {"host"}),
              (QStringList{"verify", "/tmp/fw", "--targets", "host"}));
    EXPECT_EQ(
        FirmwareJob::verifyArguments(QStringLiteral("/tmp/fw"), {"host", "cortex-m4", "cortex-m7"}),
        (QStringList{"verify", "/tmp/fw", "--targets", "host,cortex-m4,cortex-m7"}));
}

class FirmwareExportTest : public ::testing::Test {
  protected:
    FirmwareExportTest() {
        window.setInteractive(false);
        window.targetPanel()->setAutoSolve(false);
    }

    bool openTinyCnn() {
        QSignalSpy loaded(&window, &MainWindow::modelLoaded);
        window.openModel(kTinyCnn);
        return loaded.wait(kTimeoutMs);
    }

    // The design of the README's firmware walk-through: every layer trained, STM32F746, 64 KiB.
    void designFull64K() {
        PlanDocument* doc = window.document();
        ASSERT_TRUE(doc->applyPreset("full").isEmpty());
        ASSERT_TRUE(doc->setDevice("stm32f746").isEmpty());
        doc->setBudget(64 * 1024);
    }

    // File ▸ Export firmware…, with the CLI this build made.
    FirmwareExportDialog* openDialog(const QString& cli = QStringLiteral(TP_CLI_PATH)) {
        auto* action = window.findChild<QAction*>("exportFirmwareAction");
        if (!action || !action->isEnabled()) return nullptr;
        action->trigger();
        auto* dialog = window.findChild<FirmwareExportDialog*>("firmwareExportDialog");
        if (!dialog) return nullptr;
        dialog->job()->setCliPath(cli);
        dialog->findChild<QComboBox*>("targetCombo")->setCurrentIndex(0);  // host
        return dialog;
    }

    template <class T>
    static T* child(FirmwareExportDialog* dialog, const char* name) {
        T* w = dialog->findChild<T*>(name);
        EXPECT_NE(w, nullptr) << name;
        return w;
    }

    static void setFolder(FirmwareExportDialog* dialog, const QString& path) {
        QLineEdit* edit = child<QLineEdit>(dialog, "folderEdit");
        edit->selectAll();
        QTest::keyClicks(edit, path);
    }

    static void click(FirmwareExportDialog* dialog, const char* button) {
        QTest::mouseClick(child<QPushButton>(dialog, button), Qt::LeftButton);
    }

    // Clicks `button` and waits for the job it starts to finish.
    static bool clickAndWait(FirmwareExportDialog* dialog, const char* button) {
        QSignalSpy done(dialog, &FirmwareExportDialog::jobFinished);
        click(dialog, button);
        return QTest::qWaitFor([&] { return !done.isEmpty(); }, kTimeoutMs);
    }

    static void checkOnlyHost(FirmwareExportDialog* dialog) {
        child<QCheckBox>(dialog, "verifyHostCheck")->setChecked(true);
        child<QCheckBox>(dialog, "verifyM4Check")->setChecked(false);
        child<QCheckBox>(dialog, "verifyM7Check")->setChecked(false);
    }

    MainWindow window;
    QTemporaryDir temp;
};

TEST_F(FirmwareExportTest, MenuActionWaitsForANetwork) {
    auto* action = window.findChild<QAction*>("exportFirmwareAction");
    ASSERT_NE(action, nullptr);
    EXPECT_FALSE(action->isEnabled());
    EXPECT_FALSE(action->statusTip().isEmpty());
    ASSERT_TRUE(openTinyCnn());
    EXPECT_TRUE(action->isEnabled());
}

TEST_F(FirmwareExportTest, ExportsTheWindowsDesignAndVerifiesItOnTheHost) {
    ASSERT_TRUE(temp.isValid());
    ASSERT_TRUE(openTinyCnn());
    designFull64K();
    const bool modifiedBefore = window.document()->isModified();
    const QStringList recentBefore = QSettings().value(studio_keys::kRecentFilesKey).toStringList();

    FirmwareExportDialog* dialog = openDialog();
    ASSERT_NE(dialog, nullptr);
    EXPECT_TRUE(dialog->isVisible());
    QLabel* design = child<QLabel>(dialog, "designLabel");
    EXPECT_TRUE(design->text().contains("stm32f746")) << design->text().toStdString();
    EXPECT_TRUE(design->text().contains(formatBytes(64 * 1024))) << design->text().toStdString();
    window.document()->setBudget(128 * 1024);  // the open dialog follows edits
    EXPECT_TRUE(design->text().contains(formatBytes(128 * 1024))) << design->text().toStdString();
    window.document()->setBudget(64 * 1024);
    const QString out = temp.filePath("tiny-firmware");
    setFolder(dialog, out);
    child<QDoubleSpinBox>(dialog, "learningRateSpin")->setValue(0.005);
    ASSERT_EQ(child<QSpinBox>(dialog, "stepsSpin")->value(), 0);  // auto
    EXPECT_TRUE(child<QPushButton>(dialog, "exportButton")->isEnabled());
    EXPECT_FALSE(child<QPushButton>(dialog, "verifyButton")->isEnabled());  // nothing exported yet
    EXPECT_FALSE(child<QPushButton>(dialog, "cancelButton")->isEnabled());

    ASSERT_TRUE(clickAndWait(dialog, "exportButton")) << dialog->outputText().toStdString();
    EXPECT_FALSE(dialog->isRunning());
    EXPECT_TRUE(dialog->statusText().startsWith("Exported to"))
        << dialog->statusText().toStdString();
    EXPECT_TRUE(QFile::exists(out + "/trainplan_model.cpp"));
    ASSERT_TRUE(QFile::exists(out + "/memory_report.json"));
    EXPECT_TRUE(dialog->outputText().contains("exported tiny_cnn for stm32f746 (host)"))
        << dialog->outputText().toStdString();

    // The export's own report says it is the window's design with the dialog's options.
    const QJsonObject report = readJson(out + "/memory_report.json");
    EXPECT_EQ(report["device"].toString(), "stm32f746");
    EXPECT_EQ(report["budget_bytes"].toInteger(), 64 * 1024);
    EXPECT_EQ(report["target"].toString(), "host");
    EXPECT_GT(report["steps"].toInt(), 0);
    EXPECT_NEAR(report["learning_rate"].toDouble(), 0.005, 1e-9);
    EXPECT_EQ(QFileInfo(report["model"].toString()).canonicalFilePath(),
              QFileInfo(kTinyCnn).canonicalFilePath());
    const QJsonArray params = report["parameters"].toArray();
    ASSERT_FALSE(params.isEmpty());
    for (const auto& p : params) {  // preset full: every row of every weight and bias trains
        const QString name = p.toObject()["name"].toString();
        if (name.contains("running_")) continue;  // BatchNorm statistics are not trained
        EXPECT_EQ(p.toObject()["trained_rows"].toInt(), p.toObject()["rows"].toInt())
            << name.toStdString();
    }

    // Exporting saved a temporary project, not the user's: no project path, dirty state or
    // recent-file change.
    EXPECT_TRUE(window.projectPath().isEmpty());
    EXPECT_EQ(window.document()->isModified(), modifiedBefore);
    EXPECT_EQ(QSettings().value(studio_keys::kRecentFilesKey).toStringList(), recentBefore);
    EXPECT_EQ(QSettings().value(studio_keys::kFirmwareDirKey).toString(), QDir::cleanPath(out));

    // Verify, on the host only.
    checkOnlyHost(dialog);
    ASSERT_TRUE(child<QPushButton>(dialog, "verifyButton")->isEnabled());
    ASSERT_TRUE(clickAndWait(dialog, "verifyButton")) << dialog->outputText().toStdString();
    const QString text = dialog->outputText();
    EXPECT_TRUE(text.contains("trainplan verify"));
    EXPECT_TRUE(text.contains(QRegularExpression("(^|\\n)host\\s+PASS\\s"))) << text.toStdString();
    EXPECT_FALSE(text.contains("cortex-m4"));  // only the host was asked for
    EXPECT_TRUE(dialog->statusText().contains("passed")) << dialog->statusText().toStdString();
    EXPECT_TRUE(dialog->statusText().contains("host PASS")) << dialog->statusText().toStdString();
    EXPECT_TRUE(QFileInfo::exists(out + "/build-host/trainplan_host_test"));
    EXPECT_TRUE(child<QPushButton>(dialog, "exportButton")->isEnabled());
    EXPECT_TRUE(child<QPushButton>(dialog, "verifyButton")->isEnabled());

    const QString shot = qEnvironmentVariable("TP_FIRMWARE_SCREENSHOT");
    if (!shot.isEmpty()) {
        EXPECT_TRUE(dialog->grab().save(shot));
    }

    // Exporting again over its own export is allowed; the steps reach the tool as well.
    child<QSpinBox>(dialog, "stepsSpin")->setValue(7);
    ASSERT_TRUE(clickAndWait(dialog, "exportButton")) << dialog->outputText().toStdString();
    EXPECT_TRUE(dialog->statusText().startsWith("Exported to"))
        << dialog->statusText().toStdString();
    EXPECT_EQ(readJson(out + "/memory_report.json")["steps"].toInt(), 7);
}

TEST_F(FirmwareExportTest, VerifyEnabledForAFolderHoldingAnExport) {
    ASSERT_TRUE(openTinyCnn());
    FirmwareExportDialog* dialog = openDialog();
    ASSERT_NE(dialog, nullptr);
    setFolder(dialog, temp.path());
    EXPECT_FALSE(child<QPushButton>(dialog, "verifyButton")->isEnabled());
    QFile report(temp.filePath("memory_report.json"));
    ASSERT_TRUE(report.open(QIODevice::WriteOnly));
    report.close();
    setFolder(dialog, temp.path() + "/");  // re-reads the folder
    EXPECT_TRUE(child<QPushButton>(dialog, "verifyButton")->isEnabled());
    for (const char* box : {"verifyHostCheck", "verifyM4Check", "verifyM7Check"}) {
        EXPECT_TRUE(child<QCheckBox>(dialog, box)->isChecked()) << box;  // all three by default
        child<QCheckBox>(dialog, box)->setChecked(false);
    }
    EXPECT_FALSE(child<QPushButton>(dialog, "verifyButton")->isEnabled());  // nothing to run on
}

TEST_F(FirmwareExportTest, CancelStopsVerifyAndEveryProcessItStarted) {
    ASSERT_TRUE(temp.isValid());
    ASSERT_TRUE(openTinyCnn());
    designFull64K();
    FirmwareExportDialog* dialog = openDialog();
    ASSERT_NE(dialog, nullptr);
    const QString out = temp.filePath("cancel-me");
    setFolder(dialog, out);
    ASSERT_TRUE(clickAndWait(dialog, "exportButton")) << dialog->outputText().toStdString();
    ASSERT_TRUE(dialog->statusText().startsWith("Exported")) << dialog->statusText().toStdString();

    // All three targets: the host build, then two cross builds and QEMU runs.
    QSignalSpy done(dialog, &FirmwareExportDialog::jobFinished);
    click(dialog, "verifyButton");
    ASSERT_TRUE(dialog->isRunning());
    const qint64 pid = dialog->job()->processId();
    ASSERT_GT(pid, 0);
    EXPECT_TRUE(child<QPushButton>(dialog, "cancelButton")->isEnabled());
    EXPECT_FALSE(child<QPushButton>(dialog, "exportButton")->isEnabled());
    EXPECT_FALSE(child<QPushButton>(dialog, "verifyButton")->isEnabled());
#ifdef Q_OS_LINUX
    // Wait until the tool has children at work on the folder (cmake, the compiler, QEMU).
    ASSERT_TRUE(QTest::qWaitFor([&] { return processesMentioning(out).size() >= 2; }, kTimeoutMs))
        << processesMentioning(out).join('\n').toStdString();
#endif
    ASSERT_TRUE(done.isEmpty()) << "verify finished before it could be cancelled";

    click(dialog, "cancelButton");
    ASSERT_TRUE(QTest::qWaitFor([&] { return !done.isEmpty(); }, 20000));
    EXPECT_FALSE(done.first().first().toBool());
    EXPECT_TRUE(dialog->statusText().contains("cancelled")) << dialog->statusText().toStdString();
    EXPECT_FALSE(dialog->isRunning());
    EXPECT_EQ(dialog->job()->processId(), 0);
#ifdef Q_OS_LINUX
    EXPECT_TRUE(::kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH);
    // Nothing the tool started is left working on the folder.
    EXPECT_TRUE(QTest::qWaitFor([&] { return processesMentioning(out).isEmpty(); }, 1000))
        << processesMentioning(out).join('\n').toStdString();
#endif
    EXPECT_TRUE(child<QPushButton>(dialog, "exportButton")->isEnabled());
    EXPECT_TRUE(child<QPushButton>(dialog, "verifyButton")->isEnabled());
    EXPECT_FALSE(child<QPushButton>(dialog, "cancelButton")->isEnabled());
    EXPECT_TRUE(child<QLineEdit>(dialog, "folderEdit")->isEnabled());

    // The dialog stays usable: the next verify runs to the end.
    checkOnlyHost(dialog);
    ASSERT_TRUE(clickAndWait(dialog, "verifyButton")) << dialog->outputText().toStdString();
    EXPECT_TRUE(dialog->statusText().contains("passed")) << dialog->statusText().toStdString();
}

TEST_F(FirmwareExportTest, MissingCliIsSaidInTheStatusLine) {
    ASSERT_TRUE(openTinyCnn());
    FirmwareExportDialog* dialog = openDialog(QStringLiteral("/nonexistent/bin/trainplan"));
    ASSERT_NE(dialog, nullptr);
    setFolder(dialog, temp.filePath("never-written"));
    ASSERT_TRUE(clickAndWait(dialog, "exportButton"));
    const QString status = dialog->statusText();
    EXPECT_TRUE(status.contains("not found")) << status.toStdString();
    EXPECT_TRUE(status.contains("/nonexistent/bin/trainplan")) << status.toStdString();
    EXPECT_TRUE(status.contains("Build")) << status.toStdString();  // the way out
    EXPECT_FALSE(dialog->isRunning());
    EXPECT_TRUE(child<QPushButton>(dialog, "exportButton")->isEnabled());
    EXPECT_FALSE(QFileInfo::exists(temp.filePath("never-written")));

    // Without an override the tool is looked for beside the binary, then on PATH.
    const QByteArray path = qgetenv("PATH");
    qputenv("PATH", temp.path().toLocal8Bit());
    FirmwareJob job;
    EXPECT_TRUE(job.cliPath().isEmpty());  // the test binary has no trainplan beside it
    QSignalSpy finished(&job, &FirmwareJob::finished);
    job.startVerify(temp.path(), {"host"});
    qputenv("PATH", path);
    ASSERT_EQ(finished.size(), 1);
    EXPECT_FALSE(finished.first()[0].toBool());
    const QString message = finished.first()[2].toString();
    EXPECT_TRUE(message.contains("next to the studio") && message.contains("PATH"))
        << message.toStdString();
    EXPECT_FALSE(job.isRunning());
}

TEST_F(FirmwareExportTest, RefusedFolderShowsTheToolsReason) {
    ASSERT_TRUE(openTinyCnn());
    designFull64K();
    FirmwareExportDialog* dialog = openDialog();
    ASSERT_NE(dialog, nullptr);
    QFile notes(temp.filePath("notes.txt"));
    ASSERT_TRUE(notes.open(QIODevice::WriteOnly));
    notes.write("not an export\n");
    notes.close();
    setFolder(dialog, temp.path());

    QSignalSpy done(dialog, &FirmwareExportDialog::jobFinished);
    click(dialog, "exportButton");
    ASSERT_TRUE(QTest::qWaitFor([&] { return !done.isEmpty(); }, kTimeoutMs));
    EXPECT_FALSE(done.first().first().toBool());
    EXPECT_TRUE(dialog->outputText().contains("holds files that no TrainPlan export made"))
        << dialog->outputText().toStdString();
    const QString status = dialog->statusText();
    EXPECT_TRUE(status.contains("failed with exit code 1")) << status.toStdString();
    EXPECT_TRUE(status.contains("holds files that no TrainPlan export made"))
        << status.toStdString();
    EXPECT_FALSE(QFileInfo::exists(temp.filePath("trainplan_model.cpp")));
    EXPECT_TRUE(QFileInfo::exists(temp.filePath("notes.txt")));
    EXPECT_FALSE(child<QPushButton>(dialog, "verifyButton")->isEnabled());
}

}  // namespace
}  // namespace tp
