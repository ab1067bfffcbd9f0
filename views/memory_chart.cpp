#include "views/memory_chart.h"

#include <qcustomplot.h>

#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "views/number_format.h"

namespace tp {
namespace {

constexpr double kKiB = 1024.0;
// The SRAM line is drawn to scale only while it is within this factor of the data's top;
// beyond it the data would be squashed to a sliver, so the legend says "off scale" instead.
constexpr double kSramOnScaleFactor = 2.5;

QColor layerColor(MemoryChart::Layer layer) {
    switch (layer) {
        case MemoryChart::Layer::parameters:
            return QColor(0x4e, 0x79, 0xa7);
        case MemoryChart::Layer::optimizer_state:
            return QColor(0xa0, 0xcb, 0xe8);
        case MemoryChart::Layer::saved:
            return QColor(0xf2, 0x8e, 0x2b);
        case MemoryChart::Layer::gradients:
            return QColor(0x59, 0xa1, 0x4f);
        case MemoryChart::Layer::transient:
            return QColor(0xba, 0xb0, 0xac);
        case MemoryChart::Layer::paged_in:
            return QColor(0xb0, 0x7a, 0xa1);
    }
    return Qt::gray;
}

int64_t layerBytes(const StepMemory& m, MemoryChart::Layer layer) {
    switch (layer) {
        case MemoryChart::Layer::parameters:
            return m.parameters;
        case MemoryChart::Layer::optimizer_state:
            return m.optimizer_state;
        case MemoryChart::Layer::saved:
            return m.saved;
        case MemoryChart::Layer::gradients:
            return m.gradients;
        case MemoryChart::Layer::transient:
            return m.transient;
        case MemoryChart::Layer::paged_in:
            return m.paged_in;
    }
    return 0;
}

QCPGraph* referenceLine(QCustomPlot* plot, const QColor& color, Qt::PenStyle style) {
    QCPGraph* g = plot->addGraph();
    QPen pen(color, 1.6, style);
    g->setPen(pen);
    g->setBrush(Qt::NoBrush);
    return g;
}

}  // namespace

QString MemoryChart::layerName(Layer layer) {
    switch (layer) {
        case Layer::parameters:
            return tr("Trained parameters");
        case Layer::optimizer_state:
            return tr("Optimizer state");
        case Layer::saved:
            return tr("Saved activations");
        case Layer::gradients:
            return tr("Gradients");
        case Layer::transient:
            return tr("Transient + workspace");
        case Layer::paged_in:
            return tr("Paged in");
    }
    return {};
}

MemoryChart::MemoryChart(QWidget* parent) : QWidget(parent) {
    plot_ = new QCustomPlot(this);
    plot_->setObjectName(QStringLiteral("memoryPlot"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    setMinimumSize(360, 240);

    plot_->plotLayout()->insertRow(0);
    auto* title = new QCPTextElement(plot_, tr("RAM over one training step"),
                                     QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    plot_->plotLayout()->addElement(0, 0, title);
    plot_->xAxis->setLabel(tr("Schedule step"));
    plot_->yAxis->setLabel(tr("RAM in use (KiB)"));
    plot_->xAxis->grid()->setSubGridVisible(false);
    plot_->yAxis->grid()->setPen(QPen(QColor(0xdd, 0xdd, 0xdd), 0, Qt::DotLine));
    plot_->xAxis->grid()->setPen(QPen(QColor(0xdd, 0xdd, 0xdd), 0, Qt::DotLine));

    for (int i = 0; i < kLayerCount; ++i) {
        const auto layer = static_cast<Layer>(i);
        QCPGraph* g = plot_->addGraph();
        g->setName(layerName(layer));
        g->setLineStyle(QCPGraph::lsStepLeft);
        QColor fill = layerColor(layer);
        g->setPen(QPen(fill.darker(125), 1));
        fill.setAlpha(215);
        g->setBrush(fill);
        if (i > 0) g->setChannelFillGraph(layers_[static_cast<size_t>(i - 1)]);
        layers_[static_cast<size_t>(i)] = g;
    }
    budgetGraph_ = referenceLine(plot_, QColor(0xc0, 0x1f, 0x1f), Qt::DashLine);
    sramGraph_ = referenceLine(plot_, QColor(0x44, 0x44, 0x44), Qt::DotLine);

    peakTracer_ = new QCPItemTracer(plot_);
    peakTracer_->setStyle(QCPItemTracer::tsCircle);
    peakTracer_->setSize(8);
    peakTracer_->setPen(QPen(Qt::black, 1.5));
    peakTracer_->setBrush(Qt::white);
    peakText_ = new QCPItemText(plot_);
    peakText_->position->setParentAnchor(peakTracer_->position);
    peakText_->position->setCoords(0, -8);  // pixels above the marker
    peakText_->setPadding(QMargins(4, 2, 4, 2));
    peakText_->setBrush(QColor(255, 255, 255, 225));
    peakText_->setPen(QPen(QColor(0x88, 0x88, 0x88)));
    emptyText_ = new QCPItemText(plot_);
    emptyText_->position->setType(QCPItemPosition::ptAxisRectRatio);
    emptyText_->position->setCoords(0.5, 0.5);
    emptyText_->setText(tr("Solve a schedule to see its RAM over the steps"));
    emptyText_->setColor(Qt::gray);

    // Legend in its own row under the axes, so it never covers the data.
    plot_->legend->setVisible(true);
    plot_->legend->setWrap(4);
    plot_->legend->setFillOrder(QCPLegend::foColumnsFirst);
    plot_->legend->setBorderPen(Qt::NoPen);
    plot_->legend->setIconSize(14, 10);
    plot_->plotLayout()->addElement(2, 0, plot_->legend);
    plot_->plotLayout()->setRowStretchFactor(2, 0.001);
    plot_->plotLayout()->setRowStretchFactor(0, 0.001);

    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->axisRect()->setRangeDrag(Qt::Horizontal);
    plot_->axisRect()->setRangeZoom(Qt::Horizontal);
    connect(plot_->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
            [this] { keepStepRangeInside(); });
    connect(plot_, &QCustomPlot::mouseMove, this, &MemoryChart::showStepToolTip);
    clear();
}

void MemoryChart::clear() {
    steps_.clear();
    for (auto& v : values_) v.clear();
    for (QCPGraph* g : layers_) g->data()->clear();
    budgetGraph_->data()->clear();
    sramGraph_->data()->clear();
    budgetGraph_->removeFromLegend();
    sramGraph_->removeFromLegend();
    budgetKiB_ = sramKiB_ = peakKiB_ = 0.0;
    peakStep_ = -1;
    peakTracer_->setVisible(false);
    peakText_->setVisible(false);
    emptyText_->setVisible(true);
    plot_->xAxis->setRange(0, 1);
    plot_->yAxis->setRange(0, 1);
    plot_->replot();
}

void MemoryChart::setReplay(const ScheduleReplay& replay, int64_t budget_bytes,
                            int64_t sram_bytes) {
    clear();
    steps_ = replay.memory_by_step;
    const int n = static_cast<int>(steps_.size());
    if (n == 0) return;
    emptyText_->setVisible(false);

    // Step s occupies [s, s + 1) on the x axis; the extra last key closes the last step.
    QVector<double> keys(n + 1);
    for (int s = 0; s <= n; ++s) keys[s] = s;
    QVector<double> stacked(n + 1, 0.0);
    for (int i = 0; i < kLayerCount; ++i) {
        QVector<double>& v = values_[static_cast<size_t>(i)];
        v.resize(n);
        for (int s = 0; s < n; ++s) {
            v[s] = static_cast<double>(
                       layerBytes(steps_[static_cast<size_t>(s)], static_cast<Layer>(i))) /
                   kKiB;
            stacked[s] += v[s];
        }
        stacked[n] = stacked[n - 1];
        layers_[static_cast<size_t>(i)]->setData(keys, stacked, true);
    }

    peakStep_ = replay.peak_step;
    peakKiB_ = static_cast<double>(replay.peak_ram_bytes) / kKiB;
    budgetKiB_ = static_cast<double>(budget_bytes) / kKiB;
    sramKiB_ = static_cast<double>(sram_bytes) / kKiB;

    double top = std::max(peakKiB_, budgetKiB_);
    if (budget_bytes > 0) {
        budgetGraph_->setData({0.0, double(n)}, {budgetKiB_, budgetKiB_}, true);
        budgetGraph_->setName(tr("RAM budget %1").arg(formatBytes(budget_bytes)));
        budgetGraph_->addToLegend();
    }
    if (sram_bytes > 0) {
        sramGraph_->setData({0.0, double(n)}, {sramKiB_, sramKiB_}, true);
        const bool onScale = sramKiB_ <= top * kSramOnScaleFactor;
        if (onScale) top = std::max(top, sramKiB_);
        sramGraph_->setName(onScale ? tr("SRAM %1").arg(formatBytes(sram_bytes))
                                    : tr("SRAM %1 (off scale)").arg(formatBytes(sram_bytes)));
        sramGraph_->addToLegend();
    }

    if (peakStep_ >= 0 && peakStep_ < n) {
        peakTracer_->setGraph(nullptr);
        peakTracer_->position->setCoords(peakStep_ + 0.5, peakKiB_);
        peakTracer_->setVisible(true);
        peakText_->setText(peakLabel());
        // Keep the label inside the plot near either end of the schedule.
        Qt::Alignment h = Qt::AlignHCenter;
        if (peakStep_ < n / 6) h = Qt::AlignLeft;
        if (peakStep_ > n - n / 6 - 1) h = Qt::AlignRight;
        peakText_->setPositionAlignment(h | Qt::AlignBottom);
        peakText_->setVisible(true);
    }
    plot_->legend->setFillOrder(QCPLegend::foColumnsFirst, true);  // close gaps of removed entries
    plot_->xAxis->setRange(0, n);
    plot_->yAxis->setRange(0, top * 1.15 + 1e-9);
    plot_->replot();
}

QVector<double> MemoryChart::layerValues(Layer layer) const {
    return values_[static_cast<size_t>(layer)];
}

QString MemoryChart::peakLabel() const {
    if (peakStep_ < 0) return {};
    return tr("peak %1 at step %2")
        .arg(formatBytes(static_cast<qint64>(std::llround(peakKiB_ * kKiB))))
        .arg(peakStep_);
}

void MemoryChart::keepStepRangeInside() {
    const double n = std::max<double>(1.0, static_cast<double>(steps_.size()));
    QCPRange r = plot_->xAxis->range();
    const QCPRange before = r;
    if (r.size() > n) r = QCPRange(0, n);
    if (r.lower < 0) r = QCPRange(0, r.size());
    if (r.upper > n) r = QCPRange(n - r.size(), n);
    if (r.lower != before.lower || r.upper != before.upper) plot_->xAxis->setRange(r);
}

void MemoryChart::showStepToolTip(QMouseEvent* event) {
    const QPointF pos = event->position();
    if (steps_.empty() || !plot_->axisRect()->rect().contains(pos.toPoint())) {
        QToolTip::hideText();
        return;
    }
    const int s = static_cast<int>(std::floor(plot_->xAxis->pixelToCoord(pos.x())));
    if (s < 0 || s >= static_cast<int>(steps_.size())) return;
    const StepMemory& m = steps_[static_cast<size_t>(s)];
    QString text = tr("<b>Step %1</b>: %2").arg(s).arg(formatBytes(m.total));
    for (int i = kLayerCount - 1; i >= 0; --i) {
        const auto layer = static_cast<Layer>(i);
        text +=
            QStringLiteral("<br><span style='color:%1'>&#9632;</span> %2: %3")
                .arg(layerColor(layer).name(), layerName(layer), formatBytes(layerBytes(m, layer)));
    }
    QToolTip::showText(event->globalPosition().toPoint(), text, plot_);
}

}  // namespace tp
