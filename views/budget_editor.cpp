#include "views/budget_editor.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QLabel>
#include <QPainter>
#include <QPainterPath>
#include <QSlider>
#include <QStyleOptionSlider>
#include <algorithm>
#include <cmath>
#include <limits>

#include "views/number_format.h"

namespace tp {

namespace {

constexpr qint64 kKiB = 1024;
const QColor kSramColor(0xd9, 0x77, 0x06);  // amber: the board's physical limit

// The field shows 0.1 KiB; these give the tenth at or below / at or above a byte count.
double kibFloor(qint64 bytes) {
    return std::floor(static_cast<double>(bytes) * 10.0 / kKiB) / 10.0;
}
double kibCeil(qint64 bytes) {
    return std::ceil(static_cast<double>(bytes) * 10.0 / kKiB) / 10.0;
}
double kibShown(qint64 bytes) {
    return std::round(static_cast<double>(bytes) * 10.0 / kKiB) / 10.0;
}

}  // namespace

// The budget slider with the part of the groove above the board's SRAM tinted and the SRAM
// drawn as a marker across the groove, under the handle.
class BudgetSlider : public QSlider {
  public:
    explicit BudgetSlider(QWidget* parent) : QSlider(Qt::Horizontal, parent) {}

    // The tick of the SRAM marker (nullopt: not in range) and the first tick above SRAM
    // (nullopt: the whole range fits in SRAM).
    void setSram(std::optional<int> markerTick, std::optional<int> aboveFromTick) {
        markerTick_ = markerTick;
        aboveFromTick_ = aboveFromTick;
        update();
    }

    // The x of the handle's centre at `tick`, in this widget's coordinates.
    int xForTick(int tick) const {
        QStyleOptionSlider opt;
        initStyleOption(&opt);
        const QRect groove =
            style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderGroove, this);
        const QRect handle =
            style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderHandle, this);
        const int span = groove.width() - handle.width();
        return groove.x() + handle.width() / 2 +
               QStyle::sliderPositionFromValue(minimum(), maximum(), tick, span, opt.upsideDown);
    }

  protected:
    void paintEvent(QPaintEvent*) override {
        QPainter p(this);
        QStyleOptionSlider opt;
        initStyleOption(&opt);
        opt.subControls = QStyle::SC_SliderGroove;
        style()->drawComplexControl(QStyle::CC_Slider, &opt, &p, this);

        const QRect groove =
            style()->subControlRect(QStyle::CC_Slider, &opt, QStyle::SC_SliderGroove, this);
        p.setRenderHint(QPainter::Antialiasing);
        if (aboveFromTick_) {
            const int x0 = xForTick(*aboveFromTick_);
            QColor tint = kSramColor;
            tint.setAlpha(isEnabled() ? 90 : 40);
            p.setPen(Qt::NoPen);
            p.setBrush(tint);
            const int h = std::max(4, groove.height() - 2);
            p.drawRoundedRect(
                QRectF(x0, groove.center().y() - h / 2.0 + 0.5, groove.right() - x0 - 1, h), 2, 2);
        }
        if (markerTick_) {
            const int x = xForTick(*markerTick_);
            p.setPen(QPen(isEnabled() ? kSramColor : palette().color(QPalette::Mid), 2));
            p.drawLine(QPointF(x, groove.center().y() - 7), QPointF(x, groove.center().y() + 7));
        }
        p.setRenderHint(QPainter::Antialiasing, false);

        // initStyleOption leaves the sub-controls to paintEvent; QSlider's own draws these.
        opt.subControls = QStyle::SC_SliderHandle;
        if (tickPosition() != NoTicks) opt.subControls |= QStyle::SC_SliderTickmarks;
        if (isSliderDown()) {
            opt.activeSubControls = QStyle::SC_SliderHandle;
            opt.state |= QStyle::State_Sunken;
        }
        style()->drawComplexControl(QStyle::CC_Slider, &opt, &p, this);
    }

  private:
    std::optional<int> markerTick_;
    std::optional<int> aboveFromTick_;
};

// A ruler under the slider: the range's ends and "SRAM 320.0 KiB" under the SRAM marker.
class BudgetRuler : public QWidget {
  public:
    BudgetRuler(BudgetSlider* slider, QWidget* parent) : QWidget(parent), slider_(slider) {
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    }

    void setMarks(const QString& low, const QString& high, const QString& sram,
                  std::optional<int> sramTick, int sramSide) {
        low_ = low;
        high_ = high;
        sram_ = sram;
        sramTick_ = sramTick;
        sramSide_ = sramSide;
        setToolTip(sram.isEmpty() ? QString()
                                  : BudgetEditor::tr("%1: budgets above it do not fit the "
                                                     "board's RAM (tinted)")
                                        .arg(sram));
        update();
    }

    QSize sizeHint() const override { return {200, fontMetrics().height() + 7}; }
    QSize minimumSizeHint() const override { return sizeHint(); }

  protected:
    void paintEvent(QPaintEvent*) override {
        QPainter p(this);
        QFont small = font();
        small.setPointSizeF(small.pointSizeF() * 0.9);
        p.setFont(small);
        const QFontMetrics fm(small);
        const int textTop = 6;
        const QRect textRow(0, textTop, width(), fm.height());
        const int xOff = slider_->mapTo(window(), QPoint()).x() - mapTo(window(), QPoint()).x();

        QRect sramRect;
        if (!sram_.isEmpty()) {
            const int w = fm.horizontalAdvance(sram_) + 4;
            int x = 0;
            if (sramTick_) {
                x = xOff + slider_->xForTick(*sramTick_);
                QPainterPath tri;
                tri.moveTo(x, 0);
                tri.lineTo(x - 4, 5);
                tri.lineTo(x + 4, 5);
                tri.closeSubpath();
                p.setRenderHint(QPainter::Antialiasing);
                p.fillPath(tri, isEnabled() ? kSramColor : palette().color(QPalette::Mid));
                p.setRenderHint(QPainter::Antialiasing, false);
                // Centred under the marker; nudged (the marker still under the label) to keep
                // the range's ends readable, which are hidden only when that is not enough.
                int left = std::clamp(x - w / 2, 0, std::max(0, width() - w));
                const int lowEnd = fm.horizontalAdvance(low_) + 8;
                const int highStart = width() - fm.horizontalAdvance(high_) - 8;
                if (left < lowEnd) left = std::min(lowEnd, x - 6);
                if (left + w > highStart) left = std::max(highStart - w, x + 6 - w);
                sramRect =
                    QRect(std::clamp(left, 0, std::max(0, width() - w)), textTop, w, fm.height());
            } else {  // off the range: at the end it lies beyond, with an arrow
                sramRect = sramSide_ < 0 ? QRect(0, textTop, w, fm.height())
                                         : QRect(width() - w, textTop, w, fm.height());
            }
            p.setPen(isEnabled() ? kSramColor.darker(115) : palette().color(QPalette::Mid));
            p.drawText(sramRect, Qt::AlignCenter, sram_);
        }
        p.setPen(palette().color(QPalette::PlaceholderText));
        const QRect lowRect(0, textTop, fm.horizontalAdvance(low_) + 2, fm.height());
        const QRect highRect(width() - fm.horizontalAdvance(high_) - 2, textTop,
                             fm.horizontalAdvance(high_) + 2, fm.height());
        if (!sramRect.intersects(lowRect.adjusted(0, 0, 4, 0)))
            p.drawText(textRow, Qt::AlignLeft | Qt::AlignVCenter, low_);
        if (!sramRect.intersects(highRect.adjusted(-4, 0, 0, 0)))
            p.drawText(textRow, Qt::AlignRight | Qt::AlignVCenter, high_);
    }

  private:
    BudgetSlider* slider_;
    QString low_, high_, sram_;
    std::optional<int> sramTick_;
    int sramSide_ = 0;
};

BudgetEditor::BudgetEditor(QWidget* parent) : QWidget(parent) {
    caption_ = new QLabel(tr("RAM budget"), this);

    slider_ = new BudgetSlider(this);
    slider_->setObjectName(QStringLiteral("budgetSlider"));
    slider_->setTracking(true);
    slider_->setMinimumWidth(220);
    slider_->setToolTip(
        tr("RAM the schedule may use on the board; drag to preview, release "
           "to solve"));
    ruler_ = new BudgetRuler(slider_, this);
    ruler_->setObjectName(QStringLiteral("budgetRuler"));

    field_ = new QDoubleSpinBox(this);
    field_->setObjectName(QStringLiteral("budgetField"));
    field_->setDecimals(1);
    field_->setSuffix(QStringLiteral(" KiB"));
    field_->setSingleStep(1.0);
    field_->setGroupSeparatorShown(true);
    field_->setKeyboardTracking(false);  // valueChanged only when a value is entered
    field_->setAccelerated(true);
    field_->setCorrectionMode(QAbstractSpinBox::CorrectToNearestValue);  // 100 → the minimum
    field_->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    field_->setToolTip(tr("RAM budget in KiB (1 KiB = 1,024 bytes, as datasheets count SRAM)"));
    caption_->setBuddy(field_);

    deadlineCheck_ = new QCheckBox(tr("Deadline"), this);
    deadlineCheck_->setObjectName(QStringLiteral("deadlineCheck"));
    deadlineCheck_->setToolTip(tr("Limit the time of one training step"));
    deadlineField_ = new QDoubleSpinBox(this);
    deadlineField_->setObjectName(QStringLiteral("deadlineField"));
    deadlineField_->setDecimals(3);
    deadlineField_->setRange(0.001, 1e6);
    deadlineField_->setValue(1.0);
    deadlineField_->setSingleStep(0.1);
    deadlineField_->setSuffix(QStringLiteral(" s"));
    deadlineField_->setGroupSeparatorShown(true);
    deadlineField_->setKeyboardTracking(false);
    deadlineField_->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    deadlineField_->setEnabled(false);
    deadlineField_->setToolTip(tr("Longest time one training step may take on the board"));
    const int fieldWidth =
        field_->fontMetrics().horizontalAdvance(QStringLiteral("0,000,000.0 KiB")) + 36;
    field_->setMinimumWidth(fieldWidth);
    deadlineField_->setMinimumWidth(fieldWidth);

    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setHorizontalSpacing(8);
    grid->setVerticalSpacing(0);
    grid->addWidget(caption_, 0, 0);
    grid->addWidget(slider_, 0, 1);
    grid->addWidget(field_, 0, 2);
    grid->addWidget(ruler_, 1, 1);
    grid->setRowMinimumHeight(2, 6);
    grid->addWidget(deadlineCheck_, 3, 0);
    grid->addWidget(deadlineField_, 3, 2);
    grid->setColumnStretch(1, 1);

    connect(slider_, &QSlider::valueChanged, this, &BudgetEditor::sliderMoved);
    connect(slider_, &QSlider::sliderReleased, this,
            [this] { commitBudget(bytesForTick(slider_->value())); });
    connect(field_, &QDoubleSpinBox::valueChanged, this, &BudgetEditor::fieldEntered);
    connect(deadlineCheck_, &QCheckBox::clicked, this, [this] { deadlineEdited(); });
    connect(deadlineField_, &QDoubleSpinBox::valueChanged, this, [this] {
        if (!syncing_) deadlineEdited();
    });

    updateScale();
}

void BudgetEditor::setRange(qint64 min_bytes, qint64 max_bytes) {
    minBytes_ = std::max<qint64>(0, min_bytes);
    maxBytes_ = std::max(minBytes_ + 1, max_bytes);
    updateScale();
}

void BudgetEditor::setSramBytes(qint64 sram_bytes) {
    sramBytes_ = std::max<qint64>(0, sram_bytes);
    updateScale();
}

void BudgetEditor::setBudgetBytes(qint64 bytes) {
    budgetBytes_ = std::max<qint64>(0, bytes);
    updateScale();
}

void BudgetEditor::setDeadline(std::optional<double> seconds) {
    if (seconds && *seconds <= 0) seconds.reset();
    deadline_ = seconds;
    syncing_ = true;
    deadlineCheck_->setChecked(seconds.has_value());
    deadlineField_->setEnabled(seconds.has_value());
    if (seconds) deadlineField_->setValue(*seconds);
    syncing_ = false;
}

int BudgetEditor::tickFor(qint64 bytes) const {
    bytes = std::clamp(bytes, lo_, hi_);
    if (logScale_) {
        const double t = std::log(static_cast<double>(bytes) / static_cast<double>(lo_)) /
                         std::log(static_cast<double>(hi_) / static_cast<double>(lo_));
        return std::clamp(static_cast<int>(std::lround(t * kLogTicks)), 0, kLogTicks);
    }
    return std::clamp(static_cast<int>(std::llround(static_cast<double>(bytes) / kKiB)),
                      slider_->minimum(), slider_->maximum());
}

qint64 BudgetEditor::bytesForTick(int tick) const {
    if (logScale_) {
        if (tick <= 0) return lo_;
        if (tick >= kLogTicks) return hi_;
        const double b =
            static_cast<double>(lo_) * std::pow(static_cast<double>(hi_) / static_cast<double>(lo_),
                                                static_cast<double>(tick) / kLogTicks);
        return std::clamp(std::llround(b / kKiB) * kKiB, lo_, hi_);
    }
    return std::clamp(qint64(tick) * kKiB, lo_, hi_);
}

qint64 BudgetEditor::bytesForKib(double kib) const {
    // The field's ends stand for the exact range ends, which need not be whole tenths of a KiB.
    if (kib <= kibShown(lo_)) return lo_;
    if (kib >= kibShown(hi_)) return hi_;
    return std::clamp(static_cast<qint64>(std::llround(kib * kKiB)), lo_, hi_);
}

void BudgetEditor::updateScale() {
    lo_ = std::min(minBytes_, budgetBytes_);
    hi_ = std::max(maxBytes_, budgetBytes_);
    // Whole-KiB ticks are ints: past 1 TiB (never a board's RAM) the log scale takes over too.
    logScale_ = lo_ > 0 && (static_cast<double>(hi_) > kLogScaleRatio * static_cast<double>(lo_) ||
                            hi_ / kKiB > std::numeric_limits<int>::max() / 2);

    syncing_ = true;
    if (logScale_) {
        slider_->setRange(0, kLogTicks);
        slider_->setSingleStep(1);
        slider_->setPageStep(kLogTicks / 20);
    } else {
        const int first = static_cast<int>(lo_ / kKiB);
        const int last = static_cast<int>((hi_ + kKiB - 1) / kKiB);
        slider_->setRange(first, std::max(first + 1, last));
        slider_->setSingleStep(1);
        slider_->setPageStep(std::max(1, (last - first) / 20));
    }
    field_->setRange(kibFloor(lo_), kibCeil(hi_));
    syncing_ = false;

    std::optional<int> marker, above;
    int side = 0;
    QString sramText;
    if (sramBytes_ > 0) {
        sramText = tr("SRAM %1").arg(formatBytes(sramBytes_));
        if (sramBytes_ < lo_) {
            side = -1;
            above = slider_->minimum();
            sramText = QStringLiteral("← ") + sramText;
        } else if (sramBytes_ > hi_) {
            side = 1;
            sramText += QStringLiteral(" →");
        } else {
            marker = tickFor(sramBytes_);
            if (sramBytes_ < hi_) above = marker;
        }
    }
    slider_->setSram(marker, above);
    ruler_->setMarks(formatBytes(lo_), formatBytes(hi_), sramText, marker, side);
    showBudget(budgetBytes_);
}

void BudgetEditor::showBudget(qint64 bytes) {
    syncing_ = true;
    slider_->setValue(tickFor(bytes));
    field_->setValue(kibShown(bytes));
    syncing_ = false;
}

void BudgetEditor::commitBudget(qint64 bytes) {
    if (bytes == budgetBytes_) {
        showBudget(budgetBytes_);  // a drag that came back: put the field right again
        return;
    }
    budgetBytes_ = bytes;
    showBudget(bytes);
    emit budgetChanged(bytes);
}

void BudgetEditor::sliderMoved(int tick) {
    if (syncing_) return;
    const qint64 bytes = bytesForTick(tick);
    if (!slider_->isSliderDown()) {  // keyboard, wheel, a click on the groove
        commitBudget(bytes);
        return;
    }
    syncing_ = true;
    field_->setValue(kibShown(bytes));
    syncing_ = false;
    emit budgetPreview(bytes);
}

void BudgetEditor::fieldEntered(double kib) {
    if (syncing_) return;
    if (kib == kibShown(budgetBytes_)) return;  // the shown value entered again
    commitBudget(bytesForKib(kib));
}

void BudgetEditor::deadlineEdited() {
    const bool on = deadlineCheck_->isChecked();
    deadlineField_->setEnabled(on);
    std::optional<double> seconds;
    if (on) seconds = deadlineField_->value();
    if (seconds == deadline_) return;
    deadline_ = seconds;
    emit deadlineChanged(seconds);
}

}  // namespace tp
