// MemoryChart: RAM in use over a schedule's steps, as the Validator replayed it. Stacked areas
// (trained parameters, optimizer state, saved activations, gradients, transient, paged in) from
// ScheduleReplay::memory_by_step, the RAM budget and the board's SRAM as lines, the peak marked.
// Drag and wheel pan and zoom the step axis. Every number drawn is the replay's.
#pragma once

#include <QVector>
#include <QWidget>
#include <array>
#include <cstdint>
#include <vector>

#include "engine/schedule_replay.h"

class QCustomPlot;
class QCPGraph;
class QCPItemText;
class QCPItemTracer;
class QMouseEvent;

namespace tp {

class MemoryChart : public QWidget {
    Q_OBJECT

  public:
    // Bottom to top in the stack.
    enum class Layer { parameters, optimizer_state, saved, gradients, transient, paged_in };
    static constexpr int kLayerCount = 6;
    static QString layerName(Layer layer);

    explicit MemoryChart(QWidget* parent = nullptr);

    // budget_bytes / sram_bytes of 0 draw no line.
    void setReplay(const ScheduleReplay& replay, int64_t budget_bytes, int64_t sram_bytes);
    void clear();

    // For tests and export: what is drawn, in KiB per step.
    QCustomPlot* plot() const { return plot_; }
    QVector<double> layerValues(Layer layer) const;
    double budgetLine() const { return budgetKiB_; }  // 0: none drawn
    double sramLine() const { return sramKiB_; }      // 0: none drawn
    int peakStep() const { return peakStep_; }        // -1: no schedule
    double peakValue() const { return peakKiB_; }
    QString peakLabel() const;

  private:
    void showStepToolTip(QMouseEvent* event);
    void keepStepRangeInside();

    QCustomPlot* plot_ = nullptr;
    std::array<QCPGraph*, kLayerCount> layers_{};
    QCPGraph* budgetGraph_ = nullptr;
    QCPGraph* sramGraph_ = nullptr;
    QCPItemTracer* peakTracer_ = nullptr;
    QCPItemText* peakText_ = nullptr;
    QCPItemText* emptyText_ = nullptr;
    std::vector<StepMemory> steps_;
    std::array<QVector<double>, kLayerCount> values_;
    double budgetKiB_ = 0.0, sramKiB_ = 0.0, peakKiB_ = 0.0;
    int peakStep_ = -1;
};

}  // namespace tp
