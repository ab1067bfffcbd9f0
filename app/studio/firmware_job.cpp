#include "app/studio/firmware_job.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMultiHash>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

#ifdef Q_OS_UNIX
#include <signal.h>
#include <unistd.h>
#endif

namespace tp {

namespace {

constexpr int kKillGraceMs = 3000;             // SIGTERM, then SIGKILL after this long
constexpr qsizetype kTranscriptChars = 65536;  // enough for verify's verdict block
const QString kCliName = QStringLiteral("trainplan");

QString quoteForDisplay(const QString& arg) {
    if (!arg.isEmpty() && !arg.contains(QRegularExpression(QStringLiteral("[\\s'\"\\\\$]"))))
        return arg;
    QString q = arg;
    q.replace(QLatin1Char('\''), QLatin1String("'\\''"));
    return QLatin1Char('\'') + q + QLatin1Char('\'');
}

#ifdef Q_OS_LINUX
// The processes below `roots` (children, grandchildren, ...), from /proc: the tool's children
// that left its process group (GNU timeout, which verify runs QEMU under, makes its own).
QList<qint64> descendantsOf(const QList<qint64>& roots) {
    QMultiHash<qint64, qint64> children;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString& entry : entries) {
        bool isPid = false;
        const qint64 pid = entry.toLongLong(&isPid);
        if (!isPid) continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly)) continue;
        const QByteArray line = stat.readAll();
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        const qsizetype close = line.lastIndexOf(')');
        if (close < 0) continue;
        const QList<QByteArray> fields = line.mid(close + 2).split(' ');
        if (fields.size() > 1) children.insert(fields[1].toLongLong(), pid);
    }
    QList<qint64> found;
    QList<qint64> queue = roots;
    while (!queue.isEmpty()) {
        const qint64 parent = queue.takeFirst();
        for (qint64 child : children.values(parent))
            if (!found.contains(child) && !roots.contains(child)) {
                found << child;
                queue << child;
            }
    }
    return found;
}
#endif

QString jobName(FirmwareJob::Kind kind) {
    return kind == FirmwareJob::Kind::verify ? QObject::tr("Verify") : QObject::tr("Export");
}

}  // namespace

FirmwareJob::FirmwareJob(QObject* parent) : QObject(parent) {
    killTimer_ = new QTimer(this);
    killTimer_->setSingleShot(true);
    killTimer_->setInterval(kKillGraceMs);
    connect(killTimer_, &QTimer::timeout, this, [this] {
        signalProcessTree(true);
        if (process_) process_->kill();
    });
}

FirmwareJob::~FirmwareJob() {
    if (!process_) return;
    process_->disconnect(this);
    // SIGTERM first: `timeout` (which verify wraps QEMU in) forwards it to QEMU, which runs in
    // a process group of its own; then SIGKILL for anything that ignored it.
    signalProcessTree(false);
    if (!process_->waitForFinished(500)) {
        signalProcessTree(true);
        process_->kill();
        process_->waitForFinished(1000);
    }
}

QString FirmwareJob::cliPath() const {
    if (!cliOverride_.isEmpty()) {
        const QFileInfo info(cliOverride_);
        return info.isFile() && info.isExecutable() ? info.absoluteFilePath() : QString();
    }
    const QString beside =
        QStandardPaths::findExecutable(kCliName, {QCoreApplication::applicationDirPath()});
    if (!beside.isEmpty()) return beside;
    return QStandardPaths::findExecutable(kCliName);
}

QString FirmwareJob::missingCliMessage() const {
    if (!cliOverride_.isEmpty())
        return tr("The trainplan command-line tool was not found at %1 (or is not executable). "
                  "Build the 'trainplan' target, or point the studio at the tool.")
            .arg(QDir::toNativeSeparators(cliOverride_));
    return tr("The trainplan command-line tool was not found next to the studio (%1) or on "
              "PATH. Build it (cmake --build BUILD_DIR --target trainplan) or install it beside "
              "trainplan-studio, then try again.")
        .arg(QDir::toNativeSeparators(QCoreApplication::applicationDirPath()));
}

QStringList FirmwareJob::exportArguments(const QString& projectPath,
                                         const FirmwareExportSettings& settings) {
    QStringList args{QStringLiteral("export"),   projectPath,
                     QStringLiteral("--out"),    settings.outDir,
                     QStringLiteral("--target"), settings.target,
                     QStringLiteral("--lr"),     QString::number(settings.learningRate, 'g', 8)};
    if (settings.steps > 0) args << QStringLiteral("--steps") << QString::number(settings.steps);
    return args;
}

QStringList FirmwareJob::verifyArguments(const QString& dir, const QStringList& targets) {
    return {QStringLiteral("verify"), dir, QStringLiteral("--targets"),
            targets.join(QLatin1Char(','))};
}

void FirmwareJob::startExport(const Project& project, const FirmwareExportSettings& settings) {
    if (isRunning()) return;
    outDir_ = settings.outDir;
    auto dir = std::make_unique<QTemporaryDir>();
    if (!dir->isValid()) {
        kind_ = Kind::exportFirmware;
        finish(
            false, -1,
            tr("Export failed: no temporary folder for the design (%1).").arg(dir->errorString()));
        return;
    }
    const QString path = dir->filePath(QStringLiteral("design.tplan"));
    if (Status saved = save_project(project, path.toStdString()); !saved) {
        kind_ = Kind::exportFirmware;
        finish(false, -1,
               tr("Export failed: %1").arg(QString::fromStdString(saved.error().message)));
        return;
    }
    tempDir_ = std::move(dir);  // the tool reads the design from it: kept until it exits
    start(Kind::exportFirmware, exportArguments(path, settings));
}

void FirmwareJob::startVerify(const QString& dir, const QStringList& targets) {
    if (isRunning()) return;
    outDir_ = dir;
    start(Kind::verify, verifyArguments(dir, targets));
}

void FirmwareJob::start(Kind kind, const QStringList& arguments) {
    kind_ = kind;
    cancelled_ = false;
    transcript_.clear();
    decoder_.resetState();
    const QString program = cliPath();
    commandLine_ = QStringLiteral("trainplan");
    for (const QString& a : arguments) commandLine_ += QLatin1Char(' ') + quoteForDisplay(a);
    if (program.isEmpty()) {
        finish(false, -1, missingCliMessage());
        return;
    }

    process_ = new QProcess(this);
    process_->setProcessChannelMode(QProcess::MergedChannels);
    process_->setStandardInputFile(QProcess::nullDevice());
#ifdef Q_OS_UNIX
    // A process group of its own, so cancel reaches the compilers and emulators it launches.
    process_->setChildProcessModifier([] { ::setpgid(0, 0); });
#endif
    connect(process_, &QProcess::readyReadStandardOutput, this, &FirmwareJob::readOutput);
    connect(process_, &QProcess::finished, this, [this](int exitCode, QProcess::ExitStatus status) {
        onFinished(exitCode, status == QProcess::CrashExit);
    });
    connect(process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        // Only a failed start ends without finished(); crashes arrive there too.
        if (error != QProcess::FailedToStart || !process_) return;
        finish(false, -1,
               tr("%1 failed: could not start %2 (%3).")
                   .arg(jobName(kind_), QDir::toNativeSeparators(process_->program()),
                        process_->errorString()));
    });
    emit started(commandLine_);
    process_->start(program, arguments);
    if (process_) pid_ = process_->processId();
}

qint64 FirmwareJob::processId() const {
    return process_ ? process_->processId() : 0;
}

void FirmwareJob::readOutput() {
    if (!process_) return;
    const QString text = decoder_.decode(process_->readAllStandardOutput());
    if (text.isEmpty()) return;
    transcript_ += text;
    if (transcript_.size() > kTranscriptChars)
        transcript_.remove(0, transcript_.size() - kTranscriptChars);
    emit output(text);
}

void FirmwareJob::cancel() {
    if (!process_ || cancelled_) return;
    cancelled_ = true;
    signalProcessTree(false);
#ifndef Q_OS_UNIX
    process_->kill();
#endif
    killTimer_->start();
}

void FirmwareJob::signalProcessTree([[maybe_unused]] bool force) {
#ifdef Q_OS_UNIX
    if (pid_ <= 0) return;
    const int signal = force ? SIGKILL : SIGTERM;
#ifdef Q_OS_LINUX
    // The tree is read before any signal (a dead parent's children move to init) and
    // remembered between calls: once the tool is gone, its orphans are no longer below it.
    QList<qint64> roots = tree_;
    roots.prepend(pid_);
    for (qint64 pid : descendantsOf(roots))
        if (!tree_.contains(pid)) tree_ << pid;
#endif
    ::kill(-static_cast<pid_t>(pid_), signal);
    for (qint64 pid : std::as_const(tree_)) ::kill(static_cast<pid_t>(pid), signal);
#endif
}

void FirmwareJob::onFinished(int exitCode, bool crashed) {
    readOutput();
    const QString name = jobName(kind_);
    if (cancelled_) {
        killTimer_->stop();
        signalProcessTree(true);  // whatever of the tool's children outlived it
        finish(false, exitCode, tr("%1 cancelled.").arg(name));
        return;
    }
    if (crashed) {
        finish(false, exitCode, tr("%1 failed: the trainplan tool crashed.").arg(name));
        return;
    }
    if (exitCode == 0) {
        finish(true, 0,
               kind_ == Kind::verify
                   ? tr("Verify passed: %1.").arg(verdictSummary())
                   : tr("Exported to %1.").arg(QDir::toNativeSeparators(outDir_)));
        return;
    }
    QString why = kind_ == Kind::verify ? verdictSummary() : QString();
    if (!why.isEmpty()) {
        // The test programs' own reason, e.g. "result FAIL loss did not fall".
        static const QRegularExpression reason(QStringLiteral("^result FAIL\\s+(.+)$"),
                                               QRegularExpression::MultilineOption);
        QStringList reasons;
        for (auto it = reason.globalMatch(transcript_); it.hasNext();) {
            const QString r = it.next().captured(1).trimmed();
            if (!reasons.contains(r)) reasons << r;
        }
        if (!reasons.isEmpty())
            why += QStringLiteral(" (") + reasons.join(QStringLiteral("; ")) + ')';
    }
    if (why.isEmpty()) why = lastErrorLine();
    QString summary = tr("%1 failed with exit code %2").arg(name).arg(exitCode);
    finish(false, exitCode,
           why.isEmpty() ? summary + QLatin1Char('.') : summary + QStringLiteral(": ") + why);
}

void FirmwareJob::finish(bool ok, int exitCode, const QString& summary) {
    if (process_) {
        process_->disconnect(this);
        process_->deleteLater();
        process_ = nullptr;
    }
    pid_ = 0;
    tree_.clear();
    tempDir_.reset();
    kind_ = Kind::none;
    emit finished(ok, exitCode, summary);
}

QString FirmwareJob::verdictSummary() const {
    // verify ends with one line per target: "host       PASS  detail".
    static const QRegularExpression verdict(
        QStringLiteral("^(host|cortex-m4|cortex-m7)\\s+(PASS|FAIL)\\s*(.*)$"),
        QRegularExpression::MultilineOption);
    const qsizetype block = transcript_.lastIndexOf(QStringLiteral("== verify "));
    if (block < 0) return {};
    QStringList parts;
    for (auto it = verdict.globalMatch(transcript_.mid(block)); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        const bool skipped = m.captured(3).startsWith(QLatin1String("skipped"));
        parts
            << (skipped
                    ? tr("%1 skipped (no arm-none-eabi-g++ or qemu-system-arm)").arg(m.captured(1))
                    : m.captured(1) + QLatin1Char(' ') + m.captured(2));
    }
    return parts.join(QStringLiteral(", "));
}

QString FirmwareJob::lastErrorLine() const {
    const QString prefix = QStringLiteral("trainplan: error: ");
    const QStringList lines = transcript_.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (auto it = lines.crbegin(); it != lines.crend(); ++it)
        if (it->startsWith(prefix)) return it->mid(prefix.size()).trimmed();
    return lines.isEmpty() ? QString() : lines.last().trimmed();
}

}  // namespace tp
