// PlanTableModel: the training plan as an editable table, one row per trainable layer
// (engine/training_plan.h trainable_layers) in graph order. Network facts (op, block, shape,
// parameters, MACs) come from the Network; memory numbers from the MemoryReport the document
// pushes with every plan. Editing is a request, never a mutation: setData emits
// layerPlanRequested / adapterRequested, the document applies the edit through its undo stack
// and calls setPlan back with the new plan and report.
//
// Adapters: a lite-residual adapter belongs to a block, so the Adapter checkbox sits on the
// first trainable row of each block that can carry one (engine/training_plan.h
// adapter_blocks); the block's other rows leave the cell empty.
#pragma once

#include <QAbstractTableModel>
#include <QStringList>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "engine/memory_report.h"
#include "engine/network.h"
#include "engine/training_plan.h"

Q_DECLARE_METATYPE(tp::LayerPlan)

namespace tp {

class PlanTableModel : public QAbstractTableModel {
    Q_OBJECT

  public:
    enum Column {
        LayerColumn,
        OpColumn,
        BlockColumn,
        OutputShapeColumn,
        ParamsColumn,
        MacsColumn,
        ModeColumn,
        SavedActivationColumn,
        MemoryShareColumn,
        AdapterColumn,
        ColumnCount
    };

    // The raw value behind a cell, for sorting and tests: text for names, qlonglong for counts
    // and bytes, double for the memory share, the mode's enum value for Mode.
    static constexpr int SortRole = Qt::UserRole;
    // Mode column: the row's tp::LayerPlan (EditRole takes one too, or a mode text).
    static constexpr int LayerPlanRole = Qt::UserRole + 1;
    // Mode column: QVariantList of the UpdateMode values (as int) the engine accepts here.
    static constexpr int SupportedModesRole = Qt::UserRole + 2;
    // Memory share column: the 0–1 value the delegate draws as a bar.
    static constexpr int ShareRole = Qt::UserRole + 3;

    explicit PlanTableModel(QObject* parent = nullptr);

    // A new network resets the table; its plan and report are empty until setPlan.
    void setNetwork(std::shared_ptr<const Network> network);
    const std::shared_ptr<const Network>& network() const { return network_; }
    // The document's current plan and the report derived from it (store_all_memory of its
    // TrainingGraph). Rows stay; the plan-dependent columns emit dataChanged.
    void setPlan(const TrainingPlan& plan, const MemoryReport& report);
    const TrainingPlan& plan() const { return plan_; }
    const MemoryReport& report() const { return report_; }

    QString opAt(int row) const;            // empty when out of range
    int rowOf(const QString& op) const;     // -1 when the op is not a row
    QString adapterBlockAt(int row) const;  // the block whose adapter the row's checkbox sets
    std::vector<UpdateMode> supportedModes(int row) const;

    // Asks for one mode on every row of `indexes` (any column; indexes of this model, so map a
    // proxy's selection first). Rows that cannot take the mode or already have it are left
    // out; nothing is emitted when no row remains.
    void requestMode(const QModelIndexList& indexes, LayerPlan layerPlan);

    // "frozen", "bias-only", "sparse 25%", "full"; and back (a bare "sparse" keeps 50%).
    static QString modeText(const LayerPlan& layerPlan);
    static std::optional<LayerPlan> parseModeText(const QString& text);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

  signals:
    void layerPlanRequested(const QStringList& ops, const tp::LayerPlan& layerPlan);
    void adapterRequested(const QString& block, bool on);

  private:
    // Per-row network facts, looked up once per network.
    struct Row {
        const Op* op = nullptr;
        qint64 trainableParams = 0;
        qint64 outputElements = 0;
        QString outputShape;
        QString adapterBlock;  // non-empty on the first row of a block that can carry one
        std::vector<UpdateMode> modes;
    };

    QVariant displayValue(int row, int column) const;
    QVariant sortValue(int row, int column) const;
    QVariant toolTip(int row, int column) const;
    const LayerMemory* memoryAt(int row) const;  // nullptr when the report lacks the layer
    double shareAt(int row) const;
    bool accepts(int row, const LayerPlan& layerPlan) const;

    std::shared_ptr<const Network> network_;
    std::vector<Row> rows_;
    TrainingPlan plan_;
    MemoryReport report_;
    std::map<std::string, size_t> memoryIndex_;  // op name -> report_.layers index
};

}  // namespace tp
