// EnergyChart: where one training step's energy goes on the board, as the Validator replayed the
// solved schedule (compute, recompute, page-in, page-out, static power), as one stacked bar beside
// the plan's store-all floor, the least energy any schedule of the plan can use. Values in mJ.
#pragma once

#include <QWidget>
#include <array>

#include "engine/schedule_replay.h"

class QCustomPlot;
class QCPBars;
class QCPItemStraightLine;
class QCPItemText;
class QMouseEvent;

namespace tp {

class EnergyChart : public QWidget {
    Q_OBJECT

  public:
    enum class Segment { compute, recompute, page_in, page_out, static_power };
    static constexpr int kSegmentCount = 5;
    static QString segmentName(Segment segment);

    explicit EnergyChart(QWidget* parent = nullptr);

    void setEnergy(const EnergyBreakdown& energy, double floor_energy_j);
    void clear();

    // For tests and export: what is drawn, in mJ.
    QCustomPlot* plot() const { return plot_; }
    double segmentValue(Segment segment) const { return values_[static_cast<size_t>(segment)]; }
    double totalValue() const { return totalMj_; }
    double floorValue() const { return floorMj_; }
    QString segmentToolTip(Segment segment) const;

  private:
    void showToolTip(QMouseEvent* event);

    QCustomPlot* plot_ = nullptr;
    std::array<QCPBars*, kSegmentCount> bars_{};
    QCPBars* floorBar_ = nullptr;
    QCPItemStraightLine* floorLine_ = nullptr;
    QCPItemText* totalText_ = nullptr;
    QCPItemText* floorText_ = nullptr;
    QCPItemText* emptyText_ = nullptr;
    std::array<double, kSegmentCount> values_{};
    double totalMj_ = 0.0, floorMj_ = 0.0;
    bool hasData_ = false;
};

// "12.35 mJ", "0.0421 mJ": enough digits to tell segments apart at any scale.
QString formatMillijoules(double mj);

}  // namespace tp
