#include "app/studio/firmware_export_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

#include "app/studio/main_window_keys.h"
#include "views/number_format.h"

namespace tp {

using namespace studio_keys;

namespace {

constexpr int kMaxOutputLines = 20000;

}  // namespace

FirmwareExportDialog::FirmwareExportDialog(DesignSource source, QWidget* parent)
    : QDialog(parent), source_(std::move(source)) {
    setObjectName(QStringLiteral("firmwareExportDialog"));
    setWindowTitle(tr("Export firmware"));
    job_ = new FirmwareJob(this);
    job_->setObjectName(QStringLiteral("firmwareJob"));

    designLabel_ = new QLabel(this);
    designLabel_->setObjectName(QStringLiteral("designLabel"));
    designLabel_->setWordWrap(true);
    designLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    folderEdit_ = new QLineEdit(this);
    folderEdit_->setObjectName(QStringLiteral("folderEdit"));
    folderEdit_->setPlaceholderText(tr("an empty or new folder"));
    folderEdit_->setToolTip(
        tr("Where the firmware project goes. Export writes into an empty or new folder, or over "
           "an earlier export; it refuses a folder holding other files."));
    browseButton_ = new QPushButton(tr("Browse…"), this);
    browseButton_->setObjectName(QStringLiteral("browseButton"));
    browseButton_->setAutoDefault(false);
    auto* folderRow = new QHBoxLayout;
    folderRow->addWidget(folderEdit_, 1);
    folderRow->addWidget(browseButton_);

    targetCombo_ = new QComboBox(this);
    targetCombo_->setObjectName(QStringLiteral("targetCombo"));
    targetCombo_->addItem(QStringLiteral("host"), QStringLiteral("host"));
    targetCombo_->addItem(QStringLiteral("cortex-m4"), QStringLiteral("cortex-m4"));
    targetCombo_->addItem(QStringLiteral("cortex-m7"), QStringLiteral("cortex-m7"));
    targetCombo_->setToolTip(
        tr("The folder's default build. Every export builds for all three; Verify picks its "
           "own targets below."));

    learningRate_ = new QDoubleSpinBox(this);
    learningRate_->setObjectName(QStringLiteral("learningRateSpin"));
    learningRate_->setDecimals(6);
    learningRate_->setRange(0.000001, 10.0);
    learningRate_->setSingleStep(0.001);
    learningRate_->setValue(0.01);
    learningRate_->setToolTip(tr("The SGD learning rate the exported training step applies"));

    steps_ = new QSpinBox(this);
    steps_->setObjectName(QStringLiteral("stepsSpin"));
    steps_->setRange(0, 100000);
    steps_->setSpecialValueText(tr("auto"));
    steps_->setToolTip(
        tr("Training steps the exported test program runs (auto: the exporter's "
           "default)"));

    verifyHost_ = new QCheckBox(tr("host"), this);
    verifyHost_->setObjectName(QStringLiteral("verifyHostCheck"));
    verifyM4_ = new QCheckBox(tr("Cortex-M4 (QEMU)"), this);
    verifyM4_->setObjectName(QStringLiteral("verifyM4Check"));
    verifyM7_ = new QCheckBox(tr("Cortex-M7 (QEMU)"), this);
    verifyM7_->setObjectName(QStringLiteral("verifyM7Check"));
    auto* verifyRow = new QHBoxLayout;
    for (QCheckBox* box : {verifyHost_, verifyM4_, verifyM7_}) {
        box->setChecked(true);
        verifyRow->addWidget(box);
    }
    verifyRow->addStretch(1);
    verifyM4_->setToolTip(
        tr("Cross-compiled with arm-none-eabi-g++ and run under "
           "qemu-system-arm; skipped when they are not installed"));
    verifyM7_->setToolTip(verifyM4_->toolTip());

    auto* form = new QFormLayout;
    auto* folderLabel = new QLabel(tr("Output &folder:"), this);
    folderLabel->setBuddy(folderEdit_);
    form->addRow(folderLabel, folderRow);
    form->addRow(tr("&Target:"), targetCombo_);
    form->addRow(tr("&Learning rate:"), learningRate_);
    form->addRow(tr("Training &steps:"), steps_);
    form->addRow(tr("Verify on:"), verifyRow);

    output_ = new QPlainTextEdit(this);
    output_->setObjectName(QStringLiteral("outputView"));
    output_->setReadOnly(true);
    output_->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    output_->setMaximumBlockCount(kMaxOutputLines);
    output_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    output_->setPlaceholderText(tr("The output of trainplan export and verify appears here."));
    output_->setMinimumHeight(220);

    status_ = new QLabel(this);
    status_->setObjectName(QStringLiteral("statusLabel"));
    status_->setWordWrap(true);
    QFont bold = status_->font();
    bold.setBold(true);
    status_->setFont(bold);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    exportButton_ = new QPushButton(tr("&Export"), this);
    exportButton_->setObjectName(QStringLiteral("exportButton"));
    exportButton_->setDefault(true);
    exportButton_->setToolTip(tr("Solve the current design and write its firmware C++ project"));
    verifyButton_ = new QPushButton(tr("&Verify"), this);
    verifyButton_->setObjectName(QStringLiteral("verifyButton"));
    verifyButton_->setAutoDefault(false);
    verifyButton_->setToolTip(
        tr("Build the exported project and run it on the checked targets: "
           "bit-identical to the store-all twin, arena as planned, loss "
           "falling"));
    cancelButton_ = new QPushButton(tr("Cancel"), this);
    cancelButton_->setObjectName(QStringLiteral("cancelButton"));
    cancelButton_->setAutoDefault(false);
    closeButton_ = new QPushButton(tr("Close"), this);
    closeButton_->setObjectName(QStringLiteral("closeButton"));
    closeButton_->setAutoDefault(false);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(exportButton_);
    buttons->addWidget(verifyButton_);
    buttons->addWidget(cancelButton_);
    buttons->addStretch(1);
    buttons->addWidget(closeButton_);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(designLabel_);
    layout->addLayout(form);
    layout->addWidget(output_, 1);
    layout->addWidget(status_);
    layout->addLayout(buttons);
    resize(760, 560);

    // The last choices, when there are some.
    const QSettings settings;
    folderEdit_->setText(QDir::toNativeSeparators(settings.value(kFirmwareDirKey).toString()));
    const int target = targetCombo_->findData(settings.value(kFirmwareTargetKey, "host"));
    targetCombo_->setCurrentIndex(target < 0 ? 0 : target);
    learningRate_->setValue(settings.value(kFirmwareLearningRateKey, 0.01).toDouble());

    connect(browseButton_, &QPushButton::clicked, this, &FirmwareExportDialog::browse);
    connect(exportButton_, &QPushButton::clicked, this, &FirmwareExportDialog::exportFirmware);
    connect(verifyButton_, &QPushButton::clicked, this, &FirmwareExportDialog::verify);
    connect(cancelButton_, &QPushButton::clicked, this, &FirmwareExportDialog::cancel);
    connect(closeButton_, &QPushButton::clicked, this, &QDialog::reject);
    connect(folderEdit_, &QLineEdit::textChanged, this, &FirmwareExportDialog::updateButtons);
    for (QCheckBox* box : {verifyHost_, verifyM4_, verifyM7_})
        connect(box, &QCheckBox::toggled, this, &FirmwareExportDialog::updateButtons);
    connect(job_, &FirmwareJob::started, this, &FirmwareExportDialog::onStarted);
    connect(job_, &FirmwareJob::output, this, &FirmwareExportDialog::onOutput);
    connect(job_, &FirmwareJob::finished, this, &FirmwareExportDialog::onFinished);

    setStatus(tr("Choose a folder, then Export. Verify builds and runs the exported project."));
    updateButtons();
}

FirmwareExportDialog::~FirmwareExportDialog() = default;

QString FirmwareExportDialog::statusText() const {
    return status_->text();
}

QString FirmwareExportDialog::outputText() const {
    return output_->toPlainText();
}

QString FirmwareExportDialog::folder() const {
    QString text = QDir::fromNativeSeparators(folderEdit_->text().trimmed());
    if (text.isEmpty()) return {};
    if (text == QLatin1String("~") || text.startsWith(QLatin1String("~/")))
        text = QDir::homePath() + text.mid(1);
    return QDir::cleanPath(QFileInfo(text).absoluteFilePath());
}

void FirmwareExportDialog::setFolder(const QString& path) {
    folderEdit_->setText(QDir::toNativeSeparators(path));
}

QStringList FirmwareExportDialog::verifyTargets() const {
    QStringList targets;
    if (verifyHost_->isChecked()) targets << QStringLiteral("host");
    if (verifyM4_->isChecked()) targets << QStringLiteral("cortex-m4");
    if (verifyM7_->isChecked()) targets << QStringLiteral("cortex-m7");
    return targets;
}

void FirmwareExportDialog::refreshDesign() {
    if (!isVisible()) return;
    showDesign(source_ ? source_() : Result<Project>(Error{}));
    updateButtons();  // the folder may have gained or lost an export meanwhile
}

void FirmwareExportDialog::showDesign(const Result<Project>& design) {
    if (!design) {
        designLabel_->setText(tr("No design: open a network first."));
        designLabel_->setToolTip({});
        return;
    }
    const QString model = QString::fromStdString(design->model);
    designLabel_->setText(
        tr("Exports the current design: <b>%1</b> on <b>%2</b>, RAM budget <b>%3</b>, solver %4.")
            .arg(model.startsWith(QLatin1String("zoo:"))
                     ? model.toHtmlEscaped()
                     : QFileInfo(model).fileName().toHtmlEscaped(),
                 QString::fromStdString(design->device_id).toHtmlEscaped(),
                 formatBytes(design->ram_budget_bytes),
                 QString::fromStdString(design->solver).toHtmlEscaped()));
    designLabel_->setToolTip(QDir::toNativeSeparators(model));
}

void FirmwareExportDialog::exportFirmware() {
    if (job_->isRunning()) return;
    const QString dir = folder();
    if (dir.isEmpty()) {
        setStatus(tr("Choose an output folder first."));
        return;
    }
    Result<Project> design = source_ ? source_() : Result<Project>(Error{});
    if (!design) {
        setStatus(design.error().message.empty() ? tr("Open a network first.")
                                                 : QString::fromStdString(design.error().message));
        return;
    }
    showDesign(design);
    saveSettings();
    FirmwareExportSettings settings;
    settings.outDir = dir;
    settings.target = targetCombo_->currentData().toString();
    settings.learningRate = learningRate_->value();
    settings.steps = steps_->value();
    setStatus(tr("Exporting to %1…").arg(QDir::toNativeSeparators(dir)));
    exportingDir_ = dir;
    job_->startExport(*design, settings);
    updateButtons();
}

void FirmwareExportDialog::verify() {
    if (job_->isRunning()) return;
    const QString dir = folder();
    const QStringList targets = verifyTargets();
    if (dir.isEmpty() || targets.isEmpty()) {
        setStatus(tr("Choose an exported folder and at least one target to verify on."));
        return;
    }
    setStatus(tr("Verifying on %1… (building and running the exported project)")
                  .arg(targets.join(QStringLiteral(", "))));
    exportingDir_.clear();
    job_->startVerify(dir, targets);
    updateButtons();
}

void FirmwareExportDialog::cancel() {
    if (!job_->isRunning()) return;
    setStatus(tr("Cancelling…"));
    job_->cancel();
}

void FirmwareExportDialog::done(int result) {
    if (job_->isRunning()) job_->cancel();
    QDialog::done(result);
}

void FirmwareExportDialog::browse() {
    QString start = folder();
    if (start.isEmpty()) start = QDir::homePath();
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Export firmware to"), start);
    if (!dir.isEmpty()) folderEdit_->setText(QDir::toNativeSeparators(dir));
}

void FirmwareExportDialog::onStarted(const QString& commandLine) {
    if (!output_->document()->isEmpty()) onOutput(QStringLiteral("\n"));
    onOutput(QStringLiteral("$ ") + commandLine + QLatin1Char('\n'));
}

void FirmwareExportDialog::onOutput(const QString& text) {
    // Stay at the bottom unless the user scrolled up to read.
    QScrollBar* bar = output_->verticalScrollBar();
    const bool atBottom = bar->value() == bar->maximum();
    QTextCursor cursor(output_->document());
    cursor.movePosition(QTextCursor::End);
    cursor.insertText(text);
    if (atBottom) bar->setValue(bar->maximum());
}

void FirmwareExportDialog::onFinished(bool ok, int /*exitCode*/, const QString& summary) {
    if (ok && !exportingDir_.isEmpty()) exportedDir_ = exportingDir_;
    exportingDir_.clear();
    setStatus(summary);
    updateButtons();
    emit jobFinished(ok, summary);
}

void FirmwareExportDialog::setStatus(const QString& text) {
    status_->setText(text);
}

void FirmwareExportDialog::updateButtons() {
    const bool running = job_->isRunning();
    const QString dir = folder();
    const bool exported =
        !dir.isEmpty() &&
        (dir == exportedDir_ ||
         QFileInfo::exists(QDir(dir).filePath(QStringLiteral("memory_report.json"))));
    exportButton_->setEnabled(!running && !dir.isEmpty());
    verifyButton_->setEnabled(!running && exported && !verifyTargets().isEmpty());
    cancelButton_->setEnabled(running);
    for (QWidget* w : std::initializer_list<QWidget*>{folderEdit_, browseButton_, targetCombo_,
                                                      learningRate_, steps_})
        w->setEnabled(!running);
}

void FirmwareExportDialog::saveSettings() const {
    QSettings settings;
    settings.setValue(kFirmwareDirKey, folder());
    settings.setValue(kFirmwareTargetKey, targetCombo_->currentData());
    settings.setValue(kFirmwareLearningRateKey, learningRate_->value());
}

}  // namespace tp
