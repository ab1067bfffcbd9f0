#include "app/cli/cli_args.h"

namespace tp::cli {

Result<Args> parse_args(const std::vector<std::string>& argv, const std::set<std::string>& valued,
                        const std::set<std::string>& switches) {
    Args a;
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& s = argv[i];
        if (s.rfind("--", 0) != 0) {
            a.positional.push_back(s);
            continue;
        }
        std::string key = s, value;
        bool inline_value = false;
        if (auto eq = s.find('='); eq != std::string::npos) {
            key = s.substr(0, eq);
            value = s.substr(eq + 1);
            inline_value = true;
        }
        if (switches.count(key) && !inline_value) {
            a.flags.insert(key);
        } else if (valued.count(key)) {
            if (!inline_value) {
                if (i + 1 >= argv.size()) return Error{"option " + key + " needs a value"};
                value = argv[++i];
            }
            a.options[key] = value;
        } else {
            return Error{"unknown option '" + s + "' (see trainplan --help)"};
        }
    }
    return a;
}

}  // namespace tp::cli
