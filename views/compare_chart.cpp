#include "views/compare_chart.h"

#include <qcustomplot.h>

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLocale>
#include <QSplitter>
#include <QTableWidget>
#include <algorithm>

#include "views/energy_chart.h"
#include "views/number_format.h"

namespace tp {
namespace {

constexpr double kKiB = 1024.0;
// Rows of infeasible crosses sit in a band under the curves (yAxis2 runs 0..1 over the plot).
constexpr double kCrossRowBase = 0.05;
constexpr double kCrossRowStep = 0.045;

QColor boardColor(int i) {
    static const QColor palette[] = {QColor(0x4e, 0x79, 0xa7), QColor(0xe1, 0x57, 0x59),
                                     QColor(0x59, 0xa1, 0x4f), QColor(0xf2, 0x8e, 0x2b),
                                     QColor(0xb0, 0x7a, 0xa1), QColor(0x76, 0xb7, 0xb2),
                                     QColor(0xed, 0xc9, 0x48), QColor(0x9c, 0x75, 0x5f)};
    return palette[i % static_cast<int>(std::size(palette))];
}

bool solved(const CompareCell& c) {
    return c.status == QLatin1String("optimal") || c.status == QLatin1String("feasible");
}

QString cellToolTip(const QString& board, qint64 budget, const CompareCell& c) {
    QString text = QStringLiteral("%1 at %2: %3").arg(board, formatBytes(budget), c.status);
    if (solved(c) || (c.status == QLatin1String("cancelled") && c.energy_j > 0)) {
        text += QStringLiteral("\nenergy %1\ntime %2 ms\npeak RAM %3")
                    .arg(formatMillijoules(c.energy_j * 1e3))
                    .arg(QLocale().toString(c.time_s * 1e3, 'f', 2))
                    .arg(formatBytes(c.peak_bytes));
        if (c.status == QLatin1String("feasible"))
            text += QStringLiteral("\ngap %1%").arg(QLocale().toString(c.gap * 100, 'f', 2));
    }
    if (c.status == QLatin1String("time_limit"))
        text += QStringLiteral(
            "\nno schedule found within the time limit, and no proof that "
            "none fits: a longer limit may find one");
    return text;
}

}  // namespace

QString CompareView::cellText(const CompareCell& c) {
    if (c.status == QLatin1String("optimal")) return formatMillijoules(c.energy_j * 1e3);
    if (c.status == QLatin1String("feasible"))
        return QStringLiteral("%1 (gap %2%)")
            .arg(formatMillijoules(c.energy_j * 1e3), QLocale().toString(c.gap * 100, 'f', 1));
    if (c.status == QLatin1String("pending")) return QStringLiteral("…");
    if (c.status == QLatin1String("time_limit")) return tr("time limit");
    return c.status;  // infeasible, cancelled, error
}

CompareView::CompareView(QWidget* parent) : QWidget(parent) {
    plot_ = new QCustomPlot;
    plot_->setObjectName(QStringLiteral("comparePlot"));
    table_ = new QTableWidget;
    table_->setObjectName(QStringLiteral("compareTable"));
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table_->verticalHeader()->setVisible(false);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table_->setAlternatingRowColors(true);
    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(plot_);
    split->addWidget(table_);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
    setMinimumSize(480, 260);

    plot_->plotLayout()->insertRow(0);
    plot_->plotLayout()->addElement(
        0, 0,
        new QCPTextElement(plot_, tr("Energy against RAM budget"),
                           QFont(font().family(), font().pointSize() + 1, QFont::Bold)));
    plot_->xAxis->setLabel(tr("RAM budget (KiB)"));
    plot_->yAxis->setLabel(tr("Energy per training step (mJ)"));
    plot_->xAxis->grid()->setPen(QPen(QColor(0xdd, 0xdd, 0xdd), 0, Qt::DotLine));
    plot_->yAxis->grid()->setPen(QPen(QColor(0xdd, 0xdd, 0xdd), 0, Qt::DotLine));
    plot_->yAxis2->setRange(0, 1);  // the cross band's coordinates; never shown
    plot_->legend->setVisible(true);
    plot_->legend->setWrap(4);
    plot_->legend->setFillOrder(QCPLegend::foColumnsFirst);
    plot_->legend->setBorderPen(Qt::NoPen);
    plot_->plotLayout()->addElement(2, 0, plot_->legend);
    plot_->plotLayout()->setRowStretchFactor(2, 0.001);
    plot_->plotLayout()->setRowStretchFactor(0, 0.001);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    // The band under the curves where the crosses of infeasible budgets sit.
    infeasibleBand_ = new QCPItemRect(plot_);
    infeasibleBand_->setLayer(QStringLiteral("grid"));
    infeasibleBand_->setPen(Qt::NoPen);
    infeasibleBand_->setBrush(QColor(0xf4, 0xf4, 0xf4));
    for (QCPItemPosition* p : {infeasibleBand_->topLeft, infeasibleBand_->bottomRight}) {
        p->setAxes(plot_->xAxis, plot_->yAxis2);
        p->setTypeX(QCPItemPosition::ptAxisRectRatio);
        p->setTypeY(QCPItemPosition::ptPlotCoords);
    }
    infeasibleLabel_ = new QCPItemText(plot_);
    infeasibleLabel_->position->setAxes(plot_->xAxis, plot_->yAxis2);
    infeasibleLabel_->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
    infeasibleLabel_->position->setTypeY(QCPItemPosition::ptPlotCoords);
    infeasibleLabel_->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    infeasibleLabel_->setText(tr("does not fit"));
    infeasibleLabel_->setColor(QColor(0x88, 0x88, 0x88));
    emptyText_ = new QCPItemText(plot_);
    emptyText_->position->setType(QCPItemPosition::ptAxisRectRatio);
    emptyText_->position->setCoords(0.5, 0.5);
    emptyText_->setColor(Qt::gray);
    reset({}, {});
}

void CompareView::reset(QStringList boards, QVector<qint64> budgets) {
    boards_ = std::move(boards);
    budgets_ = std::move(budgets);
    cells_ = QVector<CompareCell>(boards_.size() * budgets_.size());
    plot_->clearGraphs();
    curves_.clear();
    crosses_.clear();
    for (int b = 0; b < boards_.size(); ++b) {
        QCPGraph* g = plot_->addGraph();
        g->setName(boards_[b]);
        g->setPen(QPen(boardColor(b), 2));
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, boardColor(b), Qt::white, 7));
        curves_ << g;
        QCPGraph* x = plot_->addGraph(plot_->xAxis, plot_->yAxis2);
        x->setLineStyle(QCPGraph::lsNone);
        x->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssCross, QPen(boardColor(b), 2), Qt::NoBrush, 9));
        x->removeFromLegend();
        crosses_ << x;
    }
    infeasibleKey_ = plot_->addGraph(plot_->xAxis, plot_->yAxis2);  // legend entry only
    infeasibleKey_->setName(tr("infeasible budget"));
    infeasibleKey_->setLineStyle(QCPGraph::lsNone);
    infeasibleKey_->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssCross, QPen(Qt::black, 2), Qt::NoBrush, 9));
    plot_->legend->setFillOrder(QCPLegend::foColumnsFirst, true);  // close gaps of removed entries
    const double bandTop = kCrossRowBase + kCrossRowStep * (boards_.size() - 0.4);
    infeasibleBand_->topLeft->setCoords(0, bandTop);
    infeasibleBand_->bottomRight->setCoords(1, 0);
    infeasibleLabel_->position->setCoords(0.01, bandTop);
    emptyText_->setText(boards_.isEmpty() ? tr("Choose boards and budgets to compare")
                                          : tr("Solving…"));
    emptyText_->setVisible(true);

    table_->clear();
    table_->setRowCount(budgets_.size());
    table_->setColumnCount(boards_.size() + 1);
    table_->setHorizontalHeaderLabels(QStringList{tr("Budget")} + boards_);
    for (int r = 0; r < budgets_.size(); ++r) {
        auto* budget = new QTableWidgetItem(formatBytes(budgets_[r]));
        budget->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        budget->setToolTip(tr("%1 bytes").arg(formatCount(budgets_[r])));
        table_->setItem(r, 0, budget);
        for (int b = 0; b < boards_.size(); ++b) table_->setItem(r, b + 1, new QTableWidgetItem);
        updateRow(r);
    }
    rescale();
}

const CompareCell& CompareView::at(int board, int budget) const {
    return cells_[budget * boards_.size() + board];
}

bool CompareView::setPoint(const QString& board, qint64 budget_bytes, const CompareCell& cell) {
    const int b = boardIndex(board), r = budgetIndex(budget_bytes);
    if (b < 0 || r < 0) return false;
    cells_[r * boards_.size() + b] = cell;
    updateBoard(b);
    updateRow(r);
    rescale();
    return true;
}

CompareCell CompareView::point(const QString& board, qint64 budget_bytes) const {
    const int b = boardIndex(board), r = budgetIndex(budget_bytes);
    return b < 0 || r < 0 ? CompareCell{} : at(b, r);
}

QVector<QPointF> CompareView::curve(const QString& board) const {
    QVector<QPointF> points;
    const int b = boardIndex(board);
    if (b < 0) return points;
    for (const auto& d : *curves_[b]->data()) points << QPointF(d.key, d.value);
    return points;
}

QVector<double> CompareView::infeasibleBudgets(const QString& board) const {
    QVector<double> keys;
    const int b = boardIndex(board);
    if (b < 0) return keys;
    for (const auto& d : *crosses_[b]->data()) keys << d.key;
    return keys;
}

QString CompareView::cellText(const QString& board, qint64 budget_bytes) const {
    const int b = boardIndex(board), r = budgetIndex(budget_bytes);
    if (b < 0 || r < 0) return {};
    const QTableWidgetItem* item = table_->item(r, b + 1);
    return item ? item->text() : QString();
}

void CompareView::updateBoard(int b) {
    QVector<double> keys, energy, crossKeys, crossRows;
    for (int r = 0; r < budgets_.size(); ++r) {
        const CompareCell& c = at(b, r);
        const double kib = static_cast<double>(budgets_[r]) / kKiB;
        if (solved(c)) {
            keys << kib;
            energy << c.energy_j * 1e3;
        } else if (c.status == QLatin1String("infeasible")) {
            crossKeys << kib;
            crossRows << kCrossRowBase + kCrossRowStep * b;
        }
    }
    curves_[b]->setData(keys, energy);  // sorts by budget
    crosses_[b]->setData(crossKeys, crossRows);
}

void CompareView::updateRow(int r) {
    int best = -1;
    for (int b = 0; b < boards_.size(); ++b)
        if (solved(at(b, r)) && (best < 0 || at(b, r).energy_j < at(best, r).energy_j)) best = b;
    for (int b = 0; b < boards_.size(); ++b) {
        const CompareCell& c = at(b, r);
        QTableWidgetItem* item = table_->item(r, b + 1);
        item->setText(cellText(c));
        item->setToolTip(cellToolTip(boards_[b], budgets_[r], c));
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        QFont f = table_->font();
        f.setBold(b == best && boards_.size() > 1);
        item->setFont(f);
        const bool failed =
            c.status == QLatin1String("infeasible") || c.status == QLatin1String("error");
        item->setForeground(c.status == QLatin1String("pending") ? QBrush(Qt::gray)
                            : failed                             ? QBrush(QColor(0xb0, 0x20, 0x20))
                                                                 : QBrush());
    }
}

void CompareView::rescale() {
    bool any = false;
    double lo = 0, hi = 0;
    for (QCPGraph* g : curves_)
        for (const auto& d : *g->data()) {
            lo = any ? std::min(lo, d.value) : d.value;
            hi = any ? std::max(hi, d.value) : d.value;
            any = true;
        }
    bool anyCross = false;
    for (QCPGraph* g : crosses_) anyCross = anyCross || !g->data()->isEmpty();
    emptyText_->setVisible(!any && !anyCross);
    infeasibleBand_->setVisible(anyCross);
    infeasibleLabel_->setVisible(anyCross);
    if (any) {
        // Room under the curves for one row of crosses per board.
        const double span = std::max(hi - lo, std::max(hi * 0.05, 1e-9));
        const double band = kCrossRowBase + kCrossRowStep * boards_.size();
        const double top = hi + span * 0.12;
        const double bottom = lo - span * 0.08;
        plot_->yAxis->setRange(bottom - (top - bottom) * band / (1 - band), top);
    } else {
        plot_->yAxis->setRange(0, 1);
    }
    if (!budgets_.isEmpty()) {
        const auto [mn, mx] = std::minmax_element(budgets_.begin(), budgets_.end());
        const double a = static_cast<double>(*mn) / kKiB, b = static_cast<double>(*mx) / kKiB;
        const double pad = std::max((b - a) * 0.05, 1.0);
        plot_->xAxis->setRange(a - pad, b + pad);
    }
    plot_->replot();
}

}  // namespace tp
