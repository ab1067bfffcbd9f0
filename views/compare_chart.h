// CompareView: one plan across boards × RAM budgets, filled in as the solves finish. Left, energy
// per training step against the budget, one curve per board, with the budgets a board cannot meet
// marked by crosses under its curve; right, the same points as a table (rows budgets, columns
// boards). Every number is a solve's result as the engine reported it.
#pragma once

#include <QPointF>
#include <QStringList>
#include <QVector>
#include <QWidget>

class QCustomPlot;
class QCPGraph;
class QCPItemRect;
class QCPItemText;
class QTableWidget;

namespace tp {

// One board × budget solve as the compare table shows it.
struct CompareCell {
    QString status = QStringLiteral("pending");  // optimal, feasible, infeasible, cancelled,
                                                 // error, pending
    double energy_j = 0.0;
    double time_s = 0.0;
    qint64 peak_bytes = 0;
    double gap = 0.0;  // relative, for feasible
};

class CompareView : public QWidget {
    Q_OBJECT

  public:
    explicit CompareView(QWidget* parent = nullptr);

    // Starts over with every cell pending. Budgets are shown in the given order.
    void reset(QStringList boards, QVector<qint64> budgets);
    // Ignored (returns false) for a board or budget not given to reset().
    bool setPoint(const QString& board, qint64 budget_bytes, const CompareCell& cell);

    // What is shown, for tests and export.
    QCustomPlot* plot() const { return plot_; }
    QTableWidget* table() const { return table_; }
    QStringList boards() const { return boards_; }
    QVector<qint64> budgets() const { return budgets_; }
    CompareCell point(const QString& board, qint64 budget_bytes) const;
    QVector<QPointF> curve(const QString& board) const;  // (budget KiB, energy mJ), solved points
    QVector<double> infeasibleBudgets(const QString& board) const;  // KiB
    QString cellText(const QString& board, qint64 budget_bytes) const;
    static QString cellText(const CompareCell& cell);

  private:
    int boardIndex(const QString& board) const { return boards_.indexOf(board); }
    int budgetIndex(qint64 budget) const { return budgets_.indexOf(budget); }
    const CompareCell& at(int board, int budget) const;
    void updateBoard(int board);
    void updateRow(int budget);
    void rescale();

    QCustomPlot* plot_ = nullptr;
    QTableWidget* table_ = nullptr;
    QCPGraph* infeasibleKey_ = nullptr;
    QCPItemRect* infeasibleBand_ = nullptr;
    QCPItemText* infeasibleLabel_ = nullptr;
    QCPItemText* emptyText_ = nullptr;
    QStringList boards_;
    QVector<qint64> budgets_;
    QVector<QCPGraph*> curves_, crosses_;
    QVector<CompareCell> cells_;  // budget-major: budget * boards + board
};

}  // namespace tp
