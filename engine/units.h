// Human-readable sizes and counts for text reports (JSON always carries exact integers).
#pragma once

#include <cstdint>
#include <string>

namespace tp {

std::string format_bytes(int64_t bytes);  // "812 B", "183.2 KiB", "4.50 MiB"
std::string format_count(int64_t n);      // "11,689,512"
std::string format_macs(int64_t macs);    // "1.82 G", "12.8 M", "950 k"

}  // namespace tp
