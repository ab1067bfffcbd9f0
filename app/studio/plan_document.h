// PlanDocument: the design being edited in the studio — the network, its training plan, the
// target board, the RAM budget and deadline, the solver — with every edit an undoable command
// on one QUndoStack. What follows from the design (the TrainingGraph, its store-all
// MemoryReport, the board's CostModel) is derived by the engine after each change; the
// document never computes a domain number itself.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <memory>
#include <optional>

#include "engine/cost_model.h"
#include "engine/device.h"
#include "engine/memory_report.h"
#include "engine/network.h"
#include "engine/training_graph.h"
#include "engine/training_plan.h"

class QUndoStack;

namespace tp {

// The undoable part of a design: plain values, compared to skip no-op edits.
struct PlanDesign {
    TrainingPlan plan;
    QString deviceId;
    qint64 budgetBytes = 0;
    double deadlineSeconds = 0.0;  // 0: none
    QString solver = QStringLiteral("milp");
    bool operator==(const PlanDesign&) const = default;
};

// Everything derived from one design, shared read-only with workers and views.
struct DerivedPlan {
    std::shared_ptr<const TrainingGraph> graph;  // null when the plan does not derive
    std::shared_ptr<const MemoryReport> memory;
    std::shared_ptr<const CostModel> costs;  // null without a known board
    QString problem;                         // why graph or costs are missing, for the user
};

class PlanDocument : public QObject {
    Q_OBJECT

  public:
    explicit PlanDocument(QObject* parent = nullptr);
    ~PlanDocument() override;

    // The boards designs may target. Replacing the library re-derives the costs.
    void setDeviceLibrary(DeviceLibrary library);
    const DeviceLibrary& deviceLibrary() const { return library_; }

    // Starts a new design over `network` (the undo history is cleared; not an edit). A design
    // without a budget (0) gets default_budget_bytes().
    void reset(std::shared_ptr<const Network> network, const QString& modelSpec,
               const PlanDesign& design);
    const std::shared_ptr<const Network>& network() const { return network_; }
    QString modelSpec() const { return modelSpec_; }
    const PlanDesign& design() const { return design_; }
    const DerivedPlan& derived() const { return derived_; }
    const Device* device() const;  // null when the design's board is not in the library

    QUndoStack* undoStack() const { return undo_; }
    bool isModified() const;  // edits since the last markSaved() / reset()
    void markSaved();

    // Edits: each pushes one undoable command (consecutive budget or deadline edits merge into
    // one), unless it changes nothing. Errors (an unknown layer, preset or board) are returned
    // for the status bar and change nothing.
    QString setLayerPlan(const QStringList& ops, const LayerPlan& layer);
    QString setAdapter(const QString& block, bool on);
    QString applyPreset(const QString& preset);
    QString setDevice(const QString& deviceId);
    void setBudget(qint64 bytes);
    void setDeadline(double seconds);  // 0 clears it
    void setSolver(const QString& solver);

    // Applies `design` as one undoable edit named `text`: the primitive behind every edit.
    void edit(const QString& text, const PlanDesign& design, int mergeId = -1);

  signals:
    void networkChanged();  // reset(): a different network
    void designChanged();   // any change of design(), including undo and redo

  private:
    friend class DesignCommand;
    void apply(const PlanDesign& design);  // sets, re-derives, signals
    void derive();

    DeviceLibrary library_;
    std::shared_ptr<const Network> network_;
    QString modelSpec_;
    PlanDesign design_;
    DerivedPlan derived_;
    QUndoStack* undo_;
};

// A default budget for a new design: the board's SRAM, kept between the plan's smallest
// feasible budget and its store-all peak (above that, more RAM buys nothing).
qint64 default_budget_bytes(const Device* device, const TrainingGraph* graph,
                            const MemoryReport* memory);

}  // namespace tp
