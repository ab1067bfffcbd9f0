// FirmwareExportDialog: File ▸ Export firmware… — writes the current design as a firmware C++
// project (`trainplan export`) and checks it (`trainplan verify`: builds and runs it on the
// host and, under QEMU, on Cortex-M4/M7), streaming the tool's output as it runs. A
// FirmwareJob runs the tool; the dialog only collects the options and shows what happens, so
// the window stays responsive and a long verify can be cancelled.
#pragma once

#include <QDialog>
#include <QString>
#include <QStringList>
#include <functional>

#include "app/studio/firmware_job.h"
#include "engine/project.h"
#include "engine/result.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace tp {

class FirmwareExportDialog : public QDialog {
    Q_OBJECT

  public:
    // The design to export, asked for when Export is clicked (an error, e.g. no network yet,
    // is shown in the status line).
    using DesignSource = std::function<Result<Project>()>;

    explicit FirmwareExportDialog(DesignSource source, QWidget* parent = nullptr);
    ~FirmwareExportDialog() override;

    FirmwareJob* job() const { return job_; }
    bool isRunning() const { return job_->isRunning(); }
    QString statusText() const;
    QString outputText() const;
    QString folder() const;  // the output folder as an absolute path; empty when none is set
    void setFolder(const QString& path);
    QStringList verifyTargets() const;

    // Re-reads the design for the summary line at the top (the window calls it when showing
    // the dialog and on edits; hidden, it does nothing).
    void refreshDesign();

    void exportFirmware();  // Export
    void verify();          // Verify
    void cancel();          // Cancel: stops the running tool; the dialog stays usable

  signals:
    void jobFinished(bool ok, const QString& summary);

  public slots:
    void done(int result) override;  // closing stops a running job: nothing runs unseen

  private:
    void browse();
    void showDesign(const Result<Project>& design);
    void onStarted(const QString& commandLine);
    void onOutput(const QString& text);
    void onFinished(bool ok, int exitCode, const QString& summary);
    void setStatus(const QString& text);
    void updateButtons();
    void saveSettings() const;

    DesignSource source_;
    FirmwareJob* job_ = nullptr;
    QString exportingDir_;  // the folder of the export running now
    QString exportedDir_;   // the folder of this dialog's last successful export

    QLabel* designLabel_ = nullptr;
    QLineEdit* folderEdit_ = nullptr;
    QPushButton* browseButton_ = nullptr;
    QComboBox* targetCombo_ = nullptr;
    QDoubleSpinBox* learningRate_ = nullptr;
    QSpinBox* steps_ = nullptr;
    QCheckBox* verifyHost_ = nullptr;
    QCheckBox* verifyM4_ = nullptr;
    QCheckBox* verifyM7_ = nullptr;
    QPlainTextEdit* output_ = nullptr;
    QLabel* status_ = nullptr;
    QPushButton* exportButton_ = nullptr;
    QPushButton* verifyButton_ = nullptr;
    QPushButton* cancelButton_ = nullptr;
    QPushButton* closeButton_ = nullptr;
};

}  // namespace tp
