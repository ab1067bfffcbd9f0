// MainWindow, part three: the File menu — projects (.tplan), recent files, chart and firmware
// export — and copying tables to the clipboard.
#include <QAbstractItemView>
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QUndoStack>
#include <QtConcurrent/QtConcurrentRun>
#include <exception>

#include "app/studio/firmware_export_dialog.h"
#include "app/studio/main_window.h"
#include "app/studio/main_window_keys.h"
#include "app/studio/results_panel.h"
#include "engine/project.h"
#include "engine/zoo/zoo.h"
#include "views/chart_export.h"

namespace tp {

using namespace studio_keys;

namespace {

const QString kProjectFilter = QObject::tr("TrainPlan projects (*.tplan)");

struct ProjectOutcome {
    std::shared_ptr<LoadedProject> loaded;
    ProjectProblem problem = ProjectProblem::none;
    QString error;
};

ProjectOutcome loadProjectInBackground(const std::string& path, ProjectLoadOptions options) {
    ProjectOutcome out;
    try {
        Result<LoadedProject> r = load_project(path, options, &out.problem);
        if (r)
            out.loaded = std::make_shared<LoadedProject>(std::move(r).value());
        else
            out.error = QString::fromStdString(r.error().message);
    } catch (const std::exception& e) {
        out.error = QStringLiteral("internal error: %1").arg(QString::fromLocal8Bit(e.what()));
    }
    return out;
}

}  // namespace

void MainWindow::createFileMenu(QMenu* file) {
    zooMenu_ = file->addMenu(tr("&New from zoo"));
    zooMenu_->setToolTipsVisible(true);
    for (const ZooEntry& entry : zoo_entries()) {
        const QString id = QString::fromStdString(entry.id);
        QAction* action = zooMenu_->addAction(id, this, [this, id] {
            if (maybeSave()) openModel(QStringLiteral("zoo:") + id);
        });
        action->setStatusTip(QString::fromStdString(entry.description));
        action->setToolTip(QStringLiteral("%1\n%2").arg(QString::fromStdString(entry.description),
                                                        QString::fromStdString(entry.source)));
    }
    zooMenu_->setEnabled(!zooMenu_->isEmpty());

    QAction* open = file->addAction(tr("&Open network…"), this, [this] {
        if (maybeSave()) showOpenDialog();
    });
    open->setShortcut(QKeySequence::Open);
    open->setStatusTip(tr("Open an ONNX or .tpnet.json network"));
    QAction* openProj =
        file->addAction(tr("Open &project…"), this, &MainWindow::showOpenProjectDialog);
    openProj->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    recentMenu_ = file->addMenu(tr("Open &recent"));
    updateRecentMenu();

    file->addSeparator();
    QAction* saveAction = file->addAction(tr("&Save project"), this, [this] { save(); });
    saveAction->setShortcut(QKeySequence::Save);
    QAction* saveAsAction = file->addAction(tr("Save project &as…"), this, [this] { saveAs(); });
    saveAsAction->setShortcut(QKeySequence::SaveAs);

    file->addSeparator();
    QAction* exportChart =
        file->addAction(tr("&Export chart…"), this, &MainWindow::exportCurrentChart);
    exportChart->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    exportChart->setStatusTip(tr("Save the chart on the current result tab as PNG, SVG or PDF"));
    exportFirmwareAction_ =
        file->addAction(tr("Export &firmware…"), this, &MainWindow::showFirmwareExportDialog);
    exportFirmwareAction_->setObjectName(QStringLiteral("exportFirmwareAction"));
    exportFirmwareAction_->setStatusTip(
        tr("Generate firmware C++ that trains on the board as planned, then build and run it "
           "to check it (trainplan export / verify)"));
    exportFirmwareAction_->setEnabled(false);  // until a network is open
    connect(doc_, &PlanDocument::networkChanged, exportFirmwareAction_,
            [this] { exportFirmwareAction_->setEnabled(doc_->network() != nullptr); });

    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), qApp, &QApplication::closeAllWindows);
    quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    quit->setMenuRole(QAction::QuitRole);
}

void MainWindow::showOpenProjectDialog() {
    if (!maybeSave()) return;
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open project"), settings.value(kLastDirKey).toString(), kProjectFilter);
    if (path.isEmpty()) return;
    settings.setValue(kLastDirKey, QFileInfo(path).absolutePath());
    openProject(path);
}

void MainWindow::openProject(const QString& path, const ProjectLoadOptions& options) {
    const quint64 serial = ++latestLoad_;
    setBusy(true);
    statusBar()->showMessage(tr("Opening %1…").arg(path));
    auto* watcher = new QFutureWatcher<ProjectOutcome>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [=, this] {
        const ProjectOutcome out = watcher->result();
        watcher->deleteLater();
        if (serial != latestLoad_) return;  // superseded by a newer request
        setBusy(false);
        if (out.loaded) {
            finishProject(path, *out.loaded);
            return;
        }
        if (interactive_ && offerProjectWayOut(path, options, out.problem, out.error)) return;
        reportProblem(tr("Could not open project"), out.error);
        emit loadFailed(out.error);
    });
    watcher->setFuture(QtConcurrent::run(loadProjectInBackground, path.toStdString(), options));
}

bool MainWindow::offerProjectWayOut(const QString& path, const ProjectLoadOptions& options,
                                    ProjectProblem problem, const QString& error) {
    ProjectLoadOptions retry = options;
    if (problem == ProjectProblem::model_missing) {
        QMessageBox::warning(this, tr("Model not found"), error);
        const QString model = QFileDialog::getOpenFileName(
            this, tr("Locate the model of %1").arg(QFileInfo(path).fileName()),
            QFileInfo(path).absolutePath(), tr("Networks (*.onnx *.tpnet.json);;All files (*)"));
        if (model.isEmpty()) return false;
        retry.model_override = model.toStdString();
    } else if (problem == ProjectProblem::model_changed) {
        QMessageBox box(QMessageBox::Question, tr("Model changed"), error, QMessageBox::Cancel,
                        this);
        QPushButton* anyway = box.addButton(tr("Open anyway"), QMessageBox::AcceptRole);
        box.exec();
        if (box.clickedButton() != anyway) return false;
        retry.accept_changed_model = true;
    } else {
        return false;
    }
    openProject(path, retry);
    return true;
}

void MainWindow::finishProject(const QString& path, const LoadedProject& loaded) {
    const Project& p = loaded.project;
    PlanDesign design;
    design.plan = p.plan;
    design.deviceId = QString::fromStdString(p.device_id);
    design.budgetBytes = p.ram_budget_bytes;
    design.deadlineSeconds = p.deadline_s;
    design.solver = QString::fromStdString(p.solver);
    pendingDesign_ = design;
    startDesign(std::make_shared<const Network>(loaded.network),
                QString::fromStdString(p.model));
    projectPath_ = QFileInfo(path).absoluteFilePath();
    if (!doc_->device())
        reportProblem(tr("Board not found"),
                      tr("The project's board '%1' is not in the board library; pick another "
                         "board in the Target panel.")
                          .arg(design.deviceId));
    QStringList warnings;
    for (const std::string& w : loaded.warnings) warnings << QString::fromStdString(w);
    if (!warnings.isEmpty()) reportProblem(tr("Project opened with changes"), warnings.join('\n'));
    addRecentFile(projectPath_);
    updateTitle();
    statusBar()->showMessage(tr("Opened %1").arg(QDir::toNativeSeparators(projectPath_)), 5000);
    emit modelLoaded();
}

Project MainWindow::projectFromDocument() const {
    Project p;
    p.model = doc_->modelSpec().toStdString();
    const PlanDesign& d = doc_->design();
    p.plan = d.plan;
    p.device_id = d.deviceId.toStdString();
    p.ram_budget_bytes = d.budgetBytes;
    p.deadline_s = d.deadlineSeconds;
    p.solver = d.solver.toStdString();
    // The last result, when it was solved for exactly this design.
    if (const auto& outcome = results_->outcome();
        outcome && outcome->job.graph == doc_->derived().graph &&
        outcome->job.options.ram_budget_bytes == d.budgetBytes)
        p.last_result = plan_solution_to_json(*outcome->job.graph, outcome->solution);
    return p;
}

bool MainWindow::saveProject(const QString& path) {
    if (!doc_->network()) {
        reportProblem(tr("Nothing to save"), tr("Open a network first"));
        return false;
    }
    Status saved = save_project(projectFromDocument(), path.toStdString());
    if (!saved) {
        reportProblem(tr("Could not save project"), QString::fromStdString(saved.error().message));
        return false;
    }
    projectPath_ = QFileInfo(path).absoluteFilePath();
    doc_->markSaved();
    addRecentFile(projectPath_);
    updateTitle();
    statusBar()->showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(projectPath_)), 5000);
    return true;
}

bool MainWindow::save() { return projectPath_.isEmpty() ? saveAs() : saveProject(projectPath_); }

bool MainWindow::saveAs() {
    QSettings settings;
    QString suggested = projectPath_;
    if (suggested.isEmpty() && doc_->network())
        suggested = QDir(settings.value(kLastDirKey, QDir::homePath()).toString())
                        .filePath(QString::fromStdString(doc_->network()->name) + ".tplan");
    QString path = QFileDialog::getSaveFileName(this, tr("Save project"), suggested, kProjectFilter);
    if (path.isEmpty()) return false;
    if (!path.endsWith(QLatin1String(".tplan"))) path += QLatin1String(".tplan");
    settings.setValue(kLastDirKey, QFileInfo(path).absolutePath());
    return saveProject(path);
}

bool MainWindow::maybeSave() {
    if (!doc_->isModified() || !interactive_) return true;
    const auto answer = QMessageBox::warning(
        this, tr("Unsaved changes"),
        tr("The training plan has changes that are not saved. Save them first?"),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Save) return save();
    return answer == QMessageBox::Discard;
}

void MainWindow::addRecentFile(const QString& path) {
    QSettings settings;
    QStringList files = settings.value(kRecentFilesKey).toStringList();
    files.removeAll(path);
    files.prepend(path);
    while (files.size() > kMaxRecentFiles) files.removeLast();
    settings.setValue(kRecentFilesKey, files);
    updateRecentMenu();
}

void MainWindow::updateRecentMenu() {
    recentMenu_->clear();
    const QStringList files = QSettings().value(kRecentFilesKey).toStringList();
    for (int i = 0; i < files.size(); ++i) {
        const QString path = files[i];
        QAction* a = recentMenu_->addAction(
            QStringLiteral("&%1 %2").arg(i + 1).arg(QFileInfo(path).fileName()), this,
            [this, path] {
                if (!maybeSave()) return;
                if (path.endsWith(QLatin1String(".tplan")))
                    openProject(path);
                else
                    openModel(path);
            });
        a->setStatusTip(QDir::toNativeSeparators(path));
    }
    recentMenu_->setEnabled(!files.isEmpty());
}

void MainWindow::exportCurrentChart() {
    QWidget* chart = results_->currentChart();
    if (!chart) return;
    QSettings settings;
    const QString suggested = QDir(settings.value(kLastDirKey, QDir::homePath()).toString())
                                  .filePath(results_->currentChartName() + ".png");
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export chart"), suggested,
        tr("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)"));
    if (path.isEmpty()) return;
    Status written = exportChart(chart, path);
    if (!written)
        reportProblem(tr("Could not export chart"), QString::fromStdString(written.error().message));
    else
        statusBar()->showMessage(tr("Exported %1").arg(QDir::toNativeSeparators(path)), 5000);
}

void MainWindow::showFirmwareExportDialog() {
    if (!doc_->network()) {
        reportProblem(tr("Nothing to export"), tr("Open a network first"));
        return;
    }
    if (!firmwareDialog_) {
        // The design is read when Export is clicked, so edits made meanwhile are exported.
        firmwareDialog_ = new FirmwareExportDialog(
            [this]() -> Result<Project> {
                if (!doc_->network()) return Error{"Open a network first"};
                return projectFromDocument();
            },
            this);
        connect(doc_, &PlanDocument::designChanged, firmwareDialog_,
                &FirmwareExportDialog::refreshDesign);
        connect(firmwareDialog_, &FirmwareExportDialog::jobFinished, this,
                [this](bool, const QString& summary) { statusBar()->showMessage(summary, 10000); });
    }
    if (firmwareDialog_->folder().isEmpty())
        firmwareDialog_->setFolder(
            QDir(QSettings().value(kLastDirKey, QDir::homePath()).toString())
                .filePath(QString::fromStdString(doc_->network()->name) + "-firmware"));
    firmwareDialog_->show();
    firmwareDialog_->refreshDesign();
    firmwareDialog_->raise();
    firmwareDialog_->activateWindow();
}

void MainWindow::copyTableAsTsv() {
    // The table with focus, else the one on the current tab.
    auto* table = qobject_cast<QTableView*>(QApplication::focusWidget());
    if (!table) table = qobject_cast<QTableView*>(tableTabs_->currentWidget());
    if (!table || !table->model()) return;
    const QModelIndexList selected = table->selectionModel()
                                         ? table->selectionModel()->selectedRows()
                                         : QModelIndexList{};
    QApplication::clipboard()->setText(tableToTsv(*table->model(), selected));
    statusBar()->showMessage(selected.isEmpty() ? tr("Copied the table")
                                                : tr("Copied %1 rows").arg(selected.size()),
                             3000);
}

}  // namespace tp
