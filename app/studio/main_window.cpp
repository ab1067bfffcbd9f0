#include "app/studio/main_window.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QToolButton>
#include <QUndoStack>
#include <QtConcurrent/QtConcurrentRun>
#include <exception>

#include "app/studio/main_window_keys.h"
#include "app/studio/results_panel.h"
#include "app/studio/target_panel.h"
#include "engine/model_loader.h"
#include "engine/zoo/zoo.h"
#include "views/layer_table_model.h"
#include "views/network_inspector.h"
#include "views/plan_table_delegate.h"
#include "views/plan_table_model.h"
#include "views/number_format.h"

namespace tp {
namespace {

using namespace studio_keys;

// What a worker thread hands back: plain copyable values, safe to cross threads.
struct LoadOutcome {
    std::shared_ptr<const Network> network;
    QString error;
};

LoadOutcome loadInBackground(const std::string& spec) {
    // The engine reports user errors as values; anything thrown (out of memory, a
    // library bug) must still come back as a message instead of ending the studio.
    try {
        Result<Network> loaded = load_model(spec);
        if (!loaded) return {nullptr, QString::fromStdString(loaded.error().message)};
        return {std::make_shared<const Network>(std::move(loaded).value()), {}};
    } catch (const std::exception& e) {
        return {nullptr,
                QStringLiteral("internal error: %1").arg(QString::fromLocal8Bit(e.what()))};
    }
}

bool looksLikeModelFile(const QString& path) {
    return path.endsWith(QLatin1String(".onnx"), Qt::CaseInsensitive) ||
           path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive);
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    doc_ = new PlanDocument(this);
    doc_->setDeviceLibrary(load_device_library(default_device_dirs()));
    solver_ = new SolveController(this);
    comparer_ = new CompareController(this);
    createCentralArea();
    createMenus();
    createDocks();
    createStatusBar();
    setAcceptDrops(true);
    updateTitle();
    updateTotals();

    connect(doc_, &PlanDocument::designChanged, this, &MainWindow::onDesignChanged);
    connect(doc_->undoStack(), &QUndoStack::cleanChanged, this, &MainWindow::updateTitle);
    connect(solver_, &SolveController::finished, this, &MainWindow::onSolveFinished);
    connect(solver_, &SolveController::progressed, this,
            [this](quint64, const SolveProgress& p) { results_->showSolving(p); });
    connect(solver_, &SolveController::waitingCancelled, this,
            [this] { target_->setSolving(false); });
    connect(comparer_, &CompareController::cellFinished, this,
            [this](const CompareResult& r) { results_->addCompareResult(r); });
    connect(comparer_, &CompareController::allFinished, this, [this](bool cancelled) {
        statusBar()->showMessage(cancelled ? tr("Comparison cancelled")
                                           : tr("Comparison finished"),
                                 5000);
        if (!cancelled) emit compareFinished();
    });

    const QSettings settings;
    if (!restoreGeometry(settings.value(kGeometryKey).toByteArray())) resize(1440, 900);
    restoreState(settings.value(kWindowStateKey).toByteArray());
    target_->setAutoSolve(settings.value(kAutoSolveKey, true).toBool());
}

MainWindow::~MainWindow() {
    // A load still running finishes in the pool and is dropped; only the cursor is ours to undo.
    if (loading_) QApplication::restoreOverrideCursor();
}

void MainWindow::createMenus() {
    createFileMenu(menuBar()->addMenu(tr("&File")));

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = doc_->undoStack()->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = doc_->undoStack()->createRedoAction(this, tr("&Redo"));
    redo->setShortcut(QKeySequence::Redo);
    edit->addAction(undo);
    edit->addAction(redo);
    edit->addSeparator();
    QAction* copy = edit->addAction(tr("&Copy table as TSV"), this, &MainWindow::copyTableAsTsv);
    copy->setObjectName(QStringLiteral("copyTableAction"));
    copy->setShortcut(QKeySequence::Copy);
    copy->setStatusTip(tr("Copy the selected rows (or the whole table) as tab-separated text"));

    createPlanMenu(menuBar()->addMenu(tr("&Plan")));

    viewMenu_ = menuBar()->addMenu(tr("&View"));

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* about = help->addAction(tr("&About TrainPlan Studio"), this, &MainWindow::showAbout);
    about->setMenuRole(QAction::AboutRole);
}

void MainWindow::createCentralArea() {
    planModel_ = new PlanTableModel(this);
    planTable_ = new QTableView(this);
    planTable_->setObjectName(QStringLiteral("planTable"));
    planTable_->setModel(planModel_);
    planTable_->setItemDelegate(new PlanTableDelegate(planTable_));
    planTable_->setAlternatingRowColors(true);
    planTable_->setSelectionBehavior(QAbstractItemView::SelectRows);
    planTable_->setEditTriggers(QAbstractItemView::DoubleClicked |
                                QAbstractItemView::SelectedClicked |
                                QAbstractItemView::EditKeyPressed);
    planTable_->setWordWrap(false);
    planTable_->setShowGrid(false);
    planTable_->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    planTable_->verticalHeader()->setDefaultSectionSize(planTable_->fontMetrics().height() + 10);
    planTable_->horizontalHeader()->setHighlightSections(false);
    planTable_->setContextMenuPolicy(Qt::ActionsContextMenu);

    layerModel_ = new LayerTableModel(this);
    layerProxy_ = new QSortFilterProxyModel(this);
    layerProxy_->setSourceModel(layerModel_);
    layerProxy_->setSortRole(LayerTableModel::SortRole);
    layerProxy_->setSortCaseSensitivity(Qt::CaseInsensitive);
    layerTable_ = new QTableView(this);
    layerTable_->setObjectName(QStringLiteral("layerTable"));
    layerTable_->setModel(layerProxy_);
    layerTable_->setAlternatingRowColors(true);
    layerTable_->setSelectionBehavior(QAbstractItemView::SelectRows);
    layerTable_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    layerTable_->setWordWrap(false);
    layerTable_->setShowGrid(false);
    layerTable_->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    layerTable_->verticalHeader()->setDefaultSectionSize(layerTable_->fontMetrics().height() + 8);
    QHeaderView* header = layerTable_->horizontalHeader();
    header->setHighlightSections(false);
    header->setStretchLastSection(false);
    // Unsorted is graph order; a third click on a header returns to it.
    header->setSortIndicatorClearable(true);
    header->setSortIndicator(-1, Qt::AscendingOrder);
    layerTable_->setSortingEnabled(true);

    tableTabs_ = new QTabWidget(this);
    tableTabs_->setObjectName(QStringLiteral("tableTabs"));
    tableTabs_->setDocumentMode(true);
    tableTabs_->addTab(planTable_, tr("Training plan"));
    tableTabs_->addTab(layerTable_, tr("Network"));
    tableTabs_->setTabToolTip(0, tr("Layers with parameters: set how each trains (double-click "
                                    "Mode; select many rows to set them together)"));
    tableTabs_->setTabToolTip(1, tr("Every op of the forward network"));

    results_ = new ResultsPanel(this);
    results_->setObjectName(QStringLiteral("resultsPanel"));

    auto* split = new QSplitter(Qt::Vertical, this);
    split->setObjectName(QStringLiteral("centralSplitter"));
    split->addWidget(tableTabs_);
    split->addWidget(results_);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    setCentralWidget(split);

    connect(planModel_, &PlanTableModel::layerPlanRequested, this,
            [this](const QStringList& ops, const LayerPlan& layer) {
                const QString problem = doc_->setLayerPlan(ops, layer);
                if (!problem.isEmpty()) reportProblem(tr("Cannot change the plan"), problem);
            });
    connect(planModel_, &PlanTableModel::adapterRequested, this,
            [this](const QString& block, bool on) {
                const QString problem = doc_->setAdapter(block, on);
                if (!problem.isEmpty()) reportProblem(tr("Cannot change the plan"), problem);
            });
}

void MainWindow::createDocks() {
    target_ = new TargetPanel(doc_, this);
    target_->setObjectName(QStringLiteral("targetPanel"));
    auto* targetDock = new QDockWidget(tr("Target"), this);
    targetDock->setObjectName(QStringLiteral("targetDock"));
    auto* scroll = new QScrollArea(targetDock);
    scroll->setWidget(target_);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    // Wide enough for the controls; the panel scrolls vertically on small screens.
    scroll->setMinimumWidth(target_->minimumSizeHint().width() +
                            scroll->verticalScrollBar()->sizeHint().width());
    targetDock->setWidget(scroll);
    targetDock->setAllowedAreas(Qt::LeftDockWidgetArea | Qt::RightDockWidgetArea);
    addDockWidget(Qt::LeftDockWidgetArea, targetDock);
    resizeDocks({targetDock}, {360}, Qt::Horizontal);
    viewMenu_->addAction(targetDock->toggleViewAction());
    connect(target_, &TargetPanel::solveRequested, this, &MainWindow::solve);
    connect(target_, &TargetPanel::cancelRequested, this, &MainWindow::cancelSolve);
    connect(target_, &TargetPanel::compareRequested, this, &MainWindow::compareBoards);
    connect(target_, &TargetPanel::problem, this,
            [this](const QString& m) { reportProblem(tr("Cannot change the design"), m); });
    connect(target_, &TargetPanel::autoSolveToggled, this, [this](bool on) {
        QSettings().setValue(kAutoSolveKey, on);
        if (on) onDesignChanged();
    });

    inspector_ = new NetworkInspector(this);
    auto* dock = new QDockWidget(tr("Inspector"), this);
    dock->setObjectName(QStringLiteral("inspectorDock"));
    dock->setWidget(inspector_);
    dock->setAllowedAreas(Qt::LeftDockWidgetArea | Qt::RightDockWidgetArea);
    addDockWidget(Qt::RightDockWidgetArea, dock);
    resizeDocks({dock}, {300}, Qt::Horizontal);
    viewMenu_->addAction(dock->toggleViewAction());

    connect(layerTable_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                inspector_->setCurrentOp(current.isValid() ? layerProxy_->mapToSource(current).row()
                                                           : -1);
            });
}

void MainWindow::createStatusBar() {
    busyIndicator_ = new QProgressBar(this);
    busyIndicator_->setRange(0, 0);  // indeterminate: the loader reports no progress
    busyIndicator_->setMaximumWidth(120);
    busyIndicator_->setMaximumHeight(statusBar()->fontMetrics().height());
    busyIndicator_->setTextVisible(false);
    busyIndicator_->hide();
    statusBar()->addPermanentWidget(busyIndicator_);

    cancelButton_ = new QToolButton(this);
    cancelButton_->setObjectName(QStringLiteral("cancelLoadButton"));
    cancelButton_->setIcon(style()->standardIcon(QStyle::SP_DialogCancelButton));
    cancelButton_->setToolTip(tr("Stop loading (Esc); the current design stays"));
    cancelButton_->setAutoRaise(true);
    cancelButton_->hide();
    connect(cancelButton_, &QToolButton::clicked, this, &MainWindow::cancelLoad);
    statusBar()->addPermanentWidget(cancelButton_);

    totalsLabel_ = new QLabel(this);
    totalsLabel_->setObjectName(QStringLiteral("totalsLabel"));
    totalsLabel_->setToolTip(
        tr("Totals from the engine: ops, trainable parameter elements, forward MACs per sample"));
    statusBar()->addPermanentWidget(totalsLabel_);
}

void MainWindow::openModel(const QString& spec) {
    const quint64 serial = ++latestLoad_;
    setBusy(true);
    statusBar()->showMessage(tr("Loading %1…").arg(spec));

    QElapsedTimer clock;
    clock.start();
    auto* watcher = new QFutureWatcher<LoadOutcome>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, serial, spec, clock] {
        const LoadOutcome outcome = watcher->result();
        watcher->deleteLater();
        finishLoad(serial, spec, outcome.network, outcome.error, clock.elapsed());
    });
    watcher->setFuture(QtConcurrent::run(loadInBackground, spec.toStdString()));
}

void MainWindow::cancelLoad() {
    if (!loading_) return;
    ++latestLoad_;  // the running request is no longer the newest: its result is dropped
    setBusy(false);
    statusBar()->showMessage(tr("Loading cancelled"), 5000);
}

void MainWindow::finishLoad(quint64 serial, const QString& spec,
                            std::shared_ptr<const Network> network, const QString& error,
                            qint64 elapsedMs) {
    if (serial != latestLoad_) return;  // superseded by a newer request
    setBusy(false);
    if (!network) {
        // Engine errors usually name the file already; say it once.
        const QString message = error.contains(spec) ? tr("Could not open model: %1").arg(error)
                                                     : tr("Could not open %1: %2").arg(spec, error);
        statusBar()->showMessage(message);
        if (interactive_) {
            auto* box = new QMessageBox(QMessageBox::Warning, tr("Could not open model"),
                                        tr("Could not open %1.").arg(QFileInfo(spec).fileName()),
                                        QMessageBox::Ok, this);
            box->setInformativeText(error + QStringLiteral("\n\n") +
                                    tr("The current network is unchanged."));
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->open();
        }
        emit loadFailed(message);
        return;
    }
    startDesign(std::move(network), spec);
    const QString elapsed = elapsedMs < 1000 ? tr("%1 ms").arg(elapsedMs)
                                             : tr("%1 s").arg(elapsedMs / 1000.0, 0, 'f', 1);
    statusBar()->showMessage(tr("Opened %1 in %2").arg(spec, elapsed), 5000);
    emit modelLoaded();
}

void MainWindow::startDesign(std::shared_ptr<const Network> network, const QString& spec) {
    solver_->cancel();
    comparer_->cancel();
    results_->clear();
    layerModel_->setNetwork(network);
    planModel_->setNetwork(network);
    inspector_->setNetwork(network, spec);

    PlanDesign design;
    if (pendingDesign_) {
        design = *pendingDesign_;  // a project being opened
        pendingDesign_.reset();
    } else {
        // A new design: the last board and preset the user chose, the board's SRAM as budget.
        projectPath_.clear();
        const QSettings settings;
        const std::string preset =
            settings.value(kLastPresetKey, QStringLiteral("last-layer")).toString().toStdString();
        Result<TrainingPlan> plan = make_preset(*network, preset);
        if (!plan) plan = make_preset(*network, "last-layer");
        if (plan) design.plan = std::move(plan).value();
        design.deviceId = settings.value(kLastBoardKey, QStringLiteral("stm32f746")).toString();
        if (!doc_->deviceLibrary().find(design.deviceId.toStdString()) &&
            !doc_->deviceLibrary().devices.empty())
            design.deviceId = QString::fromStdString(doc_->deviceLibrary().devices.front().id);
    }
    doc_->reset(std::move(network), spec, design);
    fitColumnsToContents();
    updateTitle();
    updateTotals();
}

void MainWindow::fitColumnsToContents() {
    // Contents plus breathing room; the user may still drag any column wider.
    constexpr int kColumnPaddingPx = 24;
    for (QTableView* table : {layerTable_, planTable_}) {
        table->resizeColumnsToContents();
        for (int column = 0; column < table->model()->columnCount(); ++column)
            table->setColumnWidth(column, table->columnWidth(column) + kColumnPaddingPx);
    }
}

void MainWindow::setBusy(bool busy) {
    if (busy == loading_) return;  // the override cursor is a stack: push and pop once
    loading_ = busy;
    busyIndicator_->setVisible(busy);
    cancelButton_->setVisible(busy);
    if (busy)
        QApplication::setOverrideCursor(Qt::BusyCursor);
    else
        QApplication::restoreOverrideCursor();
}

void MainWindow::updateTitle() {
    const std::shared_ptr<const Network>& net = doc_->network();
    if (!net) {
        setWindowTitle(kAppTitle);
        return;
    }
    // "[*]" shows the unsaved-changes mark the platform's way.
    QString name = projectPath_.isEmpty() ? QString::fromStdString(net->name)
                                          : QFileInfo(projectPath_).fileName();
    if (name.isEmpty()) name = QFileInfo(doc_->modelSpec()).fileName();
    setWindowTitle(QStringLiteral("%1[*] — %2").arg(name, kAppTitle));
    setWindowModified(doc_->isModified());
}

void MainWindow::updateTotals() {
    const std::shared_ptr<const Network>& net = doc_->network();
    if (!net) {
        totalsLabel_->setText(tr("No network open"));
        return;
    }
    totalsLabel_->setText(tr("%1 layers  ·  %2 parameters  ·  %3 MACs")
                              .arg(formatCount(static_cast<qint64>(net->ops.size())),
                                   formatCount(net->trainable_param_count()),
                                   formatCount(net->total_macs())));
}

void MainWindow::reportProblem(const QString& title, const QString& message) {
    statusBar()->showMessage(message, 10000);
    if (!interactive_) return;
    auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::showOpenDialog() {
    QSettings settings;
    const QString dir = settings.value(kLastDirKey).toString();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open network"), dir, tr("Networks (*.onnx *.tpnet.json);;All files (*)"));
    if (path.isEmpty()) return;
    settings.setValue(kLastDirKey, QFileInfo(path).absolutePath());
    openModel(path);
}

void MainWindow::showAbout() {
    QMessageBox::about(
        this, tr("About TrainPlan Studio"),
        tr("<h3>TrainPlan Studio %1</h3>"
           "<p>Plans on-device training of neural networks: which layers train and how, "
           "and a recompute/paging schedule that fits a RAM budget at the least energy.</p>"
           "<p>Builds on TinyTL (Cai et al., NeurIPS 2020), On-Device Training Under 256KB "
           "Memory (Lin et al., NeurIPS 2022) and POET (Patil et al., ICML 2022).</p>")
            .arg(QApplication::applicationVersion()));
}

QString MainWindow::droppedFilePath(const QMimeData* mime) {
    if (!mime || !mime->hasUrls()) return {};
    for (const QUrl& url : mime->urls())
        if (url.isLocalFile() && (looksLikeModelFile(url.toLocalFile()) ||
                                  url.toLocalFile().endsWith(QLatin1String(".tplan"))))
            return url.toLocalFile();
    return {};
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (!maybeSave()) {
        event->ignore();
        return;
    }
    solver_->cancel();
    comparer_->cancel();
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kWindowStateKey, saveState());
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (!droppedFilePath(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QString path = droppedFilePath(event->mimeData());
    if (path.isEmpty()) return;
    event->acceptProposedAction();
    if (path.endsWith(QLatin1String(".tplan")))
        openProject(path);
    else if (maybeSave())
        openModel(path);
}

}  // namespace tp
