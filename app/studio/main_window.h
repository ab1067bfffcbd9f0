// MainWindow: the studio's top-level window. Holds the open network and the views over
// it; models load on a worker thread so the window never freezes while importing.
#pragma once

#include <QMainWindow>
#include <memory>

#include "engine/network.h"

class QAction;
class QLabel;
class QMenu;
class QMimeData;
class QProgressBar;
class QSortFilterProxyModel;
class QTableView;
class QToolButton;

namespace tp {

class LayerTableModel;
class NetworkInspector;

class MainWindow : public QMainWindow {
    Q_OBJECT

  public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Loads `spec` ("zoo:NAME" or a .onnx / .tpnet.json path) in the background, then emits
    // modelLoaded() or loadFailed(). The current network stays until a load succeeds; a
    // newer request supersedes one still running (its result is dropped, no signal).
    void openModel(const QString& spec);

    // Interactive (the default) shows load errors in a dialog as well as the status bar.
    // Off, errors go to the status bar only: for tests and scripted runs.
    void setInteractive(bool interactive) { interactive_ = interactive; }
    bool isInteractive() const { return interactive_; }

    // Stops waiting for the running load: its result is dropped, no signal is emitted and
    // the current network stays. (The engine's loader cannot be interrupted; the worker
    // finishes in the background.)
    void cancelLoad();

    bool isLoading() const { return loading_; }
    const std::shared_ptr<const Network>& network() const { return network_; }
    QString currentSpec() const { return currentSpec_; }

  signals:
    void modelLoaded();
    void loadFailed(const QString& message);  // names the spec and the cause

  protected:
    void closeEvent(QCloseEvent* event) override;  // remembers geometry and dock layout
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

  private:
    void createMenus();
    void createCentralTable();
    void createStatusBar();
    void createInspectorDock();
    void showOpenDialog();
    void showAbout();

    void finishLoad(quint64 serial, const QString& spec, std::shared_ptr<const Network> network,
                    const QString& error, qint64 elapsedMs);
    void setNetwork(std::shared_ptr<const Network> network, const QString& spec);
    void fitColumnsToContents();
    void setBusy(bool busy);
    void updateTitle();
    void updateTotals();
    static QString droppedModelPath(const QMimeData* mime);

    std::shared_ptr<const Network> network_;
    QString currentSpec_;
    bool interactive_ = true;
    quint64 latestLoad_ = 0;  // serial of the newest openModel() request
    bool loading_ = false;    // the newest request has not finished

    LayerTableModel* layerModel_ = nullptr;
    QSortFilterProxyModel* layerProxy_ = nullptr;
    QTableView* layerTable_ = nullptr;
    NetworkInspector* inspector_ = nullptr;
    QMenu* viewMenu_ = nullptr;
    QLabel* totalsLabel_ = nullptr;
    QProgressBar* busyIndicator_ = nullptr;
    QToolButton* cancelButton_ = nullptr;
    QMenu* zooMenu_ = nullptr;
};

}  // namespace tp
