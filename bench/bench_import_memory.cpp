// How long it takes to get from a model file to its training-memory report.
// Run: ./build/bench/bench_import_memory  (README "Measured figures" quotes it).
#include <benchmark/benchmark.h>

#include <filesystem>

#include "engine/io/onnx_import.h"
#include "engine/memory_report.h"
#include "engine/training_graph.h"
#include "engine/zoo/zoo.h"

namespace {

void BM_ImportOnnx(benchmark::State& state, const std::string& file) {
    std::string path = std::string(TP_FIXTURES_DIR) + "/onnx/" + file;
    if (!std::filesystem::exists(path)) {
        state.SkipWithError(("fixture missing: " + path).c_str());
        return;
    }
    for (auto _ : state) {
        auto net = tp::import_onnx_file(path);
        if (!net) state.SkipWithError(net.error().message.c_str());
        benchmark::DoNotOptimize(net);
    }
}

void BM_BuildZoo(benchmark::State& state, const std::string& id) {
    for (auto _ : state) {
        auto net = tp::build_zoo_model(id);
        benchmark::DoNotOptimize(net);
    }
}

void BM_MemoryReport(benchmark::State& state, const std::string& id, const std::string& preset) {
    auto net = tp::build_zoo_model(id);
    auto plan = tp::make_preset(*net, preset);
    for (auto _ : state) {
        auto g = tp::derive_training_graph(*net, *plan);
        auto r = tp::store_all_memory(*g);
        benchmark::DoNotOptimize(r.peak_bytes);
    }
}

}  // namespace

BENCHMARK_CAPTURE(BM_ImportOnnx, resnet18, std::string("resnet18.onnx"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ImportOnnx, mobilenet_v2, std::string("mobilenet_v2_100.onnx"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_BuildZoo, resnet18, std::string("resnet18"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_BuildZoo, bert_tiny, std::string("bert-tiny"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_BuildZoo, mcunet, std::string("mcunet"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MemoryReport, resnet18_full, std::string("resnet18"), std::string("full"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MemoryReport, resnet18_tinytl_lb, std::string("resnet18"),
                  std::string("tinytl-lb"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MemoryReport, bert_tiny_full, std::string("bert-tiny"), std::string("full"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_MemoryReport, mcunet_sparse, std::string("mcunet"), std::string("sparse"))
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
