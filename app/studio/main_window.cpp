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
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QStyle>
#include <QTableView>
#include <QToolButton>
#include <QtConcurrent/QtConcurrentRun>
#include <exception>

#include "engine/model_loader.h"
#include "engine/zoo/zoo.h"
#include "views/layer_table_model.h"
#include "views/network_inspector.h"
#include "views/number_format.h"

namespace tp {
namespace {

const QString kAppTitle = QStringLiteral("TrainPlan Studio");
const QString kLastDirKey = QStringLiteral("studio/lastOpenDir");
const QString kGeometryKey = QStringLiteral("studio/geometry");
const QString kWindowStateKey = QStringLiteral("studio/windowState");

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
    createCentralTable();
    createMenus();
    createInspectorDock();
    createStatusBar();
    setAcceptDrops(true);
    updateTitle();
    updateTotals();

    const QSettings settings;
    if (!restoreGeometry(settings.value(kGeometryKey).toByteArray())) resize(1280, 800);
    restoreState(settings.value(kWindowStateKey).toByteArray());
}

MainWindow::~MainWindow() {
    // A load still running finishes in the pool and is dropped; only the cursor is ours to undo.
    if (loading_) QApplication::restoreOverrideCursor();
}

void MainWindow::createMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));

    QAction* open = file->addAction(tr("&Open…"), this, &MainWindow::showOpenDialog);
    open->setShortcut(QKeySequence::Open);
    open->setStatusTip(tr("Open an ONNX or .tpnet.json network"));

    zooMenu_ = file->addMenu(tr("New from &zoo"));
    zooMenu_->setToolTipsVisible(true);
    for (const ZooEntry& entry : zoo_entries()) {
        const QString id = QString::fromStdString(entry.id);
        QAction* action =
            zooMenu_->addAction(id, this, [this, id] { openModel(QStringLiteral("zoo:") + id); });
        action->setStatusTip(QString::fromStdString(entry.description));
        action->setToolTip(QStringLiteral("%1\n%2").arg(QString::fromStdString(entry.description),
                                                        QString::fromStdString(entry.source)));
    }
    zooMenu_->setEnabled(!zooMenu_->isEmpty());

    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), qApp, &QApplication::closeAllWindows);
    quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    quit->setMenuRole(QAction::QuitRole);

    viewMenu_ = menuBar()->addMenu(tr("&View"));

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* about = help->addAction(tr("&About TrainPlan Studio"), this, &MainWindow::showAbout);
    about->setMenuRole(QAction::AboutRole);
}

void MainWindow::createCentralTable() {
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
    setCentralWidget(layerTable_);
}

void MainWindow::createInspectorDock() {
    inspector_ = new NetworkInspector(this);
    auto* dock = new QDockWidget(tr("Inspector"), this);
    dock->setObjectName(QStringLiteral("inspectorDock"));
    dock->setWidget(inspector_);
    dock->setAllowedAreas(Qt::LeftDockWidgetArea | Qt::RightDockWidgetArea);
    addDockWidget(Qt::RightDockWidgetArea, dock);
    resizeDocks({dock}, {340}, Qt::Horizontal);
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
    cancelButton_->setToolTip(tr("Stop loading (Esc); the current network stays"));
    cancelButton_->setShortcut(QKeySequence(Qt::Key_Escape));
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
    setNetwork(std::move(network), spec);
    const QString elapsed = elapsedMs < 1000 ? tr("%1 ms").arg(elapsedMs)
                                             : tr("%1 s").arg(elapsedMs / 1000.0, 0, 'f', 1);
    statusBar()->showMessage(tr("Opened %1 in %2").arg(spec, elapsed), 5000);
    emit modelLoaded();
}

void MainWindow::setNetwork(std::shared_ptr<const Network> network, const QString& spec) {
    network_ = std::move(network);
    currentSpec_ = spec;
    layerModel_->setNetwork(network_);
    inspector_->setNetwork(network_, spec);
    fitColumnsToContents();
    updateTitle();
    updateTotals();
}

void MainWindow::fitColumnsToContents() {
    // Contents plus breathing room; the user may still drag any column wider.
    constexpr int kColumnPaddingPx = 24;
    layerTable_->resizeColumnsToContents();
    for (int column = 0; column < layerModel_->columnCount(); ++column)
        layerTable_->setColumnWidth(column, layerTable_->columnWidth(column) + kColumnPaddingPx);
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
    if (!network_) {
        setWindowTitle(kAppTitle);
        return;
    }
    QString name = QString::fromStdString(network_->name);
    if (name.isEmpty()) name = QFileInfo(currentSpec_).fileName();
    setWindowTitle(QStringLiteral("%1 — %2").arg(kAppTitle, name));
}

void MainWindow::updateTotals() {
    if (!network_) {
        totalsLabel_->setText(tr("No network open"));
        return;
    }
    totalsLabel_->setText(tr("%1 layers  ·  %2 parameters  ·  %3 MACs")
                              .arg(formatCount(static_cast<qint64>(network_->ops.size())),
                                   formatCount(network_->trainable_param_count()),
                                   formatCount(network_->total_macs())));
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

QString MainWindow::droppedModelPath(const QMimeData* mime) {
    if (!mime || !mime->hasUrls()) return {};
    for (const QUrl& url : mime->urls())
        if (url.isLocalFile() && looksLikeModelFile(url.toLocalFile())) return url.toLocalFile();
    return {};
}

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kWindowStateKey, saveState());
    QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (!droppedModelPath(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QString path = droppedModelPath(event->mimeData());
    if (path.isEmpty()) return;
    event->acceptProposedAction();
    openModel(path);
}

}  // namespace tp
