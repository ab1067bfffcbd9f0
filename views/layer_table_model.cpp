#include "views/layer_table_model.h"

#include "views/number_format.h"

namespace tp {
namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

bool isNumeric(int column) {
    return column == LayerTableModel::ParamsColumn || column == LayerTableModel::MacsColumn;
}

}  // namespace

LayerTableModel::LayerTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void LayerTableModel::setNetwork(std::shared_ptr<const Network> network) {
    beginResetModel();
    network_ = std::move(network);
    rows_.clear();
    if (network_) {
        rows_.reserve(network_->ops.size());
        for (const Op& op : network_->ops) {
            RowCache row;
            QStringList paramLines;
            for (const std::string& name : op.params) {
                const Parameter* p = network_->param(name);
                if (!p) continue;
                if (p->trainable) row.trainableParams += p->elements();
                paramLines << QStringLiteral("%1  %2%3")
                                  .arg(qs(p->name), qs(shape_to_string(p->shape)),
                                       p->trainable ? QString() : tr("  (buffer, not trained)"));
            }
            row.paramsToolTip = paramLines.join(QLatin1Char('\n'));
            QStringList outputLines;
            for (size_t i = 0; i < op.outputs.size(); ++i) {
                const TensorInfo* t = network_->tensor(op.outputs[i]);
                QString shape = t ? qs(shape_to_string(t->shape)) : tr("unknown");
                if (i == 0) {
                    row.outputShape = shape;
                    row.outputElements = t ? element_count(t->shape) : 0;
                }
                outputLines << QStringLiteral("%1  %2 %3")
                                   .arg(qs(op.outputs[i]), shape,
                                        t ? QString::fromLatin1(dtype_name(t->dtype)) : QString());
            }
            row.outputsToolTip = outputLines.join(QLatin1Char('\n'));
            rows_.push_back(std::move(row));
        }
    }
    endResetModel();
}

const Op* LayerTableModel::opAt(int row) const {
    if (!network_ || row < 0 || row >= static_cast<int>(network_->ops.size())) return nullptr;
    return &network_->ops[static_cast<size_t>(row)];
}

int LayerTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int LayerTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LayerTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || !opAt(index.row())) return {};
    const int row = index.row();
    const int column = index.column();
    switch (role) {
        case Qt::DisplayRole:
            return displayValue(row, column);
        case SortRole:
            return sortValue(row, column);
        case Qt::TextAlignmentRole:
            return isNumeric(column) ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                     : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
        case Qt::ToolTipRole: {
            const RowCache& cache = rows_[static_cast<size_t>(row)];
            if (column == ParamsColumn)
                return cache.paramsToolTip.isEmpty() ? QVariant() : cache.paramsToolTip;
            if (column == OutputShapeColumn) return cache.outputsToolTip;
            if (column == LayerColumn) return qs(opAt(row)->name);
            return {};
        }
        default:
            return {};
    }
}

QVariant LayerTableModel::displayValue(int row, int column) const {
    const Op& op = *opAt(row);
    const RowCache& cache = rows_[static_cast<size_t>(row)];
    switch (column) {
        case LayerColumn:
            return qs(op.name);
        case OpColumn:
            return QString::fromLatin1(op_type_name(op.type));
        case BlockColumn:
            return qs(op.block);
        case OutputShapeColumn:
            return cache.outputShape;
        case ParamsColumn:
            return formatCount(cache.trainableParams);
        case MacsColumn:
            return formatCount(op.macs);
        default:
            return {};
    }
}

QVariant LayerTableModel::sortValue(int row, int column) const {
    const Op& op = *opAt(row);
    const RowCache& cache = rows_[static_cast<size_t>(row)];
    switch (column) {
        case OutputShapeColumn:
            return qlonglong(cache.outputElements);
        case ParamsColumn:
            return qlonglong(cache.trainableParams);
        case MacsColumn:
            return qlonglong(op.macs);
        default:
            return displayValue(row, column);
    }
}

QVariant LayerTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation == Qt::Vertical) {
        // Graph order, 1-based; stays attached to its op when a proxy re-sorts the rows.
        if (role == Qt::DisplayRole) return section + 1;
        return {};
    }
    if (role == Qt::TextAlignmentRole)
        return isNumeric(section) ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                  : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        switch (section) {
            case LayerColumn:
                return tr("Op name in the imported graph");
            case OpColumn:
                return tr("Operator type");
            case BlockColumn:
                return tr("Residual block or stage: the unit adapters attach to");
            case OutputShapeColumn:
                return tr("Shape of the first output, batch first (batch 1)");
            case ParamsColumn:
                return tr("Trainable parameter elements (BatchNorm running statistics excluded)");
            case MacsColumn:
                return tr("Multiply-accumulates per sample in the forward pass");
            default:
                return {};
        }
    }
    if (role != Qt::DisplayRole) return {};
    switch (section) {
        case LayerColumn:
            return tr("Layer");
        case OpColumn:
            return tr("Op");
        case BlockColumn:
            return tr("Block");
        case OutputShapeColumn:
            return tr("Output shape");
        case ParamsColumn:
            return tr("Params");
        case MacsColumn:
            return tr("MACs");
        default:
            return {};
    }
}

}  // namespace tp
