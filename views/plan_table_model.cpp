#include "views/plan_table_model.h"

#include <QLocale>
#include <QRegularExpression>
#include <algorithm>
#include <set>

#include "views/number_format.h"

namespace tp {
namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

bool isNumeric(int column) {
    switch (column) {
        case PlanTableModel::ParamsColumn:
        case PlanTableModel::MacsColumn:
        case PlanTableModel::SavedActivationColumn:
        case PlanTableModel::MemoryShareColumn:
            return true;
        default:
            return false;
    }
}

constexpr UpdateMode kModes[] = {UpdateMode::frozen, UpdateMode::bias_only, UpdateMode::sparse,
                                 UpdateMode::full};

}  // namespace

PlanTableModel::PlanTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void PlanTableModel::setNetwork(std::shared_ptr<const Network> network) {
    beginResetModel();
    network_ = std::move(network);
    rows_.clear();
    plan_ = TrainingPlan{};
    report_ = MemoryReport{};
    memoryIndex_.clear();
    if (network_) {
        std::set<std::string> adapterBlocks;
        for (const BlockBoundary& b : adapter_blocks(*network_)) adapterBlocks.insert(b.block);
        for (const std::string& name : trainable_layers(*network_)) {
            Row row;
            row.op = network_->op(name);
            for (const std::string& p : row.op->params)
                if (const Parameter* prm = network_->param(p); prm && prm->trainable)
                    row.trainableParams += prm->elements();
            if (!row.op->outputs.empty())
                if (const TensorInfo* t = network_->tensor(row.op->outputs.front())) {
                    row.outputShape = qs(shape_to_string(t->shape));
                    row.outputElements = element_count(t->shape);
                }
            if (adapterBlocks.erase(row.op->block)) row.adapterBlock = qs(row.op->block);
            // The engine is the judge of which modes a layer takes (bias-only needs a bias).
            for (UpdateMode mode : kModes) {
                TrainingPlan probe;
                probe.layers[name] = {mode, mode == UpdateMode::sparse ? 0.5 : 1.0};
                if (validate_plan(*network_, probe).ok()) row.modes.push_back(mode);
            }
            rows_.push_back(std::move(row));
        }
    }
    endResetModel();
}

void PlanTableModel::setPlan(const TrainingPlan& plan, const MemoryReport& report) {
    plan_ = plan;
    report_ = report;
    memoryIndex_.clear();
    for (size_t i = 0; i < report_.layers.size(); ++i) memoryIndex_[report_.layers[i].op] = i;
    if (!rows_.empty())
        emit dataChanged(index(0, ModeColumn), index(rowCount() - 1, ColumnCount - 1));
}

QString PlanTableModel::opAt(int row) const {
    if (row < 0 || row >= rowCount()) return {};
    return qs(rows_[static_cast<size_t>(row)].op->name);
}

int PlanTableModel::rowOf(const QString& op) const {
    const std::string name = op.toStdString();
    for (size_t i = 0; i < rows_.size(); ++i)
        if (rows_[i].op->name == name) return static_cast<int>(i);
    return -1;
}

QString PlanTableModel::adapterBlockAt(int row) const {
    if (row < 0 || row >= rowCount()) return {};
    return rows_[static_cast<size_t>(row)].adapterBlock;
}

std::vector<UpdateMode> PlanTableModel::supportedModes(int row) const {
    if (row < 0 || row >= rowCount()) return {};
    return rows_[static_cast<size_t>(row)].modes;
}

bool PlanTableModel::accepts(int row, const LayerPlan& lp) const {
    const auto& modes = rows_[static_cast<size_t>(row)].modes;
    if (std::find(modes.begin(), modes.end(), lp.mode) == modes.end()) return false;
    return lp.mode != UpdateMode::sparse ||
           (lp.channel_fraction > 0.0 && lp.channel_fraction <= 1.0);
}

void PlanTableModel::requestMode(const QModelIndexList& indexes, LayerPlan layerPlan) {
    if (layerPlan.mode != UpdateMode::sparse) layerPlan.channel_fraction = 1.0;
    std::set<int> rows;
    for (const QModelIndex& i : indexes)
        if (i.isValid() && i.model() == this) rows.insert(i.row());
    QStringList ops;
    for (int row : rows) {
        const std::string& name = rows_[static_cast<size_t>(row)].op->name;
        if (accepts(row, layerPlan) && !(plan_.layer(name) == layerPlan)) ops << qs(name);
    }
    if (!ops.isEmpty()) emit layerPlanRequested(ops, layerPlan);
}

QString PlanTableModel::modeText(const LayerPlan& lp) {
    if (lp.mode != UpdateMode::sparse) return QString::fromLatin1(update_mode_name(lp.mode));
    return QStringLiteral("sparse %1%")
        .arg(QLocale::c().toString(lp.channel_fraction * 100, 'g', 4));
}

std::optional<LayerPlan> PlanTableModel::parseModeText(const QString& text) {
    const QString t = text.trimmed().toLower();
    for (UpdateMode mode : kModes)
        if (mode != UpdateMode::sparse && t == QLatin1String(update_mode_name(mode)))
            return LayerPlan{mode, 1.0};
    static const QRegularExpression sparse(
        QStringLiteral("^sparse(?:\\s+([0-9]*\\.?[0-9]+)\\s*%)?$"));
    const auto match = sparse.match(t);
    if (!match.hasMatch()) return std::nullopt;
    if (match.captured(1).isEmpty()) return LayerPlan{UpdateMode::sparse, 0.5};
    const double percent = match.captured(1).toDouble();
    if (!(percent > 0.0 && percent <= 100.0)) return std::nullopt;
    return LayerPlan{UpdateMode::sparse, percent / 100.0};
}

const LayerMemory* PlanTableModel::memoryAt(int row) const {
    auto it = memoryIndex_.find(rows_[static_cast<size_t>(row)].op->name);
    return it == memoryIndex_.end() ? nullptr : &report_.layers[it->second];
}

// The layer's part of the memory a plan adds for training: its trained parameters, their
// optimizer state and the activations its backward is first to read, over the report's totals
// of the same three (saved activations counted over the whole step, TinyTL's measure). Lite
// adapters' layers are not rows, so the rows' shares add up to 1 only without adapters.
double PlanTableModel::shareAt(int row) const {
    const LayerMemory* m = memoryAt(row);
    const int64_t total = report_.trained_param_bytes + report_.optimizer_state_bytes +
                          report_.saved_activation_total_bytes;
    if (!m || total <= 0) return 0.0;
    const int64_t mine =
        m->trained_param_bytes + m->optimizer_state_bytes + m->saved_activation_bytes;
    return static_cast<double>(mine) / static_cast<double>(total);
}

int PlanTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int PlanTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PlanTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const int row = index.row();
    const int column = index.column();
    const Row& r = rows_[static_cast<size_t>(row)];
    switch (role) {
        case Qt::DisplayRole:
            return displayValue(row, column);
        case Qt::EditRole:
            return column == ModeColumn ? displayValue(row, column) : QVariant();
        case SortRole:
            return sortValue(row, column);
        case LayerPlanRole:
            return column == ModeColumn ? QVariant::fromValue(plan_.layer(r.op->name)) : QVariant();
        case SupportedModesRole: {
            if (column != ModeColumn) return {};
            QVariantList modes;
            for (UpdateMode m : r.modes) modes << static_cast<int>(m);
            return modes;
        }
        case ShareRole:
            return column == MemoryShareColumn ? QVariant(shareAt(row)) : QVariant();
        case Qt::CheckStateRole:
            if (column != AdapterColumn || r.adapterBlock.isEmpty()) return {};
            return plan_.adapters.count(r.op->block) ? Qt::Checked : Qt::Unchecked;
        case Qt::TextAlignmentRole:
            return isNumeric(column) ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                     : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
        case Qt::ToolTipRole:
            return toolTip(row, column);
        default:
            return {};
    }
}

QVariant PlanTableModel::displayValue(int row, int column) const {
    const Row& r = rows_[static_cast<size_t>(row)];
    const LayerMemory* m = memoryAt(row);
    switch (column) {
        case LayerColumn:
            return qs(r.op->name);
        case OpColumn:
            return QString::fromLatin1(op_type_name(r.op->type));
        case BlockColumn:
            return qs(r.op->block);
        case OutputShapeColumn:
            return r.outputShape;
        case ParamsColumn:
            return formatCount(r.trainableParams);
        case MacsColumn:
            return formatCount(r.op->macs);
        case ModeColumn:
            return modeText(plan_.layer(r.op->name));
        case SavedActivationColumn:
            return m ? formatBytes(m->saved_activation_bytes) : QString();
        case MemoryShareColumn:
            return m ? QLocale().toString(shareAt(row) * 100.0, 'f', 1) + QStringLiteral(" %")
                     : QString();
        default:
            return {};
    }
}

QVariant PlanTableModel::sortValue(int row, int column) const {
    const Row& r = rows_[static_cast<size_t>(row)];
    const LayerMemory* m = memoryAt(row);
    switch (column) {
        case OutputShapeColumn:
            return qlonglong(r.outputElements);
        case ParamsColumn:
            return qlonglong(r.trainableParams);
        case MacsColumn:
            return qlonglong(r.op->macs);
        case ModeColumn:
            return static_cast<int>(plan_.layer(r.op->name).mode);
        case SavedActivationColumn:
            return qlonglong(m ? m->saved_activation_bytes : 0);
        case MemoryShareColumn:
            return shareAt(row);
        case AdapterColumn:
            return !r.adapterBlock.isEmpty() && plan_.adapters.count(r.op->block) ? 1 : 0;
        default:
            return displayValue(row, column);
    }
}

QVariant PlanTableModel::toolTip(int row, int column) const {
    const Row& r = rows_[static_cast<size_t>(row)];
    const LayerMemory* m = memoryAt(row);
    switch (column) {
        case LayerColumn:
            return qs(r.op->name);
        case ModeColumn:
            if (!m) return {};
            return tr("Trains %1 of %2 parameters: %3 in RAM, %4 optimizer state")
                .arg(formatCount(m->trained_params), formatCount(r.trainableParams),
                     formatBytes(m->trained_param_bytes), formatBytes(m->optimizer_state_bytes));
        case SavedActivationColumn:
            return tr(
                "Activations kept for this layer's backward pass (its backward reads them "
                "first)");
        case AdapterColumn:
            if (r.adapterBlock.isEmpty()) return {};
            return tr("Lite-residual adapter beside block %1 (TinyTL): a small trained branch "
                      "that adds capacity while the block stays frozen")
                .arg(r.adapterBlock);
        default:
            return {};
    }
}

bool PlanTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (!index.isValid() || index.row() >= rowCount()) return false;
    const Row& r = rows_[static_cast<size_t>(index.row())];
    if (index.column() == ModeColumn && role == Qt::EditRole) {
        std::optional<LayerPlan> lp;
        if (value.metaType() == QMetaType::fromType<LayerPlan>())
            lp = value.value<LayerPlan>();
        else
            lp = parseModeText(value.toString());
        if (!lp || !accepts(index.row(), *lp)) return false;
        if (lp->mode != UpdateMode::sparse) lp->channel_fraction = 1.0;
        if (!(plan_.layer(r.op->name) == *lp))
            emit layerPlanRequested(QStringList{qs(r.op->name)}, *lp);
        return true;
    }
    if (index.column() == AdapterColumn && role == Qt::CheckStateRole &&
        !r.adapterBlock.isEmpty()) {
        const bool on = value.value<Qt::CheckState>() == Qt::Checked;
        if (on != (plan_.adapters.count(r.op->block) > 0))
            emit adapterRequested(r.adapterBlock, on);
        return true;
    }
    return false;
}

Qt::ItemFlags PlanTableModel::flags(const QModelIndex& index) const {
    if (!index.isValid() || index.row() >= rowCount()) return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    const Row& r = rows_[static_cast<size_t>(index.row())];
    if (index.column() == ModeColumn && r.modes.size() > 1) f |= Qt::ItemIsEditable;
    if (index.column() == AdapterColumn && !r.adapterBlock.isEmpty()) f |= Qt::ItemIsUserCheckable;
    return f;
}

QVariant PlanTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation == Qt::Vertical)
        return role == Qt::DisplayRole ? QVariant(section + 1) : QVariant();
    if (role == Qt::TextAlignmentRole)
        return isNumeric(section) ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                  : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        switch (section) {
            case ParamsColumn:
                return tr("Trainable parameter elements of the layer");
            case MacsColumn:
                return tr("Multiply-accumulates per sample in the forward pass");
            case ModeColumn:
                return tr(
                    "What of the layer trains: frozen, bias-only, sparse (a share of the "
                    "output channels) or full");
            case SavedActivationColumn:
                return tr(
                    "Activations this layer's backward is first to read, kept from the "
                    "forward pass");
            case MemoryShareColumn:
                return tr(
                    "The layer's trained parameters, optimizer state and saved activations, "
                    "as a share of the plan's total of the three");
            case AdapterColumn:
                return tr("A lite-residual adapter beside the block (on the block's first row)");
            default:
                return {};
        }
    }
    if (role != Qt::DisplayRole) return {};
    static const char* const names[] = {QT_TR_NOOP("Layer"),
                                        QT_TR_NOOP("Op"),
                                        QT_TR_NOOP("Block"),
                                        QT_TR_NOOP("Output shape"),
                                        QT_TR_NOOP("Params"),
                                        QT_TR_NOOP("MACs"),
                                        QT_TR_NOOP("Mode"),
                                        QT_TR_NOOP("Saved activation"),
                                        QT_TR_NOOP("Training memory"),
                                        QT_TR_NOOP("Adapter")};
    if (section < 0 || section >= ColumnCount) return {};
    return tr(names[section]);
}

}  // namespace tp
