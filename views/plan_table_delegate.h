// PlanTableDelegate: the PlanTableModel's editing and drawing. The Mode cell edits with a
// combo of the modes the engine accepts for that layer and, for sparse, a spin box of the share
// of output channels that train; the Training memory cell draws its 0–1 share as a bar behind
// the percentage. The editor only hands a LayerPlan to the model, which turns it into a request.
#pragma once

#include <QStyledItemDelegate>
#include <QWidget>
#include <vector>

#include "engine/training_plan.h"

class QComboBox;
class QDoubleSpinBox;

namespace tp {

class ModeEditor : public QWidget {
    Q_OBJECT

  public:
    ModeEditor(const std::vector<UpdateMode>& modes, QWidget* parent = nullptr);

    void setLayerPlan(const LayerPlan& layerPlan);
    LayerPlan layerPlan() const;
    QComboBox* modeBox() const { return mode_; }
    QDoubleSpinBox* percentBox() const { return percent_; }  // channel share, in percent

  signals:
    // The user picked a mode, or confirmed a sparse share: time to commit. Emitted once.
    void finished();

  private:
    void modePicked();
    void finish();

    QComboBox* mode_;
    QDoubleSpinBox* percent_;
    bool finished_ = false;
};

class PlanTableDelegate : public QStyledItemDelegate {
    Q_OBJECT

  public:
    explicit PlanTableDelegate(QObject* parent = nullptr);

    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override;
    QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem& option,
                          const QModelIndex& index) const override;
    void setEditorData(QWidget* editor, const QModelIndex& index) const override;
    void setModelData(QWidget* editor, QAbstractItemModel* model,
                      const QModelIndex& index) const override;
    void updateEditorGeometry(QWidget* editor, const QStyleOptionViewItem& option,
                              const QModelIndex& index) const override;
};

}  // namespace tp
