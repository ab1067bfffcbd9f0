// Builders of the individual zoo models (private to engine/zoo; use tp::build_zoo_model).
#pragma once

#include "engine/network.h"

namespace tp::zoo {

Result<Network> build_mobilenetv2_w035(bool with_weights);  // mobile_nets.cpp
Result<Network> build_mcunet_5fps(bool with_weights);       // mobile_nets.cpp
Result<Network> build_proxyless_w03(bool with_weights);     // mobile_nets.cpp
Result<Network> build_resnet18(bool with_weights);          // resnet.cpp
Result<Network> build_bert_tiny(bool with_weights);         // bert.cpp

}  // namespace tp::zoo
