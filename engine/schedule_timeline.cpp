#include "engine/schedule_timeline.h"

#include <algorithm>

namespace tp {

namespace {

constexpr uint8_t kResident = 1;
constexpr uint8_t kStored = 2;
constexpr int kActionShift = 2;

uint8_t action_bits(StepOp op) {
    return static_cast<uint8_t>((static_cast<int>(op) + 1) << kActionShift);
}

uint8_t cell_bits(const ScheduleTimeline& t, int node, int step) {
    if (node < 0 || node >= t.nodes || step < 0 || step >= t.steps) return 0;
    return t.cells[static_cast<size_t>(step) * static_cast<size_t>(t.nodes) +
                   static_cast<size_t>(node)];
}

}  // namespace

const char* cell_state_name(CellState s) {
    switch (s) {
        case CellState::empty:
            return "empty";
        case CellState::resident:
            return "resident";
        case CellState::stored:
            return "stored";
        case CellState::resident_and_stored:
            return "resident and stored";
        case CellState::compute:
            return "compute";
        case CellState::recompute:
            return "recompute";
        case CellState::page_out:
            return "page out";
        case CellState::page_in:
            return "page in";
    }
    return "?";
}

CellState ScheduleTimeline::at(int node, int step) const {
    const uint8_t bits = cell_bits(*this, node, step);
    const int action = bits >> kActionShift;
    if (action > 0) {
        switch (static_cast<StepOp>(action - 1)) {
            case StepOp::compute:
                return CellState::compute;
            case StepOp::recompute:
                return CellState::recompute;
            case StepOp::page_out:
                return CellState::page_out;
            case StepOp::page_in:
                return CellState::page_in;
            case StepOp::free:
                break;  // shows where the output lives after the free
        }
    }
    const bool in_ram = bits & kResident, in_storage = bits & kStored;
    if (in_ram && in_storage) return CellState::resident_and_stored;
    if (in_ram) return CellState::resident;
    if (in_storage) return CellState::stored;
    return CellState::empty;
}

bool ScheduleTimeline::resident(int node, int step) const {
    return cell_bits(*this, node, step) & kResident;
}

bool ScheduleTimeline::stored(int node, int step) const {
    return cell_bits(*this, node, step) & kStored;
}

bool ScheduleTimeline::acts_on(int node, int step) const {
    return (cell_bits(*this, node, step) >> kActionShift) != 0;
}

int64_t ScheduleTimeline::resident_bytes(int step) const {
    int64_t sum = 0;
    for (int n = 0; n < nodes; ++n)
        if (resident(n, step)) sum += node_bytes[static_cast<size_t>(n)];
    return sum;
}

ScheduleTimeline build_schedule_timeline(const TrainingGraph& graph, const Schedule& schedule) {
    ScheduleTimeline t;
    t.nodes = static_cast<int>(graph.nodes.size());
    t.steps = static_cast<int>(schedule.steps.size());
    t.persistent_bytes = graph.persistent_bytes();
    for (const TrainingNode& node : graph.nodes) {
        t.node_bytes.push_back(node.bytes);
        t.workspace_bytes.push_back(node.workspace_bytes);
    }
    const size_t width = graph.nodes.size();
    t.cells.assign(width * schedule.steps.size(), 0);
    std::vector<uint8_t> state(width, 0);  // residency bits carried from step to step
    for (size_t s = 0; s < schedule.steps.size(); ++s) {
        const Step& step = schedule.steps[s];
        t.step_ops.push_back(step.op);
        t.acting_nodes.push_back(step.node);
        const bool known = step.node >= 0 && static_cast<size_t>(step.node) < width;
        if (known) {
            uint8_t& bits = state[static_cast<size_t>(step.node)];
            switch (step.op) {
                case StepOp::compute:
                case StepOp::recompute:
                case StepOp::page_in:
                    bits |= kResident;
                    break;
                case StepOp::page_out:
                    bits |= kStored;  // storage only ever grows, as in the replay
                    break;
                case StepOp::free:
                    bits &= static_cast<uint8_t>(~kResident);
                    break;
            }
        }
        uint8_t* row = t.cells.data() + s * width;
        std::copy(state.begin(), state.end(), row);
        if (known) row[static_cast<size_t>(step.node)] |= action_bits(step.op);
    }
    return t;
}

}  // namespace tp
