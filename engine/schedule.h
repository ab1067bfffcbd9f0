// Schedule: the ordered steps one training step runs on the device (DESIGN.md "Schedules").
// Every step names a TrainingGraph node; page and free steps act on that node's output.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tp {

enum class StepOp { compute, recompute, page_out, page_in, free };
const char* step_op_name(StepOp op);
std::optional<StepOp> parse_step_op(const std::string& name);

struct Step {
    StepOp op = StepOp::compute;
    int node = 0;  // TrainingGraph node id
    bool operator==(const Step&) const = default;
};

struct Schedule {
    std::vector<Step> steps;
};

}  // namespace tp
