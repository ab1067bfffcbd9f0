#include "app/studio/plan_document.h"

#include <QUndoCommand>
#include <QUndoStack>
#include <algorithm>

#include "engine/schedule_replay.h"

namespace tp {

// One edit of the design: the design before and after, so undo and redo are exact.
class DesignCommand : public QUndoCommand {
  public:
    DesignCommand(PlanDocument* doc, const QString& text, PlanDesign before, PlanDesign after,
                  int mergeId)
        : QUndoCommand(text),
          doc_(doc),
          before_(std::move(before)),
          after_(std::move(after)),
          mergeId_(mergeId) {}

    void undo() override { doc_->apply(before_); }
    void redo() override { doc_->apply(after_); }
    int id() const override { return mergeId_; }
    bool mergeWith(const QUndoCommand* other) override {
        if (other->id() != id()) return false;
        after_ = static_cast<const DesignCommand*>(other)->after_;
        setObsolete(after_ == before_);
        return true;
    }

  private:
    PlanDocument* doc_;
    PlanDesign before_, after_;
    int mergeId_;
};

namespace {
enum MergeId { kBudgetMerge = 1, kDeadlineMerge = 2 };
}

PlanDocument::PlanDocument(QObject* parent) : QObject(parent), undo_(new QUndoStack(this)) {}

PlanDocument::~PlanDocument() = default;

void PlanDocument::setDeviceLibrary(DeviceLibrary library) {
    library_ = std::move(library);
    derive();
    emit designChanged();
}

void PlanDocument::reset(std::shared_ptr<const Network> network, const QString& modelSpec,
                         const PlanDesign& design) {
    undo_->clear();
    network_ = std::move(network);
    modelSpec_ = modelSpec;
    design_ = design;
    derive();
    if (design_.budgetBytes <= 0) {
        design_.budgetBytes =
            default_budget_bytes(device(), derived_.graph.get(), derived_.memory.get());
        derive();
    }
    undo_->setClean();
    emit networkChanged();
    emit designChanged();
}

const Device* PlanDocument::device() const {
    return library_.find(design_.deviceId.toStdString());
}

bool PlanDocument::isModified() const { return !undo_->isClean(); }

void PlanDocument::markSaved() { undo_->setClean(); }

void PlanDocument::edit(const QString& text, const PlanDesign& design, int mergeId) {
    if (design == design_) return;
    undo_->push(new DesignCommand(this, text, design_, design, mergeId));
}

QString PlanDocument::setLayerPlan(const QStringList& ops, const LayerPlan& layer) {
    if (!network_ || ops.isEmpty()) return {};
    PlanDesign next = design_;
    // Absent means frozen (engine/training_plan.h): erase, so a saved and reopened plan compares
    // equal to this one.
    for (const QString& op : ops) {
        if (layer.mode == UpdateMode::frozen)
            next.plan.layers.erase(op.toStdString());
        else
            next.plan.layers[op.toStdString()] = layer;
    }
    if (Status ok = validate_plan(*network_, next.plan); !ok)
        return QString::fromStdString(ok.error().message);
    const QString what = ops.size() == 1 ? ops.first()
                                         : QStringLiteral("%1 layers").arg(ops.size());
    edit(QStringLiteral("Set %1 to %2").arg(what, QString::fromUtf8(update_mode_name(layer.mode))),
         next);
    return {};
}

QString PlanDocument::setAdapter(const QString& block, bool on) {
    if (!network_) return {};
    PlanDesign next = design_;
    if (on)
        next.plan.adapters.insert(block.toStdString());
    else
        next.plan.adapters.erase(block.toStdString());
    if (Status ok = validate_plan(*network_, next.plan); !ok)
        return QString::fromStdString(ok.error().message);
    edit(on ? QStringLiteral("Add adapter to %1").arg(block)
            : QStringLiteral("Remove adapter from %1").arg(block),
         next);
    return {};
}

QString PlanDocument::applyPreset(const QString& preset) {
    if (!network_) return {};
    Result<TrainingPlan> plan = make_preset(*network_, preset.toStdString());
    if (!plan) return QString::fromStdString(plan.error().message);
    PlanDesign next = design_;
    // A preset decides what trains; the step's batch, optimizer and precision stay the user's.
    TrainingPlan p = std::move(plan).value();
    p.batch = design_.plan.batch;
    p.optimizer = design_.plan.optimizer;
    p.precision = design_.plan.precision;
    p.classes = design_.plan.classes;
    next.plan = std::move(p);
    edit(QStringLiteral("Apply preset %1").arg(preset), next);
    return {};
}

QString PlanDocument::setDevice(const QString& deviceId) {
    if (!library_.find(deviceId.toStdString()))
        return QStringLiteral("unknown board '%1'").arg(deviceId);
    PlanDesign next = design_;
    next.deviceId = deviceId;
    edit(QStringLiteral("Target %1").arg(deviceId), next);
    return {};
}

void PlanDocument::setBudget(qint64 bytes) {
    PlanDesign next = design_;
    next.budgetBytes = std::max<qint64>(0, bytes);
    edit(QStringLiteral("Set RAM budget"), next, kBudgetMerge);
}

void PlanDocument::setDeadline(double seconds) {
    PlanDesign next = design_;
    next.deadlineSeconds = std::max(0.0, seconds);
    edit(QStringLiteral("Set deadline"), next, kDeadlineMerge);
}

void PlanDocument::setSolver(const QString& solver) {
    PlanDesign next = design_;
    next.solver = solver;
    edit(QStringLiteral("Use solver %1").arg(solver), next);
}

void PlanDocument::apply(const PlanDesign& design) {
    design_ = design;
    derive();
    emit designChanged();
}

void PlanDocument::derive() {
    derived_ = DerivedPlan{};
    if (!network_) return;
    Result<TrainingGraph> graph = derive_training_graph(*network_, design_.plan);
    if (!graph) {
        derived_.problem = QString::fromStdString(graph.error().message);
        return;
    }
    auto shared = std::make_shared<const TrainingGraph>(std::move(graph).value());
    derived_.graph = shared;
    derived_.memory = std::make_shared<const MemoryReport>(store_all_memory(*shared));
    const Device* board = device();
    if (!board) {
        derived_.problem = design_.deviceId.isEmpty()
                               ? QStringLiteral("pick a board")
                               : QStringLiteral("board '%1' is not in the board library")
                                     .arg(design_.deviceId);
        return;
    }
    Result<CostModel> costs = build_cost_model(*shared, *board);
    if (!costs) {
        derived_.problem = QString::fromStdString(costs.error().message);
        return;
    }
    derived_.costs = std::make_shared<const CostModel>(std::move(costs).value());
}

qint64 default_budget_bytes(const Device* device, const TrainingGraph* graph,
                            const MemoryReport* memory) {
    qint64 budget = device ? device->sram_bytes : 0;
    if (memory && memory->peak_bytes > 0)
        budget = budget > 0 ? std::min<qint64>(budget, memory->peak_bytes) : memory->peak_bytes;
    if (graph) budget = std::max<qint64>(budget, smallest_step_bytes(*graph));
    return budget;
}

}  // namespace tp
