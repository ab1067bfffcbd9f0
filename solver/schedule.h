// Schedule: the ordered steps one training step runs on the device.
#pragma once

#include <string>
#include <vector>

namespace tp {

enum class StepOp { compute, recompute, page_out, page_in, free };
const char* step_op_name(StepOp op);

struct Step {
    StepOp op = StepOp::compute;
    int node = 0;  // TrainingGraph node id
    bool operator==(const Step&) const = default;
};

struct Schedule {
    std::vector<Step> steps;
};

}  // namespace tp
