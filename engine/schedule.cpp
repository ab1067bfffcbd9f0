#include "engine/schedule.h"

namespace tp {

const char* step_op_name(StepOp op) {
    switch (op) {
        case StepOp::compute:
            return "compute";
        case StepOp::recompute:
            return "recompute";
        case StepOp::page_out:
            return "page_out";
        case StepOp::page_in:
            return "page_in";
        case StepOp::free:
            return "free";
    }
    return "compute";
}

std::optional<StepOp> parse_step_op(const std::string& name) {
    for (StepOp op :
         {StepOp::compute, StepOp::recompute, StepOp::page_out, StepOp::page_in, StepOp::free})
        if (name == step_op_name(op)) return op;
    return std::nullopt;
}

}  // namespace tp
