// BudgetEditor: the limits a plan is solved for — the RAM budget (a slider and a size field in
// KiB, kept in sync, with the board's SRAM marked under the slider) and an optional runtime
// deadline in seconds. The range and the SRAM come from the engine (smallest feasible budget,
// store-all peak, the board profile); the editor only places and formats them.
//
// Slider scale: whole-KiB ticks while the range spans at most kLogScaleRatio (max / min); wider
// ranges (a 180 KiB minimum on an 8 GiB board) use a logarithmic slider of kLogTicks positions,
// still snapped to whole KiB. The ends are always the exact min and max bytes, and the size
// field edits any budget to 0.1 KiB whatever the slider's scale.
#pragma once

#include <QWidget>
#include <QtGlobal>
#include <optional>

class QCheckBox;
class QDoubleSpinBox;
class QLabel;

namespace tp {

class BudgetSlider;
class BudgetRuler;

class BudgetEditor : public QWidget {
    Q_OBJECT

  public:
    static constexpr double kLogScaleRatio = 32.0;
    static constexpr int kLogTicks = 1000;

    explicit BudgetEditor(QWidget* parent = nullptr);

    // None of the setters emit, so a document can sync the editor without loops.
    // The range the slider spans. A budget set outside it widens the shown range to include it
    // (a project may hold a budget below the smallest feasible one); min_bytes >= 0.
    void setRange(qint64 min_bytes, qint64 max_bytes);
    void setSramBytes(qint64 sram_bytes);  // 0: no board, no marker
    void setBudgetBytes(qint64 bytes);
    void setDeadline(std::optional<double> seconds);  // nullopt or <= 0: no deadline

    qint64 budgetBytes() const { return budgetBytes_; }  // exactly what was set or committed
    std::optional<double> deadlineSeconds() const { return deadline_; }
    qint64 minimumBytes() const { return lo_; }  // the shown range, after widening
    qint64 maximumBytes() const { return hi_; }
    bool isLogarithmic() const { return logScale_; }

  signals:
    // The user committed a different budget: slider released, slider moved by keyboard, wheel
    // or a click on the groove, or the size field's value entered (Enter, focus out, arrows).
    // Once per commit, never while dragging, never when the value did not change.
    void budgetChanged(qint64 bytes);
    // While the slider is dragged: the budget under the handle (not committed yet).
    void budgetPreview(qint64 bytes);
    // The user switched the deadline on or off or entered a different one; nullopt = none.
    void deadlineChanged(std::optional<double> seconds);

  private:
    int tickFor(qint64 bytes) const;
    qint64 bytesForTick(int tick) const;
    qint64 bytesForKib(double kib) const;
    void updateScale();             // range, scale and SRAM marker of slider, field and ruler
    void showBudget(qint64 bytes);  // moves slider and field without emitting
    void commitBudget(qint64 bytes);
    void sliderMoved(int tick);
    void fieldEntered(double kib);
    void deadlineEdited();

    qint64 minBytes_ = 0, maxBytes_ = 1024 * 1024;  // as set
    qint64 lo_ = 0, hi_ = 1024 * 1024;              // shown: the set range widened to the budget
    qint64 sramBytes_ = 0;
    qint64 budgetBytes_ = 256 * 1024;
    std::optional<double> deadline_;
    bool logScale_ = false;
    bool syncing_ = false;  // true while the editor moves its own widgets

    QLabel* caption_ = nullptr;
    BudgetSlider* slider_ = nullptr;
    BudgetRuler* ruler_ = nullptr;
    QDoubleSpinBox* field_ = nullptr;
    QCheckBox* deadlineCheck_ = nullptr;
    QDoubleSpinBox* deadlineField_ = nullptr;
};

}  // namespace tp
