// main_host.cpp -- host test of a TrainPlan export.
//
//   trainplan_host_test [--steps N] [--lr X] [--dump-params FILE]
//
// (a) fills the arena with 0xA5, tp_init() with the RAM storage hooks, runs N training steps of the
//     synthetic task (tp_synthetic.h) and measures the arena high-water mark (1 + the highest index
//     whose byte differs from the fill);
// (b) repeats with the fill 0x5A (and a different fill of the storage buffer); the arena use is the
//     larger of the two marks, and the trained parameters of both runs must be bit-identical;
// (c) when the export has the store-all reference (TP_HAS_REFERENCE, trainplan_reference.cpp) runs
//     it for N steps and compares every parameter bit for bit with run (a);
// (d) prints machine-readable lines (`key value`) and last `result PASS` or `result FAIL <reason>`.
//     Parameter names in these lines are written as JSON strings (quoted, escaped).
//
// Exit status: 0 on PASS, 1 on FAIL, 2 on a usage error.
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "tp_storage_ram.h"
#include "tp_synthetic.h"
#include "trainplan_model.h"
#ifdef TP_HAS_REFERENCE
#include "trainplan_reference.h"
#endif

namespace {

struct Options {
    long steps = TP_STEPS_DEFAULT;
    float lr = TP_LEARNING_RATE_DEFAULT;
    const char* dump_path = nullptr;
};

// The functions of one model (tp_ or tpref_), so the same runner drives both.
struct Api {
    const char* name;
    void (*set_learning_rate)(float);
    int (*train_step)(const float*, const int32_t*, float*);
    uint32_t (*param_count)(void);
    const char* (*param_name)(uint32_t);
    uint32_t (*param_elements)(uint32_t);
    void (*param_read)(uint32_t, float*);
};

struct Run {
    std::vector<float> losses;
    std::vector<std::vector<float>> params;
    double step_time_us = 0.0;
    int error = 0;          // nonzero: a train step returned this
    long error_step = -1;
};

const Api kModel = {"tp", tp_set_learning_rate, tp_train_step, tp_param_count,
                    tp_param_name, tp_param_elements, tp_param_read};

// Calls init(storage) or init() -- whichever the declaration takes.
template <typename F>
void call_init(F init, const tp_storage* storage) {
    if constexpr (std::is_invocable_v<F, const tp_storage*>) {
        init(storage);
    } else {
        init();
    }
}

void usage(const char* argv0) {
    std::fprintf(stderr, "usage: %s [--steps N] [--lr X] [--dump-params FILE]\n", argv0);
}

bool parse_args(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--steps" && has_value) {
            char* end = nullptr;
            const long v = std::strtol(argv[++i], &end, 10);
            if (end == argv[i] || *end != '\0' || v < 1 || v > 100000000L) return false;
            o.steps = v;
        } else if (a == "--lr" && has_value) {
            char* end = nullptr;
            const float v = std::strtof(argv[++i], &end);
            if (end == argv[i] || *end != '\0' || !std::isfinite(v)) return false;
            o.lr = v;
        } else if (a == "--dump-params" && has_value) {
            o.dump_path = argv[++i];
        } else {
            return false;
        }
    }
    return true;
}

// 1 + the highest index whose byte differs from `fill` (0 when the arena is untouched).
uint32_t high_water(const uint8_t* arena, uint32_t bytes, uint8_t fill) {
    for (uint32_t i = bytes; i > 0; --i) {
        if (arena[i - 1] != fill) return i;
    }
    return 0;
}

std::vector<std::vector<float>> read_params(const Api& api) {
    std::vector<std::vector<float>> out(api.param_count());
    for (uint32_t i = 0; i < out.size(); ++i) {
        out[i].assign(api.param_elements(i), 0.0f);
        if (!out[i].empty()) api.param_read(i, out[i].data());
    }
    return out;
}

// N steps of the synthetic task; the caller has initialised the model.
Run train(const Api& api, const Options& o) {
    Run run;
    std::vector<float> samples(static_cast<size_t>(TP_BATCH) * TP_SAMPLE_ELEMENTS);
    std::vector<int32_t> labels(TP_BATCH);
    api.set_learning_rate(o.lr);
    double total_us = 0.0;
    for (long s = 0; s < o.steps; ++s) {
        tp_synthetic_batch(static_cast<uint32_t>(s), samples.data(), labels.data());
        float loss = NAN;
        const auto t0 = std::chrono::steady_clock::now();
        const int rc = api.train_step(samples.data(), labels.data(), &loss);
        const auto t1 = std::chrono::steady_clock::now();
        total_us += std::chrono::duration<double, std::micro>(t1 - t0).count();
        if (rc != 0) {
            run.error = rc;
            run.error_step = s;
            break;
        }
        run.losses.push_back(loss);
    }
    run.step_time_us = run.losses.empty() ? 0.0 : total_us / static_cast<double>(run.losses.size());
    run.params = read_params(api);
    return run;
}

bool bit_identical(const std::vector<std::vector<float>>& a,
                   const std::vector<std::vector<float>>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i].size() != b[i].size()) return false;
        if (!a[i].empty() && std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0)
            return false;
    }
    return true;
}

void json_string(std::FILE* f, const char* s) {
    std::fputc('"', f);
    for (const unsigned char* p = reinterpret_cast<const unsigned char*>(s ? s : ""); *p; ++p) {
        switch (*p) {
            case '"': std::fputs("\\\"", f); break;
            case '\\': std::fputs("\\\\", f); break;
            case '\b': std::fputs("\\b", f); break;
            case '\f': std::fputs("\\f", f); break;
            case '\n': std::fputs("\\n", f); break;
            case '\r': std::fputs("\\r", f); break;
            case '\t': std::fputs("\\t", f); break;
            default:
                if (*p < 0x20 || *p == 0x7f) {
                    std::fprintf(f, "\\u%04x", static_cast<unsigned>(*p));
                } else {
                    std::fputc(*p, f);  // UTF-8 bytes pass through unchanged
                }
        }
    }
    std::fputc('"', f);
}

// %.9g round-trips a float; JSON has no NaN/Infinity, those are written as null.
void json_float(std::FILE* f, float v) {
    if (std::isfinite(v)) {
        std::fprintf(f, "%.9g", static_cast<double>(v));
    } else {
        std::fputs("null", f);
    }
}

bool dump_params(const char* path, const Api& api, const Run& run) {
    std::FILE* f = std::fopen(path, "w");
    if (!f) return false;
    std::fputs("{\"loss\": [", f);
    for (size_t i = 0; i < run.losses.size(); ++i) {
        if (i) std::fputs(", ", f);
        json_float(f, run.losses[i]);
    }
    std::fputs("],\n \"params\": {", f);
    for (size_t i = 0; i < run.params.size(); ++i) {
        std::fputs(i ? ",\n  " : "\n  ", f);
        json_string(f, api.param_name(static_cast<uint32_t>(i)));
        std::fputs(": [", f);
        const std::vector<float>& p = run.params[i];
        for (size_t j = 0; j < p.size(); ++j) {
            if (j) std::fputs(", ", f);
            json_float(f, p[j]);
        }
        std::fputc(']', f);
    }
    std::fputs("\n }\n}\n", f);
    const bool ok = std::ferror(f) == 0;
    return std::fclose(f) == 0 && ok;
}

// FNV-1a 32 of the bits of all parameters (main_device.cpp prints the same hash).
uint32_t params_fnv1a(const std::vector<std::vector<float>>& params) {
    uint32_t h = 2166136261u;
    for (const std::vector<float>& p : params) {
        const unsigned char* b = reinterpret_cast<const unsigned char*>(p.data());
        for (size_t i = 0; i < p.size() * sizeof(float); ++i) {
            h ^= b[i];
            h *= 16777619u;
        }
    }
    return h;
}

void print_losses(const Run& run) {
    for (size_t k = 0; k < run.losses.size(); ++k) {
        std::printf("step %zu loss %.6f\n", k, static_cast<double>(run.losses[k]));
    }
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    if (!parse_args(argc, argv, opt)) {
        usage(argv[0]);
        return 2;
    }
    std::printf("model %s\n", TP_MODEL_NAME);
    std::printf("steps %ld\n", opt.steps);
    std::printf("learning_rate %.9g\n", static_cast<double>(opt.lr));

    uint8_t* const arena = tp_arena();
    const uint32_t arena_bytes = static_cast<uint32_t>(TP_ARENA_BYTES);
    const tp_storage storage = tp_ram_storage();
    std::string failure;

    // (a) fill 0xA5.
    std::memset(arena, 0xA5, arena_bytes);
    tp_ram_storage_fill(0xA5);
    tp_ram_storage_reset_counters();
    tp_init(&storage);
    const Run run_a = train(kModel, opt);
    const uint32_t used_a = high_water(arena, arena_bytes, 0xA5);
    const uint64_t paged_out = tp_ram_storage_bytes_written();
    const uint64_t paged_in = tp_ram_storage_bytes_read();
    print_losses(run_a);
    if (run_a.error != 0) {
        failure = "tp_train_step returned " + std::to_string(run_a.error) + " at step " +
                  std::to_string(run_a.error_step);
    }
    if (opt.dump_path && !dump_params(opt.dump_path, kModel, run_a)) {
        std::fprintf(stderr, "cannot write %s\n", opt.dump_path);
        if (failure.empty()) failure = std::string("cannot write ") + opt.dump_path;
    }

    // (b) fill 0x5A.
    std::memset(arena, 0x5A, arena_bytes);
    tp_ram_storage_fill(0x5A);
    tp_init(&storage);
    const Run run_b = train(kModel, opt);
    const uint32_t used_b = high_water(arena, arena_bytes, 0x5A);
    const uint32_t arena_used = used_a > used_b ? used_a : used_b;
    const bool repeat_identical = run_b.error == run_a.error && run_b.losses.size() == run_a.losses.size() &&
                                  (run_a.losses.empty() ||
                                   std::memcmp(run_a.losses.data(), run_b.losses.data(),
                                               run_a.losses.size() * sizeof(float)) == 0) &&
                                  bit_identical(run_a.params, run_b.params);

    // (c) the store-all reference.
    const char* store_all = "n/a";
#ifdef TP_HAS_REFERENCE
    {
        const Api ref = {"tpref", tpref_set_learning_rate, tpref_train_step, tpref_param_count,
                         tpref_param_name, tpref_param_elements, tpref_param_read};
        tp_ram_storage_fill(0x00);
        call_init(tpref_init, &storage);
        const Run run_r = train(ref, opt);
        bool same = run_r.error == 0 && bit_identical(run_a.params, run_r.params);
        store_all = same ? "1" : "0";
        if (!same) {
            if (run_r.error != 0) {
                std::printf("store_all_error tpref_train_step returned %d at step %ld\n", run_r.error,
                            run_r.error_step);
            } else if (run_r.params.size() != run_a.params.size()) {
                std::printf("store_all_param_count %zu vs %zu\n", run_r.params.size(),
                            run_a.params.size());
            } else {
                uint64_t differing = 0;
                double max_abs = 0.0;
                for (size_t i = 0; i < run_a.params.size(); ++i) {
                    const std::vector<float>& p = run_a.params[i];
                    const std::vector<float>& q = run_r.params[i];
                    if (p.size() != q.size()) {
                        std::fputs("store_all_shape_mismatch ", stdout);
                        json_string(stdout, kModel.param_name(static_cast<uint32_t>(i)));
                        std::printf(" %zu vs %zu\n", p.size(), q.size());
                        continue;
                    }
                    uint64_t d_here = 0;
                    for (size_t j = 0; j < p.size(); ++j) {
                        if (std::memcmp(&p[j], &q[j], sizeof(float)) != 0) {
                            ++d_here;
                            const double d = std::fabs(static_cast<double>(p[j]) - static_cast<double>(q[j]));
                            if (!(d <= max_abs)) max_abs = d;  // NaN propagates
                        }
                    }
                    if (d_here) {
                        std::fputs("store_all_param_diff ", stdout);
                        json_string(stdout, kModel.param_name(static_cast<uint32_t>(i)));
                        std::printf(" %" PRIu64 "\n", d_here);
                    }
                    differing += d_here;
                }
                std::printf("store_all_differing_elements %" PRIu64 "\n", differing);
                std::printf("store_all_max_abs_diff %.9g\n", max_abs);
            }
        }
    }
#endif

    // (d) summary.
    const float loss_first = run_a.losses.empty() ? NAN : run_a.losses.front();
    const float loss_last = run_a.losses.empty() ? NAN : run_a.losses.back();
    bool losses_finite = !run_a.losses.empty();
    for (float l : run_a.losses) losses_finite = losses_finite && std::isfinite(l);

    std::printf("storage_bytes %lu\n", static_cast<unsigned long>(TP_STORAGE_BYTES));
    std::printf("storage_written_bytes %" PRIu64 "\n", paged_out);
    std::printf("storage_read_bytes %" PRIu64 "\n", paged_in);
    std::printf("arena_bytes %lu\n", static_cast<unsigned long>(TP_ARENA_BYTES));
    std::printf("arena_used_bytes %lu\n", static_cast<unsigned long>(arena_used));
    std::printf("repeat_identical %d\n", repeat_identical ? 1 : 0);
    std::printf("store_all_identical %s\n", store_all);
    std::printf("loss_first %.6f\n", static_cast<double>(loss_first));
    std::printf("loss_last %.6f\n", static_cast<double>(loss_last));
    std::printf("step_time_us %.3f\n", run_a.step_time_us);
    uint32_t last_bits = 0;
    std::memcpy(&last_bits, &loss_last, sizeof(last_bits));
    std::printf("loss_last_bits %08" PRIx32 "\n", last_bits);
    std::printf("params_fnv1a %08" PRIx32 "\n", params_fnv1a(run_a.params));

    if (failure.empty() && arena_used > arena_bytes) failure = "arena overflow";
    if (failure.empty() && !repeat_identical) failure = "repeat runs differ";
    if (failure.empty() && std::strcmp(store_all, "0") == 0) failure = "store-all reference differs";
    if (failure.empty() && !losses_finite) failure = "non-finite loss";
    if (failure.empty() && !(loss_last < loss_first)) {
        failure = opt.steps < 2 ? "loss did not fall (needs --steps >= 2)" : "loss did not fall";
    }
    if (failure.empty()) {
        std::printf("result PASS\n");
        return 0;
    }
    std::printf("result FAIL %s\n", failure.c_str());
    return 1;
}
