// Human-readable sizes and counts for text reports (JSON always carries exact integers).
#pragma once

#include <cstdint>
#include <string>

#include "engine/result.h"

namespace tp {

std::string format_bytes(int64_t bytes);  // "812 B", "183.2 KiB", "4.50 MiB"
// "262144", "256KiB", "256 KB", "1.5MiB", "320K": K/KB/KiB = 1024 bytes, M/MB/MiB = 1024², G =
// 1024³ (board datasheets say "KB" for binary kilobytes). An Error names the text it could not
// read.
Result<int64_t> parse_bytes(const std::string& text);
std::string format_count(int64_t n);    // "11,689,512"
std::string format_macs(int64_t macs);  // "1.82 G", "12.8 M", "950 k"
std::string format_seconds(double s);   // "10 s", "0.25 s", "1.5 s"

}  // namespace tp
