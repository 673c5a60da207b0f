// nnc-bench: how fast is what nnc generates?
//
//   nnc-bench model.nn [--batch N] [--last-batch N] [--repeats N] [--threads N] [--json]
//   nnc-bench --gemm M,K,N [--repeats N] [--json]
//   nnc-bench --conv N,C,H,W,F,KH,KW,PAD [--threads T] [--json]
//   nnc-bench --data FILE.csv [--data-cache DIR] [--json]
//
// A model is compiled like `nnc --train` compiles its training step (front
// end, training graph, graph passes, lowering, LLVM -O<n>, ORC JIT; each
// phase timed), then the
// step and the inference kernel run on synthetic batches: warm-up, a
// calibrated number of iterations per timed run (about --min-time seconds),
// --repeats timed runs, median. --gemm times one matmul kernel. --data times
// reading a CSV (data_bench.cpp).
//
// --serve is for bench/run_bench.py, which interleaves nnc with its peers:
// after compiling, warming up and calibrating it prints the report as one
// JSON line, then answers each stdin line "NAME [STEPS]" (NAME = train,
// train_last, infer, gemm, forward, backward_data or backward_weights) with
// one timed run as a JSON line {"name": NAME, "steps": n, "sec": seconds per
// iteration}; "quit" or end of input ends it (after a last JSON line with
// the final report fields).
// Every report (--json, --serve's first line) names the host CPU as LLVM does
// ("host_cpu") and its widest vector registers ("host_vector_bits").
#include "bench.h"

#include "runtime/data_error.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <llvm/ADT/StringMap.h>
#include <llvm/ADT/StringRef.h>
#include <llvm/TargetParser/Host.h>

#include <iostream>
#include <new>
#include <sstream>

using namespace nnc::bench;

namespace {

Options parseOptions(int argc, char **argv) {
  Options o;
  CLI::App app{"nnc-bench: times nnc's compile, training step, inference and GEMM kernels"};
  app.add_option("model", o.modelPath, "model file (.nn)");
  std::string gemm;
  app.add_option("--gemm", gemm, "time one matmul [M,K] @ [K,N] instead of a model: M,K,N");
  std::string conv;
  app.add_option("--conv", conv,
                 "time one convolution's three passes instead (stride 1): N,C,H,W,F,KH,KW,PAD");
  app.add_option("--data", o.dataPath, "time reading this CSV instead (MB/s, peak RSS)");
  app.add_option("--data-cache", o.dataCache, "with --data: keep and reuse a data cache here");
  app.add_option("--batch", o.batch, "batch size (default: the model's batch_size)");
  app.add_option("--last-batch", o.lastBatch,
                 "also time the training step on this many rows (an epoch's partial last batch, "
                 "the same kernel): workload train_last");
  app.add_option("--repeats", o.repeats, "timed runs; the median is reported (default 5)");
  app.add_option("--threads", o.threads,
                 "threads the kernels may use (large matmuls and elementwise loops are split)");
  app.add_option("--min-time", o.minTime, "seconds per timed run (default 0.3)");
  app.add_option("--steps", o.steps, "iterations per timed run (default: calibrated)");
  app.add_option("--seed", o.seed, "seed of the synthetic data (default 1)");
  app.add_option("-O", o.optLevel,
                 "optimization level 0..3 as nnc's -O: the graph pipeline "
                 "and LLVM's level (default 2, nnc's default)");
  app.add_flag("--json", o.json, "print one JSON object instead of text");
  app.add_flag("--compile-only", o.compileOnly, "only compile the training step and report");
  app.add_flag("--no-infer", o.noInfer, "do not compile or time the inference kernel");
  app.add_flag("--serve", o.serve, "timed runs on request (for bench/run_bench.py)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    std::exit(app.exit(e));
  } catch (const CLI::ParseError &e) {
    std::fprintf(stderr, "nnc-bench: error: %s\n", e.what());
    std::exit(1);
  }
  auto usage = [](const std::string &msg) {
    std::fprintf(stderr, "nnc-bench: error: %s\n", msg.c_str());
    std::exit(1);
  };
  // "a,b,c" -> integers, or the usage error `what`.
  auto integers = [&](const std::string &text, const std::string &what) {
    std::vector<int64_t> out;
    std::stringstream ss(text);
    std::string part;
    while (std::getline(ss, part, ',')) {
      try {
        size_t used = 0;
        out.push_back(std::stoll(part, &used));
        if (used != part.size())
          throw std::invalid_argument(part);
      } catch (const std::exception &) {
        usage(what + ", got '" + text + "'");
      }
    }
    return out;
  };
  if (!gemm.empty()) {
    o.gemm = integers(gemm, "--gemm takes M,K,N (three positive integers)");
    if (o.gemm.size() != 3 || o.gemm[0] < 1 || o.gemm[1] < 1 || o.gemm[2] < 1)
      usage("--gemm takes M,K,N (three positive integers), got '" + gemm + "'");
  }
  if (!conv.empty())
    o.conv = integers(conv, "--conv takes N,C,H,W,F,KH,KW,PAD (integers)");
  if ((int)!o.gemm.empty() + (int)!o.conv.empty() + (int)!o.modelPath.empty() + (int)!o.dataPath.empty() != 1)
    usage("give a model file, --gemm M,K,N, --conv N,C,H,W,F,KH,KW,PAD or --data FILE.csv (one of them)");
  if (o.repeats < 1)
    usage(fmt::format("--repeats must be at least 1, got {}", o.repeats));
  constexpr int kMaxThreads = 1024; // as nnc --threads
  if (o.threads < 1 || o.threads > kMaxThreads)
    usage(fmt::format("--threads must be between 1 and {}, got {}", kMaxThreads, o.threads));
  if (o.batch < 0 || o.batch > (1 << 24))
    usage(fmt::format("--batch must be between 1 and {}, got {}", 1 << 24, o.batch));
  if (o.lastBatch < 0)
    usage(fmt::format("--last-batch must be positive, got {}", o.lastBatch));
  if (!(o.minTime > 0))
    usage("--min-time must be positive");
  if (o.steps < 0)
    usage("--steps must be positive");
  if (o.optLevel < 0 || o.optLevel > 3)
    usage(fmt::format("-O must be 0, 1, 2 or 3, got {}", o.optLevel));
  return o;
}

nlohmann::ordered_json summary(const Workload &w, const std::vector<double> &runs) {
  double med = median(runs), best = *std::min_element(runs.begin(), runs.end());
  nlohmann::ordered_json j;
  j["steps_per_run"] = w.steps;
  j["runs_ms"] = nlohmann::ordered_json::array();
  for (double t : runs)
    j["runs_ms"].push_back(t * 1e3);
  j["median_ms"] = med * 1e3;
  j["min_ms"] = best * 1e3;
  j["gflops"] = w.flop / med / 1e9;
  if (w.samples > 0)
    j["samples_per_s"] = w.samples / med;
  return j;
}

void printText(const nlohmann::ordered_json &r) {
  const auto &c = r["compile_ms"];
  if (r["mode"] == "gemm") {
    std::cout << fmt::format("nnc-bench gemm [{},{}] @ [{},{}], threads {}\n",
                             r["m"].get<int64_t>(), r["k"].get<int64_t>(), r["k"].get<int64_t>(),
                             r["n"].get<int64_t>(), r["threads_requested"].get<int>());
    std::cout << fmt::format("compile: {:.1f} ms\n", c["total"].get<double>());
  } else if (r["mode"] == "conv") {
    const auto &s = r["shape"];
    std::cout << fmt::format("nnc-bench conv N={} C={} {}x{} -> F={}, {}x{} kernel, padding {}, threads {}\n",
                             s["n"].get<int64_t>(), s["c"].get<int64_t>(), s["h"].get<int64_t>(),
                             s["w"].get<int64_t>(), s["f"].get<int64_t>(), s["kh"].get<int64_t>(),
                             s["kw"].get<int64_t>(), s["pad"].get<int64_t>(), r["threads_requested"].get<int>());
    std::cout << fmt::format("compile: {:.1f} ms\n", c["total"].get<double>());
  } else {
    std::cout << fmt::format("nnc-bench {} ({}), batch {}, threads {}\n",
                             r["model"].get<std::string>(), r["file"].get<std::string>(),
                             r["batch"].get<int64_t>(), r["threads_requested"].get<int>());
    std::cout << fmt::format(
        "compile, source -> JIT'd training step: {:.1f} ms (front end {:.1f}, training graph "
        "{:.1f}, graph passes {:.1f}, lowering {:.1f}, JIT compile() {:.1f}, lookup() {:.1f})\n",
        c["total"].get<double>(), c["front_end"].get<double>(), c["training_graph"].get<double>(),
        c["graph_passes"].get<double>(), c["lowering"].get<double>(),
        c["jit_compile"].get<double>(), c["jit_lookup"].get<double>());
    std::cout << fmt::format("params {}, FLOP per train step {:.4g} (6 x batch x weights), "
                             "step GEMMs {}\n",
                             r["params"].get<int64_t>(), r["flop_train_step"].get<double>(),
                             r["gemms"].size());
  }
  for (const char *name : {"train", "train_last", "infer", "gemm", "forward", "backward_data", "backward_weights"}) {
    if (!r.contains(name))
      continue;
    const auto &w = r[name];
    std::string what = std::string(name) == "train"        ? "train step"
                       : std::string(name) == "train_last" ? "train step, last batch"
                       : std::string(name) == "infer"      ? "inference"
                                                           : name;
    std::string rate = w.contains("samples_per_s")
                           ? fmt::format(", {:.0f} samples/s", w["samples_per_s"].get<double>())
                           : "";
    std::cout << fmt::format("{}: {:.4f} ms (median of {} runs x {}; min {:.4f}), {:.2f} "
                             "GFLOP/s{}\n",
                             what, w["median_ms"].get<double>(), w["runs_ms"].size(),
                             w["steps_per_run"].get<int64_t>(), w["min_ms"].get<double>(),
                             w["gflops"].get<double>(), rate);
  }
  if (r.contains("loss_last_step"))
    std::cout << fmt::format("loss after the last step: {:.6g}\n",
                             r["loss_last_step"].get<double>());
  if (r.contains("max_rel_error"))
    std::cout << fmt::format("max relative error (256 sampled entries): {:.2e}, {} the float32 "
                             "bound {:.2e}\n",
                             r["max_rel_error"].get<double>(),
                             r["result_ok"].get<bool>() ? "within" : "ABOVE",
                             r["error_bound"].get<double>());
}

// The CPU the JIT compiles for, as LLVM names it (e.g. "znver4", "skylake-avx512"), and
// the widest vector registers its host features allow, in bits (512: AVX-512F, 256: AVX,
// 128: SSE2/NEON, 0: none known). bench/run_bench.py puts both into its report.
void addHostCpu(nlohmann::ordered_json &r) {
  r["host_cpu"] = llvm::sys::getHostCPUName().str();
  auto f = llvm::sys::getHostCPUFeatures();
  auto has = [&f](const char *name) {
    auto it = f.find(name);
    return it != f.end() && it->second;
  };
  r["host_vector_bits"] = has("avx512f") ? 512
                          : has("avx")   ? 256
                          : has("sse2") || has("neon") ? 128
                                                       : 0;
}

int serve(Bench &b) {
  std::cout << b.report.dump() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream is(line);
    std::string name;
    int64_t steps = 0;
    is >> name >> steps;
    if (name.empty())
      continue;
    if (name == "quit")
      break;
    Workload *w = nullptr;
    for (Workload &x : b.workloads)
      if (x.name == name)
        w = &x;
    if (!w) {
      std::cout << nlohmann::ordered_json{{"error", "unknown workload " + name}}.dump()
                << std::endl;
      continue;
    }
    int64_t n = steps > 0 ? steps : w->steps;
    double sec = timeRun(w->run, n);
    std::cout << nlohmann::ordered_json{{"name", name}, {"steps", n}, {"sec", sec}}.dump()
              << std::endl;
  }
  nlohmann::ordered_json last = nlohmann::ordered_json::object();
  if (b.finish)
    b.finish(last);
  std::cout << last.dump() << std::endl;
  return 0;
}

int run(const Options &o) {
  if (!o.dataPath.empty())
    return runDataBench(o);
  std::unique_ptr<Bench> b = !o.conv.empty() ? compileConv(o) : o.gemm.empty() ? compileModel(o) : compileGemm(o);
  nlohmann::ordered_json &r = b->report;
  addHostCpu(r);
  if (o.compileOnly) {
    b->workloads.clear();
  }
  for (Workload &w : b->workloads)
    w.steps = o.steps > 0 ? o.steps : calibrate(w.run, o.minTime);
  if (o.serve)
    return serve(*b);
  for (Workload &w : b->workloads) {
    if (o.steps > 0)
      w.run(std::max<int64_t>(1, o.steps / 5)); // warm-up (calibrate() warms up otherwise)
    r[w.name] = summary(w, timeRuns(w.run, w.steps, o.repeats));
  }
  if (b->finish && !o.compileOnly)
    b->finish(r);
  if (o.json)
    std::cout << r.dump(2) << "\n";
  else
    printText(r);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options o = parseOptions(argc, argv);
  try {
    return run(o);
  } catch (const std::logic_error &e) {
    std::cerr << "nnc-bench: internal error: " << e.what() << "\n";
    return 2;
  } catch (const nnc::runtime::DataError &e) {
    std::cerr << e.what() << "\n"; // "file:row:col: error: ..." already
  } catch (const std::bad_alloc &) {
    std::cerr << "nnc-bench: error: out of memory; lower --batch or the --gemm sizes (M*K + K*N + "
                 "M*N floats must fit)\n";
  } catch (const std::exception &e) {
    std::string msg = e.what();
    if (!msg.empty() && msg.back() == '\n')
      std::cerr << msg; // front-end diagnostics, already formatted
    else
      std::cerr << "nnc-bench: error: " << msg << "\n";
  }
  return 1;
}
