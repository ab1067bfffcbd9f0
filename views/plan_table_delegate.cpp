#include "views/plan_table_delegate.h"

#include <QApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QPainter>
#include <algorithm>

#include "views/plan_table_model.h"

namespace tp {

namespace {
// A sparse share to start from when a layer turns sparse: half its output channels.
constexpr double kDefaultSparsePercent = 50.0;
}  // namespace

ModeEditor::ModeEditor(const std::vector<UpdateMode>& modes, QWidget* parent)
    : QWidget(parent), mode_(new QComboBox(this)), percent_(new QDoubleSpinBox(this)) {
    mode_->setObjectName(QStringLiteral("modeBox"));
    percent_->setObjectName(QStringLiteral("percentBox"));
    for (UpdateMode m : modes)
        mode_->addItem(QString::fromLatin1(update_mode_name(m)), static_cast<int>(m));
    percent_->setRange(0.1, 100.0);
    percent_->setDecimals(1);
    percent_->setSuffix(QStringLiteral(" %"));
    percent_->setValue(kDefaultSparsePercent);
    percent_->setToolTip(tr("Share of the output channels whose weights train"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(mode_, 1);
    layout->addWidget(percent_);
    setFocusProxy(mode_);
    setAutoFillBackground(true);
    connect(mode_, &QComboBox::activated, this, [this] { modePicked(); });
    connect(percent_, &QDoubleSpinBox::editingFinished, this, [this] {
        if (layerPlan().mode == UpdateMode::sparse) finish();
    });
}

void ModeEditor::setLayerPlan(const LayerPlan& lp) {
    const int i = mode_->findData(static_cast<int>(lp.mode));
    mode_->setCurrentIndex(i < 0 ? 0 : i);
    if (lp.mode == UpdateMode::sparse) percent_->setValue(lp.channel_fraction * 100.0);
    percent_->setEnabled(lp.mode == UpdateMode::sparse);
}

LayerPlan ModeEditor::layerPlan() const {
    const auto mode = static_cast<UpdateMode>(mode_->currentData().toInt());
    return {mode, mode == UpdateMode::sparse ? percent_->value() / 100.0 : 1.0};
}

void ModeEditor::modePicked() {
    const bool sparse = layerPlan().mode == UpdateMode::sparse;
    percent_->setEnabled(sparse);
    if (!sparse) return finish();
    percent_->setFocus();
    percent_->selectAll();
}

void ModeEditor::finish() {
    if (finished_) return;
    finished_ = true;
    emit finished();
}

PlanTableDelegate::PlanTableDelegate(QObject* parent) : QStyledItemDelegate(parent) {}

void PlanTableDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                              const QModelIndex& index) const {
    const QVariant share = index.data(PlanTableModel::ShareRole);
    if (index.column() != PlanTableModel::MemoryShareColumn || !share.isValid())
        return QStyledItemDelegate::paint(painter, option, index);
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QWidget* widget = opt.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    const QString text = opt.text;
    opt.text.clear();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);  // background, selection

    QRect bar = opt.rect.adjusted(3, 4, -3, -4);
    bar.setWidth(static_cast<int>(bar.width() * std::clamp(share.toDouble(), 0.0, 1.0)));
    QColor fill = opt.palette.color(QPalette::Highlight);
    fill.setAlphaF(0.35f);
    painter->save();
    painter->fillRect(bar, fill);
    painter->restore();
    const bool selected = opt.state & QStyle::State_Selected;
    style->drawItemText(painter, opt.rect.adjusted(4, 0, -4, 0), Qt::AlignRight | Qt::AlignVCenter,
                        opt.palette, true, text,
                        selected ? QPalette::HighlightedText : QPalette::Text);
}

QWidget* PlanTableDelegate::createEditor(QWidget* parent, const QStyleOptionViewItem& option,
                                         const QModelIndex& index) const {
    if (index.column() != PlanTableModel::ModeColumn)
        return QStyledItemDelegate::createEditor(parent, option, index);
    std::vector<UpdateMode> modes;
    for (const QVariant& m : index.data(PlanTableModel::SupportedModesRole).toList())
        modes.push_back(static_cast<UpdateMode>(m.toInt()));
    auto* editor = new ModeEditor(modes, parent);
    auto* self = const_cast<PlanTableDelegate*>(this);  // Qt's editor factory is const
    connect(editor, &ModeEditor::finished, self, [self, editor] {
        emit self->commitData(editor);
        emit self->closeEditor(editor);
    });
    return editor;
}

void PlanTableDelegate::setEditorData(QWidget* editor, const QModelIndex& index) const {
    if (auto* mode = qobject_cast<ModeEditor*>(editor))
        return mode->setLayerPlan(index.data(PlanTableModel::LayerPlanRole).value<LayerPlan>());
    QStyledItemDelegate::setEditorData(editor, index);
}

void PlanTableDelegate::setModelData(QWidget* editor, QAbstractItemModel* model,
                                     const QModelIndex& index) const {
    if (auto* mode = qobject_cast<ModeEditor*>(editor)) {
        model->setData(index, QVariant::fromValue(mode->layerPlan()), Qt::EditRole);
        return;
    }
    QStyledItemDelegate::setModelData(editor, model, index);
}

void PlanTableDelegate::updateEditorGeometry(QWidget* editor, const QStyleOptionViewItem& option,
                                             const QModelIndex& index) const {
    if (qobject_cast<ModeEditor*>(editor)) {
        // Combo and spin box need more room than a mode's text: overlap the next column.
        QRect rect = option.rect;
        rect.setWidth(std::max(rect.width(), editor->sizeHint().width()));
        return editor->setGeometry(rect);
    }
    QStyledItemDelegate::updateEditorGeometry(editor, option, index);
}

}  // namespace tp
