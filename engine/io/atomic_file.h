// Atomic file writes: a temporary file beside the target, flushed, then renamed over it,
// so a crash or a full disk never leaves the user's file half-written.
#pragma once

#include <string>

#include "engine/result.h"

namespace tp {

Status write_file_atomically(const std::string& path, const std::string& bytes);
Result<std::string> read_file(const std::string& path);

}  // namespace tp
