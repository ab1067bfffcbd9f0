// Minimal argument parsing for the `trainplan` CLI: positionals and --key [value] options.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/result.h"

namespace tp::cli {

struct Args {
    std::vector<std::string> positional;
    std::map<std::string, std::string> options;  // "--plan" -> "sparse"
    std::set<std::string> flags;                 // "--json"

    bool flag(const std::string& f) const { return flags.count(f) != 0; }
    std::string option(const std::string& k, const std::string& fallback = {}) const {
        auto it = options.find(k);
        return it == options.end() ? fallback : it->second;
    }
};

// `valued` lists the options that take a value; `switches` the flags. Anything else is an
// error naming the argument.
Result<Args> parse_args(const std::vector<std::string>& argv, const std::set<std::string>& valued,
                        const std::set<std::string>& switches);

}  // namespace tp::cli
