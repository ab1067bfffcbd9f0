#include "app/studio/target_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>
#include <algorithm>

#include "app/studio/plan_document.h"
#include "engine/schedule_replay.h"
#include "solver/scheduler.h"
#include "views/board_picker.h"
#include "views/budget_editor.h"
#include "views/number_format.h"

namespace tp {

namespace {

QComboBox* comboOf(const QStringList& items, const QString& name, QWidget* parent) {
    auto* box = new QComboBox(parent);
    box->setObjectName(name);
    box->addItems(items);
    return box;
}

}  // namespace

TargetPanel::TargetPanel(PlanDocument* document, QWidget* parent)
    : QWidget(parent), doc_(document) {
    auto* layout = new QVBoxLayout(this);

    auto* boardBox = new QGroupBox(tr("Target board"), this);
    auto* boardLayout = new QVBoxLayout(boardBox);
    board_ = new BoardPicker(boardBox);
    board_->setObjectName(QStringLiteral("boardPicker"));
    boardLayout->addWidget(board_);
    layout->addWidget(boardBox);

    auto* budgetBox = new QGroupBox(tr("RAM budget and deadline"), this);
    auto* budgetLayout = new QVBoxLayout(budgetBox);
    budget_ = new BudgetEditor(budgetBox);
    budget_->setObjectName(QStringLiteral("budgetEditor"));
    budgetLayout->addWidget(budget_);
    layout->addWidget(budgetBox);

    auto* planBox = new QGroupBox(tr("Training step"), this);
    auto* form = new QFormLayout(planBox);
    QStringList presets;
    for (const std::string& p : preset_names()) presets << QString::fromStdString(p);
    preset_ = comboOf(presets, QStringLiteral("presetCombo"), planBox);
    preset_->setToolTip(tr("Apply a plan preset (one undoable edit); per-layer modes are set in "
                           "the Training plan table"));
    form->addRow(tr("Preset"), preset_);
    precision_ = comboOf({QStringLiteral("fp32"), QStringLiteral("int8")},
                         QStringLiteral("precisionCombo"), planBox);
    form->addRow(tr("Precision"), precision_);
    optimizer_ = comboOf({QStringLiteral("sgd"), QStringLiteral("sgd-momentum"),
                          QStringLiteral("adam")},
                         QStringLiteral("optimizerCombo"), planBox);
    form->addRow(tr("Optimizer"), optimizer_);
    memory_ = new QLabel(planBox);
    memory_->setObjectName(QStringLiteral("planMemoryLabel"));
    memory_->setWordWrap(true);
    memory_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(memory_);
    layout->addWidget(planBox);

    auto* solveBox = new QGroupBox(tr("Schedule"), this);
    auto* solveForm = new QFormLayout(solveBox);
    QStringList solvers;
    for (const std::string& s : scheduler_names()) solvers << QString::fromStdString(s);
    solver_ = comboOf(solvers, QStringLiteral("solverCombo"), solveBox);
    solver_->setToolTip(tr("milp: proven least energy (POET MILP on GLPK); the others are the "
                           "baselines to compare against"));
    solveForm->addRow(tr("Solver"), solver_);
    auto_ = new QCheckBox(tr("Re-solve after every edit"), solveBox);
    auto_->setObjectName(QStringLiteral("autoSolveCheck"));
    auto_->setChecked(true);
    solveForm->addRow(auto_);
    auto* buttons = new QHBoxLayout;
    solve_ = new QPushButton(tr("Solve"), solveBox);
    solve_->setObjectName(QStringLiteral("solveButton"));
    solve_->setToolTip(tr("Solve the schedule now (F5)"));
    solve_->setDefault(true);
    cancel_ = new QPushButton(tr("Cancel"), solveBox);
    cancel_->setObjectName(QStringLiteral("cancelSolveButton"));
    cancel_->setToolTip(tr("Stop the running solve; the best schedule so far is kept"));
    cancel_->setEnabled(false);
    compare_ = new QPushButton(tr("Compare boards…"), solveBox);
    compare_->setObjectName(QStringLiteral("compareButton"));
    compare_->setToolTip(tr("Solve this plan for every board at a range of budgets (F6)"));
    buttons->addWidget(solve_);
    buttons->addWidget(cancel_);
    solveForm->addRow(buttons);
    solveForm->addRow(compare_);
    layout->addWidget(solveBox);
    layout->addStretch(1);

    connect(solve_, &QPushButton::clicked, this, &TargetPanel::solveRequested);
    connect(cancel_, &QPushButton::clicked, this, &TargetPanel::cancelRequested);
    connect(compare_, &QPushButton::clicked, this, &TargetPanel::compareRequested);
    connect(auto_, &QCheckBox::toggled, this, &TargetPanel::autoSolveToggled);

    connect(board_, &BoardPicker::deviceChanged, this, [this](const QString& id) {
        if (syncing_) return;
        const QString problem = doc_->setDevice(id);
        if (!problem.isEmpty()) emit this->problem(problem);
    });
    connect(budget_, &BudgetEditor::budgetChanged, this, [this](qint64 bytes) {
        if (!syncing_) doc_->setBudget(bytes);
    });
    connect(budget_, &BudgetEditor::deadlineChanged, this, [this](std::optional<double> s) {
        if (!syncing_) doc_->setDeadline(s.value_or(0.0));
    });
    connect(preset_, &QComboBox::activated, this, [this](int index) {
        const QString problem = doc_->applyPreset(preset_->itemText(index));
        if (!problem.isEmpty()) emit this->problem(problem);
    });
    connect(precision_, &QComboBox::activated, this, [this](int index) {
        PlanDesign next = doc_->design();
        next.plan.precision = index == 1 ? Precision::int8 : Precision::fp32;
        doc_->edit(tr("Use %1").arg(precision_->itemText(index)), next);
    });
    connect(optimizer_, &QComboBox::activated, this, [this](int index) {
        PlanDesign next = doc_->design();
        next.plan.optimizer = index == 0   ? Optimizer::sgd
                              : index == 1 ? Optimizer::sgd_momentum
                                           : Optimizer::adam;
        doc_->edit(tr("Use %1").arg(optimizer_->itemText(index)), next);
    });
    connect(solver_, &QComboBox::activated, this,
            [this](int index) { doc_->setSolver(solver_->itemText(index)); });

    connect(doc_, &PlanDocument::designChanged, this, &TargetPanel::syncFromDocument);
    refreshBoards();
}

bool TargetPanel::autoSolve() const { return auto_->isChecked(); }

void TargetPanel::setAutoSolve(bool on) { auto_->setChecked(on); }

void TargetPanel::setSolving(bool solving) {
    solve_->setEnabled(!solving);
    cancel_->setEnabled(solving);
}

void TargetPanel::refreshBoards() {
    syncing_ = true;
    board_->setLibrary(doc_->deviceLibrary());
    syncing_ = false;
    syncFromDocument();
}

void TargetPanel::syncFromDocument() {
    syncing_ = true;
    const PlanDesign& d = doc_->design();
    board_->setCurrentDevice(d.deviceId);
    const DerivedPlan& derived = doc_->derived();
    const Device* device = doc_->device();
    const qint64 sram = device ? device->sram_bytes : 0;
    budget_->setSramBytes(sram);
    if (derived.graph && derived.memory) {
        const qint64 smallest = smallest_step_bytes(*derived.graph);
        const qint64 top = std::max<qint64>({derived.memory->peak_bytes, sram, d.budgetBytes});
        budget_->setRange(std::min<qint64>(smallest, d.budgetBytes), top + top / 4);
        memory_->setText(tr("Store-all peak %1 · smallest feasible %2 · %3 trained parameters")
                             .arg(formatBytes(derived.memory->peak_bytes),
                                  formatBytes(smallest),
                                  formatCount(derived.memory->trained_params)));
    } else {
        memory_->setText(derived.problem);
    }
    budget_->setBudgetBytes(d.budgetBytes);
    budget_->setDeadline(d.deadlineSeconds > 0 ? std::optional<double>(d.deadlineSeconds)
                                               : std::nullopt);
    const int preset = preset_->findText(QString::fromStdString(d.plan.preset));
    preset_->setCurrentIndex(preset);
    precision_->setCurrentIndex(d.plan.precision == Precision::int8 ? 1 : 0);
    optimizer_->setCurrentIndex(d.plan.optimizer == Optimizer::sgd            ? 0
                                : d.plan.optimizer == Optimizer::sgd_momentum ? 1
                                                                              : 2);
    solver_->setCurrentIndex(solver_->findText(d.solver));
    syncing_ = false;
}

}  // namespace tp
