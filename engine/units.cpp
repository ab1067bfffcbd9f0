#include "engine/units.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>

namespace tp {

std::string format_bytes(int64_t bytes) {
    char buf[64];
    double b = static_cast<double>(bytes);
    if (bytes < 1024)
        std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
    else if (bytes < 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
    else if (bytes < 1024LL * 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%.2f MiB", b / (1024.0 * 1024.0));
    else
        std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024.0 * 1024.0));
    return buf;
}

Result<int64_t> parse_bytes(const std::string& text) {
    const Error bad{
        "cannot read '" + text +
        "' as a size: use bytes or a number with K, KiB, KB, M, MiB, MB, G (e.g. 256KiB)"};
    size_t pos = 0;
    double value = 0.0;
    try {
        value = std::stod(text, &pos);
    } catch (...) {
        return bad;
    }
    std::string unit;
    for (size_t i = pos; i < text.size(); ++i)
        if (text[i] != ' ')
            unit += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
    double scale = 0.0;
    if (unit.empty() || unit == "B")
        scale = 1.0;
    else if (unit == "K" || unit == "KB" || unit == "KIB")
        scale = 1024.0;
    else if (unit == "M" || unit == "MB" || unit == "MIB")
        scale = 1024.0 * 1024.0;
    else if (unit == "G" || unit == "GB" || unit == "GIB")
        scale = 1024.0 * 1024.0 * 1024.0;
    if (scale == 0.0 || !(value >= 0.0) || value * scale > 9.0e18) return bad;
    return static_cast<int64_t>(std::llround(value * scale));
}

std::string format_count(int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

std::string format_seconds(double s) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3g s", s);
    return buf;
}

std::string format_macs(int64_t macs) {
    char buf[64];
    double m = static_cast<double>(macs);
    if (macs >= 1000000000)
        std::snprintf(buf, sizeof buf, "%.2f G", m / 1e9);
    else if (macs >= 1000000)
        std::snprintf(buf, sizeof buf, "%.1f M", m / 1e6);
    else if (macs >= 1000)
        std::snprintf(buf, sizeof buf, "%.0f k", m / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(macs));
    return buf;
}

}  // namespace tp
