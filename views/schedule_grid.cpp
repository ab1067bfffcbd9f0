#include "views/schedule_grid.h"

#include <QHelpEvent>
#include <QImage>
#include <QKeyEvent>
#include <QPainter>
#include <QScrollBar>
#include <QToolTip>
#include <QWheelEvent>
#include <algorithm>
#include <array>
#include <cmath>

#include "views/number_format.h"

namespace tp {
namespace {

constexpr double kBaseCellWidth = 8.0;
constexpr double kBaseRowHeight = 16.0;
constexpr double kZoomStep = 1.25;
constexpr QRgb kEmptyEvenRow = 0xffffffff;
constexpr QRgb kEmptyOddRow = 0xfff5f6f8;

// Legend order: the actions first, then where outputs live.
constexpr std::array<CellState, 7> kLegendStates = {
    CellState::compute,  CellState::recompute, CellState::page_out,           CellState::page_in,
    CellState::resident, CellState::stored,    CellState::resident_and_stored};

QString opText(StepOp op) {
    return QString::fromLatin1(step_op_name(op)).replace(QLatin1Char('_'), QLatin1Char(' '));
}

}  // namespace

QColor ScheduleGrid::stateColor(CellState state) {
    switch (state) {
        case CellState::empty:
            return QColor::fromRgb(kEmptyEvenRow);
        case CellState::resident:
            return QColor(0xa9, 0xcb, 0xee);
        case CellState::stored:
            return QColor(0xe2, 0xd6, 0xf0);
        case CellState::resident_and_stored:
            return QColor(0x8c, 0xa3, 0xdb);
        case CellState::compute:
            return QColor(0x1f, 0x5f, 0xa8);
        case CellState::recompute:
            return QColor(0xe8, 0x59, 0x0c);
        case CellState::page_out:
            return QColor(0x7b, 0x4b, 0xb7);
        case CellState::page_in:
            return QColor(0x2f, 0x9e, 0x44);
    }
    return Qt::black;
}

ScheduleGrid::ScheduleGrid(QWidget* parent) : QAbstractScrollArea(parent) {
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    viewport()->setAttribute(Qt::WA_OpaquePaintEvent);
    setMinimumSize(320, 200);
}

void ScheduleGrid::setSchedule(const TrainingGraph& graph, const Schedule& schedule) {
    std::vector<std::string> names;
    names.reserve(graph.nodes.size());
    for (const TrainingNode& n : graph.nodes) names.push_back(n.name);
    setTimeline(build_schedule_timeline(graph, schedule), std::move(names));
}

void ScheduleGrid::setTimeline(ScheduleTimeline timeline, std::vector<std::string> node_names) {
    timeline_ = std::move(timeline);
    names_.clear();
    QFontMetrics fm(font());
    int widest = 0;
    for (int n = 0; n < timeline_.nodes; ++n) {
        const QString name = static_cast<size_t>(n) < node_names.size()
                                 ? QString::fromStdString(node_names[static_cast<size_t>(n)])
                                 : QStringLiteral("node %1").arg(n);
        widest = std::max(widest, fm.horizontalAdvance(name));
        names_ << name;
    }
    nameWidth_ = std::clamp(widest + 14, 70, 240);
    updateScrollBars();
    horizontalScrollBar()->setValue(0);
    verticalScrollBar()->setValue(0);
    viewport()->update();
}

void ScheduleGrid::clear() {
    setTimeline({}, {});
}

double ScheduleGrid::cellWidth() const {
    return kBaseCellWidth * zoom_;
}

double ScheduleGrid::rowHeight() const {
    return kBaseRowHeight * zoom_;
}

int ScheduleGrid::headerHeight() const {
    return 2 * fontMetrics().height() + 14;  // legend band + step ruler
}

void ScheduleGrid::setZoom(double zoom) {
    const QRect cells = viewport()->rect().adjusted(nameWidth_, headerHeight(), 0, 0);
    zoomAround(zoom, cells.center());
}

void ScheduleGrid::zoomToFit() {
    const double width = std::max(1, viewport()->width() - nameWidth_);
    setZoom(timeline_.steps > 0 ? width / (kBaseCellWidth * timeline_.steps) : 1.0);
}

void ScheduleGrid::zoomAround(double zoom, const QPoint& anchor) {
    zoom = std::clamp(zoom, kMinZoom, kMaxZoom);
    if (zoom == zoom_) return;
    const double ax = anchor.x() - nameWidth_, ay = anchor.y() - headerHeight();
    const double stepAt = (ax + horizontalScrollBar()->value()) / cellWidth();
    const double rowAt = (ay + verticalScrollBar()->value()) / rowHeight();
    zoom_ = zoom;
    updateScrollBars();
    horizontalScrollBar()->setValue(static_cast<int>(std::lround(stepAt * cellWidth() - ax)));
    verticalScrollBar()->setValue(static_cast<int>(std::lround(rowAt * rowHeight() - ay)));
    viewport()->update();
    emit zoomChanged(zoom_);
}

void ScheduleGrid::updateScrollBars() {
    const int cellsW = std::max(0, viewport()->width() - nameWidth_);
    const int cellsH = std::max(0, viewport()->height() - headerHeight());
    const int contentW = static_cast<int>(std::ceil(timeline_.steps * cellWidth()));
    const int contentH = static_cast<int>(std::ceil(timeline_.nodes * rowHeight()));
    horizontalScrollBar()->setRange(0, std::max(0, contentW - cellsW));
    horizontalScrollBar()->setPageStep(std::max(1, cellsW));
    horizontalScrollBar()->setSingleStep(std::max(1, static_cast<int>(cellWidth()) * 4));
    verticalScrollBar()->setRange(0, std::max(0, contentH - cellsH));
    verticalScrollBar()->setPageStep(std::max(1, cellsH));
    verticalScrollBar()->setSingleStep(std::max(1, static_cast<int>(rowHeight())));
}

QRect ScheduleGrid::cellRect(int node, int step) const {
    const double x = nameWidth_ + step * cellWidth() - horizontalScrollBar()->value();
    const double y = headerHeight() + node * rowHeight() - verticalScrollBar()->value();
    return QRectF(x, y, cellWidth(), rowHeight()).toAlignedRect();
}

QPoint ScheduleGrid::cellAt(const QPoint& pos) const {
    if (pos.x() < nameWidth_ || pos.y() < headerHeight()) return {-1, -1};
    const int step = static_cast<int>(
        std::floor((pos.x() - nameWidth_ + horizontalScrollBar()->value()) / cellWidth()));
    const int node = static_cast<int>(
        std::floor((pos.y() - headerHeight() + verticalScrollBar()->value()) / rowHeight()));
    if (step < 0 || step >= timeline_.steps || node < 0 || node >= timeline_.nodes) return {-1, -1};
    return {step, node};
}

QRgb ScheduleGrid::cellRgb(int node, int step) const {
    const CellState s = timeline_.at(node, step);
    if (s == CellState::empty) return node % 2 ? kEmptyOddRow : kEmptyEvenRow;
    return stateColor(s).rgb();
}

QColor ScheduleGrid::colorAt(int node, int step) const {
    return QColor::fromRgb(cellRgb(node, step));
}

QString ScheduleGrid::toolTipAt(int node, int step) const {
    if (node < 0 || node >= timeline_.nodes || step < 0 || step >= timeline_.steps) return {};
    const int acting = timeline_.acting_node(step);
    const QString actingName = acting >= 0 && acting < names_.size()
                                   ? names_[acting]
                                   : QStringLiteral("node %1").arg(acting);
    QString text =
        tr("%1\noutput %2\nstep %3 of %4: %5 %6\nhere: %7")
            .arg(names_[node], formatBytes(timeline_.node_bytes[static_cast<size_t>(node)]))
            .arg(step)
            .arg(timeline_.steps)
            .arg(opText(timeline_.step_op(step)), actingName,
                 QString::fromLatin1(cell_state_name(timeline_.at(node, step))));
    return text;
}

void ScheduleGrid::resizeEvent(QResizeEvent* event) {
    QAbstractScrollArea::resizeEvent(event);
    updateScrollBars();
}

void ScheduleGrid::scrollContentsBy(int, int) {
    viewport()->update();  // the names and the ruler are pinned, so everything repaints
}

void ScheduleGrid::wheelEvent(QWheelEvent* event) {
    if (event->modifiers() & Qt::ControlModifier) {
        const double notches = event->angleDelta().y() / 120.0;
        zoomAround(zoom_ * std::pow(kZoomStep, notches), event->position().toPoint());
        event->accept();
        return;
    }
    QAbstractScrollArea::wheelEvent(event);
}

void ScheduleGrid::keyPressEvent(QKeyEvent* event) {
    switch (event->key()) {
        case Qt::Key_Plus:
        case Qt::Key_Equal:
            setZoom(zoom_ * kZoomStep);
            return;
        case Qt::Key_Minus:
            setZoom(zoom_ / kZoomStep);
            return;
        case Qt::Key_0:
            zoomToFit();
            return;
        default:
            QAbstractScrollArea::keyPressEvent(event);
    }
}

void ScheduleGrid::mousePressEvent(QMouseEvent* event) {
    const QPoint cell = cellAt(event->position().toPoint());
    if (cell.x() >= 0) emit cellClicked(cell.y(), cell.x());
    QAbstractScrollArea::mousePressEvent(event);
}

bool ScheduleGrid::viewportEvent(QEvent* event) {
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const QPoint cell = cellAt(help->pos());
        QString text;
        if (cell.x() >= 0) {
            text = toolTipAt(cell.y(), cell.x());
        } else if (help->pos().x() < nameWidth_ && help->pos().y() >= headerHeight()) {
            const int node = static_cast<int>(std::floor(
                (help->pos().y() - headerHeight() + verticalScrollBar()->value()) / rowHeight()));
            if (node >= 0 && node < timeline_.nodes)
                text = tr("%1\noutput %2")
                           .arg(names_[node],
                                formatBytes(timeline_.node_bytes[static_cast<size_t>(node)]));
        }
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, viewport());
        return true;
    }
    return QAbstractScrollArea::viewportEvent(event);
}

void ScheduleGrid::paintEvent(QPaintEvent*) {
    QPainter p(viewport());
    const QRect all = viewport()->rect();
    p.fillRect(all, palette().base());
    if (timeline_.steps == 0 || timeline_.nodes == 0) {
        p.setPen(Qt::gray);
        p.drawText(all, Qt::AlignCenter, tr("Solve a schedule to see its grid"));
        return;
    }
    const QRect cells = all.adjusted(nameWidth_, headerHeight(), 0, 0);
    paintCells(p, cells);
    paintNames(p, QRect(0, cells.top(), nameWidth_, cells.height()));
    paintHeader(p);
}

void ScheduleGrid::paintCells(QPainter& p, const QRect& area) {
    const double cw = cellWidth(), rh = rowHeight();
    const int h = horizontalScrollBar()->value(), v = verticalScrollBar()->value();
    const int s0 = std::max(0, static_cast<int>(std::floor(h / cw)));
    const int s1 = std::min(timeline_.steps, static_cast<int>(std::ceil((h + area.width()) / cw)));
    const int r0 = std::max(0, static_cast<int>(std::floor(v / rh)));
    const int r1 = std::min(timeline_.nodes, static_cast<int>(std::ceil((v + area.height()) / rh)));
    if (s1 <= s0 || r1 <= r0) return;
    // One pixel per visible cell, scaled up without smoothing: cost grows with the viewport,
    // not with the model.
    QImage image(s1 - s0, r1 - r0, QImage::Format_RGB32);
    for (int r = r0; r < r1; ++r) {
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(r - r0));
        for (int s = s0; s < s1; ++s) line[s - s0] = cellRgb(r, s);
    }
    p.save();
    p.setClipRect(area);
    const QRectF target(area.left() + s0 * cw - h, area.top() + r0 * rh - v, (s1 - s0) * cw,
                        (r1 - r0) * rh);
    p.drawImage(target, image);
    // Thin gaps between cells once they are big enough to read one by one.
    p.setPen(QPen(QColor(255, 255, 255, 160), 1));
    if (cw >= 6)
        for (int s = s0; s <= s1; ++s) {
            const double x = std::floor(target.left() + (s - s0) * cw);
            p.drawLine(QPointF(x, target.top()), QPointF(x, target.bottom()));
        }
    if (rh >= 6)
        for (int r = r0; r <= r1; ++r) {
            const double y = std::floor(target.top() + (r - r0) * rh);
            p.drawLine(QPointF(target.left(), y), QPointF(target.right(), y));
        }
    p.restore();
}

void ScheduleGrid::paintNames(QPainter& p, const QRect& area) {
    p.fillRect(area, QColor(0xf3, 0xf4, 0xf6));
    p.setPen(QColor(0xcc, 0xcc, 0xcc));
    p.drawLine(area.topRight(), area.bottomRight());
    const double rh = rowHeight();
    const int v = verticalScrollBar()->value();
    if (rh < 9) return;  // names would overlap; tooltips still name every row
    QFont small = font();
    if (rh < fontMetrics().height()) small.setPixelSize(std::max(7, static_cast<int>(rh) - 2));
    p.setFont(small);
    p.setPen(palette().color(QPalette::Text));
    const QFontMetrics fm(small);
    p.save();
    p.setClipRect(area);
    const int r0 = std::max(0, static_cast<int>(std::floor(v / rh)));
    const int r1 = std::min(timeline_.nodes, static_cast<int>(std::ceil((v + area.height()) / rh)));
    for (int r = r0; r < r1; ++r) {
        const QRectF row(6, area.top() + r * rh - v, area.width() - 10, rh);
        p.drawText(row, Qt::AlignVCenter | Qt::AlignLeft,
                   fm.elidedText(names_[r], Qt::ElideMiddle, static_cast<int>(row.width())));
    }
    p.restore();
}

void ScheduleGrid::paintHeader(QPainter& p) {
    const QFontMetrics fm = fontMetrics();
    const int legendH = fm.height() + 8;
    const QRect header(0, 0, viewport()->width(), headerHeight());
    p.fillRect(header, palette().base());
    // Legend band.
    int x = 8;
    const int swatch = fm.height() - 4;
    p.setPen(palette().color(QPalette::Text));
    for (CellState s : kLegendStates) {
        const QString label = QString::fromLatin1(cell_state_name(s));
        p.fillRect(QRect(x, 4 + (fm.height() - swatch) / 2, swatch, swatch), stateColor(s));
        x += swatch + 4;
        p.drawText(QRect(x, 4, fm.horizontalAdvance(label) + 2, fm.height()), Qt::AlignVCenter,
                   label);
        x += fm.horizontalAdvance(label) + 14;
    }
    // Step ruler: labelled ticks at a 1-2-5 interval at least 60 px apart.
    const double cw = cellWidth();
    int every = 1;
    for (int decade = 1; every * cw < 60; decade *= 10) {
        for (int f : {1, 2, 5}) {
            every = f * decade;
            if (every * cw >= 60) break;
        }
    }
    const QRect ruler(nameWidth_, legendH, viewport()->width() - nameWidth_,
                      headerHeight() - legendH);
    p.setPen(QColor(0xcc, 0xcc, 0xcc));
    p.drawLine(0, header.bottom(), header.right(), header.bottom());
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRect(6, ruler.top(), nameWidth_ - 10, ruler.height()),
               Qt::AlignVCenter | Qt::AlignLeft, tr("node \\ step"));
    p.save();
    p.setClipRect(ruler);
    const int h = horizontalScrollBar()->value();
    const int first = static_cast<int>(std::floor(h / cw / every)) * every;
    for (int s = first; s < timeline_.steps; s += every) {
        const double cx = ruler.left() + (s + 0.5) * cw - h;
        if (cx > ruler.right() + 40) break;
        p.drawLine(QPointF(cx, ruler.bottom() - 3), QPointF(cx, ruler.bottom()));
        p.drawText(QRectF(cx - 40, ruler.top(), 80, ruler.height() - 3), Qt::AlignCenter,
                   QString::number(s));
    }
    p.restore();
}

}  // namespace tp
