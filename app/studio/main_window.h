// MainWindow: the studio's top-level window. It wires the PlanDocument (the design being
// edited, with its undo stack) to the views: the target controls on the left, the training
// plan and network tables, and the solve results below. Models and projects load on a worker
// thread, solves and comparisons run on workers too: the window never freezes.
#pragma once

#include <QMainWindow>
#include <memory>

#include "app/studio/compare_controller.h"
#include "app/studio/plan_document.h"
#include "app/studio/solve_controller.h"
#include "engine/network.h"
#include "engine/project.h"

class QAction;
class QLabel;
class QMenu;
class QMimeData;
class QProgressBar;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;
class QToolButton;

namespace tp {

class FirmwareExportDialog;
class LayerTableModel;
class NetworkInspector;
class PlanTableModel;
class ResultsPanel;
class TargetPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT

  public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Loads `spec` ("zoo:NAME" or a .onnx / .tpnet.json path) in the background, then emits
    // modelLoaded() or loadFailed(). The current design stays until a load succeeds; a newer
    // request supersedes one still running (its result is dropped, no signal).
    void openModel(const QString& spec);
    // Opens a .tplan project in the background (model, plan, board, budget; then solves).
    // A moved or changed model is offered a way out (locate it, open anyway) when interactive.
    void openProject(const QString& path, const ProjectLoadOptions& options = {});
    // Saves the design to `path` atomically; false (with the reason in the status bar and,
    // interactive, a dialog) when it could not be written. The file on disk is then unchanged.
    bool saveProject(const QString& path);
    QString projectPath() const { return projectPath_; }

    // Interactive (the default) shows errors and prompts in dialogs. Off, errors go to the
    // status bar only and closing discards unsaved edits: for tests and scripted runs.
    void setInteractive(bool interactive) { interactive_ = interactive; }
    bool isInteractive() const { return interactive_; }

    // Stops waiting for the running load: its result is dropped, no signal is emitted and the
    // current design stays. (The engine's loader cannot be interrupted; the worker finishes in
    // the background.)
    void cancelLoad();

    // Solve the current design now / stop the running solve / compare boards × budgets.
    void solve();
    void cancelSolve();
    void compareBoards();

    bool isLoading() const { return loading_; }
    const std::shared_ptr<const Network>& network() const { return doc_->network(); }
    QString currentSpec() const { return doc_->modelSpec(); }
    PlanDocument* document() const { return doc_; }
    ResultsPanel* results() const { return results_; }
    TargetPanel* targetPanel() const { return target_; }
    SolveController* solveController() const { return solver_; }

  signals:
    void modelLoaded();
    void loadFailed(const QString& message);  // names the spec and the cause
    void solveFinished();                     // the results panel shows a new outcome
    void compareFinished();

  protected:
    void closeEvent(QCloseEvent* event) override;  // dirty prompt; remembers the layout
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

  private:
    // main_window.cpp: layout and model loading
    void createMenus();
    void createCentralArea();
    void createStatusBar();
    void createDocks();
    void showOpenDialog();
    void showAbout();
    void finishLoad(quint64 serial, const QString& spec, std::shared_ptr<const Network> network,
                    const QString& error, qint64 elapsedMs);
    void startDesign(std::shared_ptr<const Network> network, const QString& spec);
    void fitColumnsToContents();
    void setBusy(bool busy);
    void updateTitle();
    void updateTotals();
    void reportProblem(const QString& title, const QString& message);
    static QString droppedFilePath(const QMimeData* mime);

    // main_window_plan.cpp: plan edits, solving, comparing
    void createPlanMenu(QMenu* menu);
    void onDesignChanged();
    void onSolveFinished(std::shared_ptr<const SolveOutcome> outcome);
    void applyModeToSelection(UpdateMode mode);
    SolveJob currentJob() const;

    // main_window_files.cpp: projects, recent files, export, clipboard
    void createFileMenu(QMenu* file);
    void showOpenProjectDialog();
    bool offerProjectWayOut(const QString& path, const ProjectLoadOptions& options,
                            ProjectProblem problem, const QString& error);
    void finishProject(const QString& path, const LoadedProject& loaded);
    // The engine's Project for the current design (needs a network): what Save writes and what
    // Export firmware hands the CLI. Touches no file and no window state.
    Project projectFromDocument() const;
    bool save();
    bool saveAs();
    bool maybeSave();  // the dirty-document prompt; false when the user cancels
    void addRecentFile(const QString& path);
    void updateRecentMenu();
    void exportCurrentChart();
    void showFirmwareExportDialog();  // File ▸ Export firmware…: one non-modal dialog, reused
    void copyTableAsTsv();

    PlanDocument* doc_ = nullptr;
    SolveController* solver_ = nullptr;
    CompareController* comparer_ = nullptr;
    QString projectPath_;
    bool interactive_ = true;
    quint64 latestLoad_ = 0;  // serial of the newest load request
    bool loading_ = false;    // the newest request has not finished
    std::optional<PlanDesign> pendingDesign_;  // a project's design, applied when its model loads

    TargetPanel* target_ = nullptr;
    ResultsPanel* results_ = nullptr;
    QTabWidget* tableTabs_ = nullptr;
    PlanTableModel* planModel_ = nullptr;
    QTableView* planTable_ = nullptr;
    LayerTableModel* layerModel_ = nullptr;
    QSortFilterProxyModel* layerProxy_ = nullptr;
    QTableView* layerTable_ = nullptr;
    NetworkInspector* inspector_ = nullptr;
    QMenu* viewMenu_ = nullptr;
    QMenu* recentMenu_ = nullptr;
    QAction* exportFirmwareAction_ = nullptr;
    FirmwareExportDialog* firmwareDialog_ = nullptr;
    QLabel* totalsLabel_ = nullptr;
    QProgressBar* busyIndicator_ = nullptr;
    QToolButton* cancelButton_ = nullptr;
    QMenu* zooMenu_ = nullptr;
};

}  // namespace tp
