#include "views/solve_summary.h"

#include <QGridLayout>
#include <QLabel>
#include <QLocale>
#include <QPainter>
#include <QProgressBar>
#include <QVBoxLayout>
#include <algorithm>

#include "views/number_format.h"

namespace tp {

namespace {

const QColor kOptimal(0x2e, 0x7d, 0x32);
const QColor kFeasible(0x15, 0x65, 0xc0);
const QColor kInfeasible(0xc6, 0x28, 0x28);
const QColor kQuiet(0x75, 0x75, 0x75);
const QColor kSram(0xd9, 0x77, 0x06);  // as BudgetEditor marks it

// Three decimals in the largest unit the value reaches, as `trainplan solve` prints them.
QString withUnit(double v, const char* base, const char* milli, const char* micro) {
    QLocale locale;
    if (v >= 1.0 || v == 0.0) return locale.toString(v, 'f', 3) + ' ' + QString::fromUtf8(base);
    if (v >= 1e-3) return locale.toString(v * 1e3, 'f', 3) + ' ' + QString::fromUtf8(milli);
    return locale.toString(v * 1e6, 'f', 3) + ' ' + QString::fromUtf8(micro);
}
QString joules(double j) {
    return withUnit(j, "J", "mJ", "µJ");
}
QString seconds(double s) {
    return withUnit(s, "s", "ms", "µs");
}
QString percent(double fraction) {
    return QLocale().toString(100.0 * fraction, 'f', 2) + '%';
}

QPixmap dotPixmap(const QColor& color, int size, qreal dpr) {
    QPixmap pm(QSize(size, size) * dpr);
    pm.setDevicePixelRatio(dpr);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(color);
    p.drawEllipse(QRectF(1, 1, size - 2, size - 2));
    return pm;
}

QLabel* valueLabel(const char* objectName, QWidget* parent) {
    auto* label = new QLabel(parent);
    label->setObjectName(QString::fromLatin1(objectName));
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    return label;
}

}  // namespace

// Peak RAM as a filled bar, with the budget (dark) and the board's SRAM (amber) as ticks.
class PeakBar : public QWidget {
  public:
    explicit PeakBar(QWidget* parent) : QWidget(parent) {
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    }
    void setBytes(qint64 peak, qint64 budget, qint64 sram) {
        peak_ = peak;
        budget_ = budget;
        sram_ = sram;
        update();
    }
    QSize sizeHint() const override { return {160, 12}; }
    QSize minimumSizeHint() const override { return {60, 12}; }

  protected:
    void paintEvent(QPaintEvent*) override {
        QPainter p(this);
        p.setRenderHint(QPainter::Antialiasing);
        const QRectF track = QRectF(rect()).adjusted(1.5, 2.5, -1.5, -2.5);
        const double full =
            1.05 * static_cast<double>(std::max({peak_, budget_, sram_, qint64{1}}));
        auto xOf = [&](qint64 bytes) {
            return track.left() + track.width() * static_cast<double>(bytes) / full;
        };
        const QPalette& pal = palette();
        p.setPen(QPen(pal.color(QPalette::Mid), 1));
        p.setBrush(pal.color(QPalette::Base));
        p.drawRoundedRect(track, 2, 2);
        QColor fill = sram_ > 0 && peak_ > sram_ ? kSram : kFeasible;
        if (!isEnabled()) fill = pal.color(QPalette::Mid);
        p.setPen(Qt::NoPen);
        p.setBrush(fill);
        p.drawRoundedRect(
            QRectF(track.left(), track.top(), xOf(peak_) - track.left(), track.height()), 2, 2);
        auto tick = [&](qint64 bytes, const QColor& color) {
            const double x = std::round(xOf(bytes)) + 0.5;
            p.setPen(QPen(isEnabled() ? color : pal.color(QPalette::Mid), 2));
            p.drawLine(QPointF(x, 0), QPointF(x, height()));
        };
        if (budget_ > 0) tick(budget_, pal.color(QPalette::WindowText));
        if (sram_ > 0) tick(sram_, kSram);
    }

  private:
    qint64 peak_ = 0, budget_ = 0, sram_ = 0;
};

SolveSummary::SolveSummary(QWidget* parent) : QWidget(parent) {
    dot_ = new QLabel(this);
    status_ = new QLabel(this);
    status_->setObjectName(QStringLiteral("summaryStatus"));
    QFont bold = status_->font();
    bold.setBold(true);
    bold.setPointSizeF(bold.pointSizeF() * 1.1);
    status_->setFont(bold);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    detail_ = valueLabel("summaryDetail", this);
    detail_->setForegroundRole(QPalette::PlaceholderText);
    busy_ = new QProgressBar(this);
    busy_->setObjectName(QStringLiteral("summaryBusy"));
    busy_->setRange(0, 0);  // busy: the solver cannot say how far it is
    busy_->setTextVisible(false);
    busy_->setFixedSize(90, 8);  // beside the status, so nothing below moves while solving
    busy_->hide();

    peak_ = valueLabel("summaryPeak", this);
    peakBar_ = new PeakBar(this);
    peakBar_->setObjectName(QStringLiteral("summaryPeakBar"));
    energy_ = valueLabel("summaryEnergy", this);
    time_ = valueLabel("summaryTime", this);
    steps_ = valueLabel("summarySteps", this);
    solver_ = valueLabel("summarySolver", this);

    auto* head = new QHBoxLayout;
    head->setSpacing(6);
    head->addWidget(dot_, 0, Qt::AlignVCenter);
    head->addWidget(status_, 1);
    head->addWidget(busy_, 0, Qt::AlignVCenter);

    auto* grid = new QGridLayout;
    grid->setHorizontalSpacing(12);
    grid->setVerticalSpacing(4);
    grid->setColumnStretch(1, 1);
    const QList<QPair<QString, QWidget*>> rows = {{tr("Peak RAM"), peak_}, {QString(), peakBar_},
                                                  {tr("Energy"), energy_}, {tr("Time"), time_},
                                                  {tr("Steps"), steps_},   {tr("Solver"), solver_}};
    for (int r = 0; r < rows.size(); ++r) {
        auto* caption = new QLabel(rows[r].first, this);
        caption->setForegroundRole(QPalette::PlaceholderText);
        caption->setAlignment(Qt::AlignLeft | Qt::AlignTop);
        captions_ << caption;
        grid->addWidget(caption, r, 0);
        grid->addWidget(rows[r].second, r, 1);
    }

    auto* layout = new QVBoxLayout(this);
    layout->setSpacing(4);
    layout->addLayout(head);
    layout->addWidget(detail_);
    layout->addSpacing(4);
    layout->addLayout(grid);
    layout->addStretch(1);
    clear();
}

void SolveSummary::setStatus(const QColor& color, const QString& text, const QString& detail) {
    dot_->setPixmap(dotPixmap(color, 12, devicePixelRatioF()));
    QPalette pal = status_->palette();
    pal.setColor(QPalette::WindowText, color);
    status_->setPalette(pal);
    status_->setText(text);
    detail_->setText(detail);
    detail_->setVisible(!detail.isEmpty());
}

void SolveSummary::setMetricsVisible(bool visible) {
    const QList<QWidget*> values = {peak_, peakBar_, energy_, time_, steps_};
    for (int r = 0; r < values.size(); ++r) {
        values[r]->setVisible(visible);
        captions_[r]->setVisible(visible);
    }
}

void SolveSummary::setDimmed(bool dimmed) {
    for (QWidget* w :
         std::initializer_list<QWidget*>{peak_, peakBar_, energy_, time_, steps_, solver_})
        w->setEnabled(!dimmed);
}

void SolveSummary::setSolution(const PlanSolution& s, qint64 sram_bytes) {
    const SolveResult& r = s.result;
    const QString message = QString::fromStdString(r.message);
    QColor color;
    QString status;
    QString detail = message;
    switch (r.status) {
        case SolveStatus::optimal:
            color = kOptimal;
            status = tr("Optimal");
            break;
        case SolveStatus::feasible:
            color = kFeasible;
            status = tr("Feasible · gap %1").arg(percent(r.gap));
            if (detail.isEmpty())
                detail =
                    tr("No schedule uses less than %1 (proven bound)").arg(joules(r.lower_bound_j));
            break;
        case SolveStatus::infeasible:
            color = kInfeasible;
            status = tr("Infeasible · smallest feasible budget %1")
                         .arg(formatBytes(s.min_feasible_budget_bytes));
            if (!s.min_feasible_exact)
                status += tr(" (at least: %1)")
                              .arg(s.min_feasible_bound_reason == "no paging"
                                       ? tr("the board cannot page")
                                       : QString::fromStdString(s.min_feasible_bound_reason));
            break;
        case SolveStatus::cancelled:
            color = kQuiet;
            status = r.has_schedule() ? tr("Cancelled · best schedule so far") : tr("Cancelled");
            break;
        case SolveStatus::time_limit:
            color = kQuiet;
            status = tr("No schedule within the time limit");
            break;
        case SolveStatus::error:
            color = kInfeasible;
            status = tr("Solver error");
            break;
    }
    solvedColor_ = color;
    solvedStatus_ = status;
    solvedDetail_ = detail;
    setStatus(color, status, detail);
    busy_->hide();

    const qint64 budget = s.options.ram_budget_bytes;
    QString family;
    if (r.stats.recompute_only_depth > 0)
        family = tr(" · recompute-only within %1 hops").arg(r.stats.recompute_only_depth);
    else if (r.stats.recompute_depth == 1)
        family = tr(" · recompute within 1 hop");
    else if (r.stats.recompute_depth > 1)
        family = tr(" · recompute within %1 hops").arg(r.stats.recompute_depth);
    solver_->setText(tr("%1 · %2").arg(QString::fromStdString(r.solver), seconds(r.solve_time_s)) +
                     family);
    QString search;
    if (r.stats.branch_nodes > 0 || r.stats.sub_mips > 0)
        search =
            tr("\n%1 branch-and-bound nodes%5; %2 neighbourhood searches, %3 of them found "
               "a cheaper schedule; %4 cheaper schedules from rounding node LPs")
                .arg(formatCount(r.stats.branch_nodes), formatCount(r.stats.sub_mips),
                     formatCount(r.stats.neighbourhood_improvements),
                     formatCount(r.stats.rounding_improvements),
                     r.stats.searches > 1 ? tr(" in %1 parallel searches").arg(r.stats.searches)
                                          : QString());
    // The label names the schedule's family; the status and bound cover every family searched.
    QString scope;
    if (r.stats.searched_recompute_only_depth > 0)
        scope = tr("\nStatus and bound cover both families searched: recompute within %1 with "
                   "paging, and recompute-only within %2 hops")
                    .arg(r.stats.recompute_depth == 1 ? tr("1 hop")
                                                      : tr("%1 hops").arg(r.stats.recompute_depth),
                         QString::number(r.stats.searched_recompute_only_depth));
    solver_->setToolTip(tr("%1 graph nodes, %2 after fusing chains%3")
                            .arg(formatCount(r.stats.graph_nodes),
                                 formatCount(r.stats.reduced_nodes),
                                 r.stats.warm_started ? tr(", warm-started") : QString()) +
                        search + scope);

    const bool shown = r.has_schedule();
    setMetricsVisible(shown);
    if (shown) {
        const ScheduleReplay& p = r.replay;
        QString peak = formatBytes(p.peak_ram_bytes);
        peak += budget > 0 ? tr(" of %1 budget").arg(formatBytes(budget)) : tr(" · no budget");
        if (sram_bytes > 0) peak += tr(" · SRAM %1").arg(formatBytes(sram_bytes));
        peak_->setText(peak);
        peak_->setToolTip(tr("Highest RAM of the replay, at step %1 of %2; %3 of it (trained "
                             "parameters and optimizer state) stays for the whole step")
                              .arg(formatCount(p.peak_step + 1),
                                   formatCount(static_cast<qint64>(r.schedule.steps.size())),
                                   formatBytes(p.persistent_bytes)));
        peakBar_->setBytes(p.peak_ram_bytes, budget, sram_bytes);
        peakBar_->setToolTip(peak);

        const double energy = p.energy.total_j();
        QString energyText = joules(energy);
        // The ratio only scales two engine numbers for reading ("1.04× floor").
        if (s.floor_energy_j > 0)
            energyText +=
                tr(" · %1× floor").arg(QLocale().toString(energy / s.floor_energy_j, 'f', 2));
        energy_->setText(energyText);
        energy_->setToolTip(tr("compute %1 + recompute %2 + page-in %3 + page-out %4 + static "
                               "%5\nfloor (store-all schedule) %6")
                                .arg(joules(p.energy.compute_j), joules(p.energy.recompute_j),
                                     joules(p.energy.page_in_j), joules(p.energy.page_out_j),
                                     joules(p.energy.static_j), joules(s.floor_energy_j)));

        QString timeText = seconds(p.time_s);
        if (s.options.deadline_s > 0)
            timeText += tr(" · deadline %1").arg(seconds(s.options.deadline_s));
        time_->setText(timeText);
        time_->setToolTip(tr("One training step on the board; the store-all schedule takes %1")
                              .arg(seconds(s.floor_time_s)));

        steps_->setText(
            tr("%1 recompute · %2 page-out · %3 page-in")
                .arg(formatCount(p.recomputes), formatCount(p.page_outs), formatCount(p.page_ins)));
        steps_->setToolTip(tr("%1 steps: %2 compute, %3 recompute, %4 page-out, %5 page-in, "
                              "%6 free; up to %7 paged to storage")
                               .arg(formatCount(static_cast<qint64>(r.schedule.steps.size())),
                                    formatCount(p.computes), formatCount(p.recomputes),
                                    formatCount(p.page_outs), formatCount(p.page_ins),
                                    formatCount(p.frees), formatBytes(p.peak_storage_bytes)));
    }
    captions_.last()->show();
    solver_->show();
    setDimmed(false);
    hasSolution_ = true;
    state_ = State::solved;
}

void SolveSummary::showSolving(const SolveProgress& progress) {
    state_ = State::solving;
    QStringList parts;
    if (!progress.phase.empty()) parts << QString::fromStdString(progress.phase);
    parts << seconds(progress.elapsed_s);
    if (progress.best_energy_j > 0) {
        parts << tr("best %1").arg(joules(progress.best_energy_j));
        // SolveResult::gap's definition, for a solve still running: (best - bound) / best.
        if (progress.bound_j > 0)
            parts << tr("gap %1").arg(percent(std::max(
                0.0, (progress.best_energy_j - progress.bound_j) / progress.best_energy_j)));
    } else {
        parts << tr("no schedule yet");
    }
    setStatus(kFeasible, tr("Solving…"), parts.join(QStringLiteral(" · ")));
    busy_->show();
    if (hasSolution_) {
        setDimmed(true);
    } else {
        setMetricsVisible(false);
        captions_.last()->hide();
        solver_->hide();
    }
}

void SolveSummary::showStale() {
    if (!hasSolution_) return;
    state_ = State::stale;
    busy_->hide();
    setStatus(
        kQuiet, tr("Out of date"),
        tr("Shown: %1. The plan, board or limits changed since; solve again.").arg(solvedStatus_));
    setDimmed(true);
}

void SolveSummary::clear() {
    state_ = State::empty;
    hasSolution_ = false;
    busy_->hide();
    setStatus(kQuiet, tr("Not solved"), tr("Choose a board and a RAM budget, then solve."));
    setMetricsVisible(false);
    captions_.last()->hide();
    solver_->hide();
    setDimmed(false);
}

QString SolveSummary::statusText() const {
    return status_->text();
}

}  // namespace tp
