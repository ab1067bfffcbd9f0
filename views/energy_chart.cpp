#include "views/energy_chart.h"

#include <qcustomplot.h>

#include <QLocale>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

namespace tp {
namespace {

constexpr double kScheduleKey = 2.0;
constexpr double kFloorKey = 1.0;

QColor segmentColor(EnergyChart::Segment s) {
    switch (s) {
        case EnergyChart::Segment::compute:
            return QColor(0x4e, 0x79, 0xa7);
        case EnergyChart::Segment::recompute:
            return QColor(0xf2, 0x8e, 0x2b);
        case EnergyChart::Segment::page_in:
            return QColor(0x59, 0xa1, 0x4f);
        case EnergyChart::Segment::page_out:
            return QColor(0xb0, 0x7a, 0xa1);
        case EnergyChart::Segment::static_power:
            return QColor(0xba, 0xb0, 0xac);
    }
    return Qt::gray;
}

double segmentJoules(const EnergyBreakdown& e, EnergyChart::Segment s) {
    switch (s) {
        case EnergyChart::Segment::compute:
            return e.compute_j;
        case EnergyChart::Segment::recompute:
            return e.recompute_j;
        case EnergyChart::Segment::page_in:
            return e.page_in_j;
        case EnergyChart::Segment::page_out:
            return e.page_out_j;
        case EnergyChart::Segment::static_power:
            return e.static_j;
    }
    return 0.0;
}

}  // namespace

QString formatMillijoules(double mj) {
    QLocale locale;
    const double a = std::abs(mj);
    if (a == 0.0) return QStringLiteral("0 mJ");
    const int decimals = a >= 100 ? 1
                         : a >= 1 ? 2
                                  : std::min(6, 2 - int(std::floor(std::log10(a))));
    return locale.toString(mj, 'f', decimals) + QStringLiteral(" mJ");
}

QString EnergyChart::segmentName(Segment segment) {
    switch (segment) {
        case Segment::compute:
            return tr("Compute");
        case Segment::recompute:
            return tr("Recompute");
        case Segment::page_in:
            return tr("Page in");
        case Segment::page_out:
            return tr("Page out");
        case Segment::static_power:
            return tr("Static power");
    }
    return {};
}

EnergyChart::EnergyChart(QWidget* parent) : QWidget(parent) {
    plot_ = new QCustomPlot(this);
    plot_->setObjectName(QStringLiteral("energyPlot"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    setMinimumSize(360, 200);

    plot_->plotLayout()->insertRow(0);
    plot_->plotLayout()->addElement(
        0, 0,
        new QCPTextElement(plot_, tr("Energy of one training step"),
                           QFont(font().family(), font().pointSize() + 1, QFont::Bold)));
    plot_->xAxis->setLabel(tr("Energy (mJ)"));
    plot_->xAxis->grid()->setPen(QPen(QColor(0xdd, 0xdd, 0xdd), 0, Qt::DotLine));
    plot_->yAxis->grid()->setVisible(false);
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    ticker->addTick(kScheduleKey, tr("Solved schedule"));
    ticker->addTick(kFloorKey, tr("Store-all floor"));
    plot_->yAxis->setTicker(ticker);
    plot_->yAxis->setTickLength(0, 0);
    plot_->yAxis->setSubTicks(false);
    plot_->yAxis->setRange(0.4, 2.6);

    QCPBars* below = nullptr;
    for (int i = 0; i < kSegmentCount; ++i) {
        const auto s = static_cast<Segment>(i);
        auto* bars = new QCPBars(plot_->yAxis, plot_->xAxis);
        bars->setWidth(0.6);
        bars->setPen(QPen(Qt::white, 1));
        bars->setBrush(segmentColor(s));
        bars->setName(segmentName(s));
        if (below) bars->moveAbove(below);
        below = bars;
        bars_[static_cast<size_t>(i)] = bars;
    }
    floorBar_ = new QCPBars(plot_->yAxis, plot_->xAxis);
    floorBar_->setWidth(0.6);
    floorBar_->setPen(QPen(QColor(0x55, 0x55, 0x55), 1));
    floorBar_->setBrush(QBrush(QColor(0x99, 0x99, 0x99), Qt::BDiagPattern));
    floorBar_->setName(tr("Store-all floor"));
    floorLine_ = new QCPItemStraightLine(plot_);
    floorLine_->setPen(QPen(QColor(0x33, 0x33, 0x33), 1.2, Qt::DashLine));

    auto makeLabel = [this] {
        auto* t = new QCPItemText(plot_);
        t->setPositionAlignment(Qt::AlignLeft | Qt::AlignVCenter);
        t->setPadding(QMargins(6, 0, 0, 0));
        t->setClipToAxisRect(false);
        return t;
    };
    totalText_ = makeLabel();
    floorText_ = makeLabel();
    emptyText_ = new QCPItemText(plot_);
    emptyText_->position->setType(QCPItemPosition::ptAxisRectRatio);
    emptyText_->position->setCoords(0.5, 0.5);
    emptyText_->setText(tr("Solve a schedule to see its energy"));
    emptyText_->setColor(Qt::gray);

    plot_->legend->setVisible(true);
    plot_->legend->setWrap(3);
    plot_->legend->setFillOrder(QCPLegend::foColumnsFirst);
    plot_->legend->setBorderPen(Qt::NoPen);
    plot_->legend->setIconSize(14, 10);
    plot_->plotLayout()->addElement(2, 0, plot_->legend);
    plot_->plotLayout()->setRowStretchFactor(2, 0.001);
    plot_->plotLayout()->setRowStretchFactor(0, 0.001);
    connect(plot_, &QCustomPlot::mouseMove, this, &EnergyChart::showToolTip);
    clear();
}

void EnergyChart::clear() {
    hasData_ = false;
    values_.fill(0.0);
    totalMj_ = floorMj_ = 0.0;
    for (int i = 0; i < kSegmentCount; ++i) {
        bars_[static_cast<size_t>(i)]->data()->clear();
        bars_[static_cast<size_t>(i)]->setName(segmentName(static_cast<Segment>(i)));
    }
    floorBar_->data()->clear();
    floorLine_->setVisible(false);
    totalText_->setVisible(false);
    floorText_->setVisible(false);
    emptyText_->setVisible(true);
    plot_->xAxis->setRange(0, 1);
    plot_->replot();
}

void EnergyChart::setEnergy(const EnergyBreakdown& energy, double floor_energy_j) {
    clear();
    hasData_ = true;
    emptyText_->setVisible(false);
    for (int i = 0; i < kSegmentCount; ++i) {
        const auto s = static_cast<Segment>(i);
        const double mj = segmentJoules(energy, s) * 1e3;
        values_[static_cast<size_t>(i)] = mj;
        bars_[static_cast<size_t>(i)]->setData({kScheduleKey}, {mj}, true);
        bars_[static_cast<size_t>(i)]->setName(
            QStringLiteral("%1  %2").arg(segmentName(s), formatMillijoules(mj)));
    }
    totalMj_ = energy.total_j() * 1e3;
    floorMj_ = floor_energy_j * 1e3;
    floorBar_->setData({kFloorKey}, {floorMj_}, true);
    floorBar_->setName(
        QStringLiteral("%1  %2").arg(tr("Store-all floor"), formatMillijoules(floorMj_)));
    floorLine_->point1->setCoords(floorMj_, 0);
    floorLine_->point2->setCoords(floorMj_, 1);
    floorLine_->setVisible(floorMj_ > 0);
    totalText_->position->setCoords(totalMj_, kScheduleKey);
    totalText_->setText(tr("total %1").arg(formatMillijoules(totalMj_)));
    totalText_->setVisible(true);
    floorText_->position->setCoords(floorMj_, kFloorKey);
    floorText_->setText(formatMillijoules(floorMj_));
    floorText_->setVisible(true);
    // Room on the right for the total's label.
    plot_->xAxis->setRange(0, std::max({totalMj_, floorMj_, 1e-9}) * 1.3);
    plot_->replot();
}

QString EnergyChart::segmentToolTip(Segment segment) const {
    if (!hasData_) return {};
    return tr("%1: %2 of %3 in total")
        .arg(segmentName(segment), formatMillijoules(segmentValue(segment)),
             formatMillijoules(totalMj_));
}

void EnergyChart::showToolTip(QMouseEvent* event) {
    const QPointF pos = event->position();
    QString text;
    if (hasData_) {
        for (int i = 0; i < kSegmentCount && text.isEmpty(); ++i) {
            const double d = bars_[static_cast<size_t>(i)]->selectTest(pos, false);
            if (d >= 0 && d < 1.0) text = segmentToolTip(static_cast<Segment>(i));
        }
        const double d = floorBar_->selectTest(pos, false);
        if (text.isEmpty() && d >= 0 && d < 1.0)
            text = tr("Store-all floor: %1, the least energy any schedule of this plan uses")
                       .arg(formatMillijoules(floorMj_));
    }
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), text, plot_);
}

}  // namespace tp
