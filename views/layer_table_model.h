// LayerTableModel: the forward network as a table, one row per op in graph order.
// A read-only Qt view of a tp::Network: every number it shows (MACs, parameter counts,
// shapes) comes from the engine; the model only picks and formats them.
#pragma once

#include <QAbstractTableModel>
#include <memory>
#include <vector>

#include "engine/network.h"

namespace tp {

class LayerTableModel : public QAbstractTableModel {
    Q_OBJECT

  public:
    enum Column {
        LayerColumn,
        OpColumn,
        BlockColumn,
        OutputShapeColumn,
        ParamsColumn,
        MacsColumn,
        ColumnCount
    };

    // The raw value behind a cell, for sorting and for tests: the text for name columns,
    // the element count of the first output for the shape column (so shapes sort by
    // activation size), and the qlonglong count for Params and MACs.
    static constexpr int SortRole = Qt::UserRole;

    explicit LayerTableModel(QObject* parent = nullptr);

    // Shares the network with other views; nullptr shows an empty table.
    void setNetwork(std::shared_ptr<const Network> network);
    const std::shared_ptr<const Network>& network() const { return network_; }
    const Op* opAt(int row) const;  // nullptr when out of range

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

  private:
    // Per-op values looked up once per network instead of on every paint.
    struct RowCache {
        qint64 trainableParams = 0;
        qint64 outputElements = 0;
        QString outputShape;
        QString paramsToolTip;
        QString outputsToolTip;
    };

    QVariant displayValue(int row, int column) const;
    QVariant sortValue(int row, int column) const;

    std::shared_ptr<const Network> network_;
    std::vector<RowCache> rows_;
};

}  // namespace tp
