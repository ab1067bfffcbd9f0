// ScheduleGrid: POET's schedule grid. One row per TrainingGraph node (names at the left), one
// column per schedule step; each cell coloured by engine/schedule_timeline.h's state (compute,
// recompute, page out, page in, resident, stored). Paints only the visible cells, through one
// image of cell-sized pixels, so models with ~1000 nodes × ~3000 steps scroll smoothly.
// Ctrl+wheel and +/- zoom around the pointer, 0 fits the steps to the width.
#pragma once

#include <QAbstractScrollArea>
#include <QColor>
#include <QStringList>
#include <string>
#include <vector>

#include "engine/schedule_timeline.h"

namespace tp {

class ScheduleGrid : public QAbstractScrollArea {
    Q_OBJECT

  public:
    static constexpr double kMinZoom = 0.125;  // one pixel per step
    static constexpr double kMaxZoom = 4.0;

    explicit ScheduleGrid(QWidget* parent = nullptr);

    // `node_names` is indexed by node id, like the timeline's rows.
    void setTimeline(ScheduleTimeline timeline, std::vector<std::string> node_names);
    void setSchedule(const TrainingGraph& graph, const Schedule& schedule);
    void clear();
    const ScheduleTimeline& timeline() const { return timeline_; }

    void setZoom(double zoom);
    double zoom() const { return zoom_; }
    void zoomToFit();  // every step across the visible width (within the zoom limits)

    // What the grid shows, for tests and the main window.
    QString toolTipAt(int node, int step) const;
    QColor colorAt(int node, int step) const;  // exactly the painted colour
    static QColor stateColor(CellState state);
    QRect cellRect(int node, int step) const;        // in viewport coordinates
    QPoint cellAt(const QPoint& viewportPos) const;  // (step, node); (-1, -1) outside the cells
    int nameColumnWidth() const { return nameWidth_; }
    int headerHeight() const;

  signals:
    void zoomChanged(double zoom);
    void cellClicked(int node, int step);

  protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void scrollContentsBy(int dx, int dy) override;
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    bool viewportEvent(QEvent* event) override;

  private:
    double cellWidth() const;
    double rowHeight() const;
    void zoomAround(double zoom, const QPoint& anchor);
    void updateScrollBars();
    void paintCells(QPainter& p, const QRect& area);
    void paintNames(QPainter& p, const QRect& area);
    void paintHeader(QPainter& p);
    QRgb cellRgb(int node, int step) const;

    ScheduleTimeline timeline_;
    QStringList names_;
    double zoom_ = 1.0;
    int nameWidth_ = 120;
};

}  // namespace tp
