// FirmwareJob: runs the `trainplan` command-line tool's `export` and `verify` for the studio, as
// a child process the GUI thread never waits on. The CLI does the work (solve, generate, build,
// run under QEMU); the job builds its argument lists, streams its merged output, and says in one
// sentence how it ended. Every start ends with exactly one finished(), even when the tool could
// not be found or started. Cancel stops the tool and everything it launched (cmake, the
// compilers, QEMU), not only the tool itself.
#pragma once

#include <QObject>
#include <QString>
#include <QStringDecoder>
#include <QStringList>
#include <memory>

#include "engine/project.h"

class QProcess;
class QTemporaryDir;
class QTimer;

namespace tp {

// What `trainplan export` is asked for besides the design.
struct FirmwareExportSettings {
    QString outDir;
    QString target = QStringLiteral("host");  // host, cortex-m4, cortex-m7
    double learningRate = 0.01;
    int steps = 0;  // 0: the exporter's default
};

class FirmwareJob : public QObject {
    Q_OBJECT

  public:
    enum class Kind { none, exportFirmware, verify };

    explicit FirmwareJob(QObject* parent = nullptr);
    ~FirmwareJob() override;  // a running tool is stopped with everything it launched

    // The `trainplan` executable: the override when one is set, else the one next to the
    // studio's own binary, else the first on PATH; empty when none is found.
    void setCliPath(const QString& path) { cliOverride_ = path; }
    QString cliPath() const;
    // Why cliPath() is empty, and how to fix it.
    QString missingCliMessage() const;

    static QStringList exportArguments(const QString& projectPath,
                                       const FirmwareExportSettings& settings);
    static QStringList verifyArguments(const QString& dir, const QStringList& targets);

    // Saves `project` to a temporary .tplan (kept until the tool exits) and runs
    // `trainplan export` on it. Ignored while a job runs.
    void startExport(const Project& project, const FirmwareExportSettings& settings);
    // Runs `trainplan verify DIR --targets ...`. Ignored while a job runs.
    void startVerify(const QString& dir, const QStringList& targets);
    // Stops the running tool and its children; finished() follows with a "cancelled" summary.
    void cancel();

    bool isRunning() const { return kind_ != Kind::none; }
    Kind kind() const { return kind_; }
    qint64 processId() const;  // the tool's process id while it runs, else 0
    QString commandLine() const { return commandLine_; }  // of the last start, for display

  signals:
    void started(const QString& commandLine);
    void output(const QString& text);  // stdout and stderr, merged, as they arrive
    // ok: exit code 0. summary: one sentence for a status line (what happened, the exit code
    // and the tool's own error line or verdicts when it failed).
    void finished(bool ok, int exitCode, const QString& summary);

  private:
    void start(Kind kind, const QStringList& arguments);
    void readOutput();
    void onFinished(int exitCode, bool crashed);
    void finish(bool ok, int exitCode, const QString& summary);
    // SIGTERM (or, forced, SIGKILL) to the tool's process group: the tool and what it launched.
    void signalProcessTree(bool force);
    QString verdictSummary() const;  // "host PASS, cortex-m4 FAIL" from verify's last lines
    QString lastErrorLine() const;   // the tool's "trainplan: error: ..." line, if any

    QString cliOverride_;
    Kind kind_ = Kind::none;
    QProcess* process_ = nullptr;
    QTimer* killTimer_ = nullptr;
    std::unique_ptr<QTemporaryDir> tempDir_;
    QStringDecoder decoder_{QStringDecoder::Utf8};
    QString transcript_;  // the output of the running job (its tail), to read the verdict from
    QString commandLine_;
    QString outDir_;
    qint64 pid_ = 0;
    QList<qint64> tree_;  // the tool's descendants seen since cancel()
    bool cancelled_ = false;
};

}  // namespace tp
