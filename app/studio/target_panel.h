// TargetPanel: the studio's left-hand controls over the PlanDocument — board, RAM budget and
// deadline, plan preset, precision and optimizer, solver — and the Solve / Cancel / Compare
// buttons. It shows the document's design and turns user actions into document edits; it never
// holds state of its own, so undo and redo are reflected here like any other change.
#pragma once

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;

namespace tp {

class BoardPicker;
class BudgetEditor;
class PlanDocument;

class TargetPanel : public QWidget {
    Q_OBJECT

  public:
    explicit TargetPanel(PlanDocument* document, QWidget* parent = nullptr);

    bool autoSolve() const;
    void setAutoSolve(bool on);
    void setSolving(bool solving);  // enables Cancel, disables Solve
    void refreshBoards();           // after the document's board library changed
    BoardPicker* boardPicker() const { return board_; }
    BudgetEditor* budgetEditor() const { return budget_; }

  signals:
    void solveRequested();
    void cancelRequested();
    void compareRequested();
    void autoSolveToggled(bool on);
    void problem(const QString& message);  // an edit the document refused

  private:
    void syncFromDocument();  // design → widgets, without emitting edits

    PlanDocument* doc_;
    BoardPicker* board_;
    BudgetEditor* budget_;
    QComboBox* preset_;
    QComboBox* precision_;
    QComboBox* optimizer_;
    QComboBox* solver_;
    QCheckBox* auto_;
    QPushButton* solve_;
    QPushButton* cancel_;
    QPushButton* compare_;
    QLabel* memory_;
    bool syncing_ = false;
};

}  // namespace tp
