// nnc-opt: the graph IR optimizer driver, in the spirit of LLVM opt.
//   nnc-opt [file.ir | -] [-O0..-O3] [-<pass> ...] [-o out.ir] [--print-before=P]
//           [--print-after=P] [--print-after-all] [--time-passes] [--stats]
// Reads IR text (stdin for '-' or no file), verifies it, runs the pipeline of
// -O<n> (if given) then the passes of ir/passes.def in command-line order,
// verifying after each, and prints the result. On any error: a located
// message on stderr, exit 1, no output.
#include "ir/parser.h"
#include "ir/pass_manager.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "support/output_files.h"
#include "support/spelling.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

using namespace nnc;

namespace {

struct Options {
  std::string input = "-";
  std::string output = "-";
  bool printAfterAll = false;
  std::vector<std::string> printBefore, printAfter;
  bool timePasses = false;
  bool stats = false;
  bool allowReassociation = false;
  bool paramsAreConstant = false;
  std::vector<std::string> passes;
};

int fail(const std::string &message) {
  std::cerr << "nnc-opt: error: " << message << "\n";
  return 1;
}

std::string passHelp() {
  std::string s = "Passes (run in command-line order):\n";
  for (const ir::PassInfo &p : ir::allPasses())
    s += fmt::format("  -{:<18} {}\n", p.name, p.description);
  s += "Optimization levels (a pipeline, run before the passes named):\n";
  for (int level = 0; level <= 3; ++level) {
    std::string names;
    for (const std::string &p : ir::optimizationPipeline(level))
      names += (names.empty() ? "" : " ") + p;
    s += fmt::format("  -O{:<17} {}\n", level, names.empty() ? "(none)" : names);
  }
  return s;
}

/// Takes the pass flags (-name or --name) out of argv, LLVM style; the rest
/// goes to CLI11. Returns false (after printing) on an unknown single-dash word.
bool extractPasses(int argc, char **argv, Options &o, std::vector<std::string> &rest) {
  std::vector<std::string> names;
  for (const ir::PassInfo &p : ir::allPasses())
    names.emplace_back(p.name);
  rest.emplace_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string bare = a.substr(a.rfind("--", 0) == 0 ? 2 : a.rfind('-', 0) == 0 ? 1 : 0);
    if (bare.size() < a.size() && ir::findPass(bare)) {
      o.passes.push_back(bare);
    } else if (a.size() == 3 && a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3') {
      for (const std::string &p : ir::optimizationPipeline(a[2] - '0'))
        o.passes.push_back(p);
    } else if (a.rfind("-print-", 0) == 0 || a == "-time-passes" || a == "-stats") {
      rest.push_back("-" + a); // LLVM's single-dash spelling
    } else if (a.size() >= 2 && a[0] == '-' && a[1] == 'O' && a != "-O") {
      fail(fmt::format("unknown optimization level '{}': use -O0, -O1, -O2 or -O3", a));
      return false;
    } else if (a.size() > 2 && a[0] == '-' && a[1] != '-' && a[1] != 'o' && a[1] != 'h') {
      fail(fmt::format("unknown pass '{}'{}", a, support::didYouMean(bare, names)));
      return false;
    } else {
      rest.push_back(a);
    }
  }
  return true;
}

/// IR text of at most 256 MiB (a graph of millions of nodes), read no further:
/// a device or a pipe that never ends is refused as soon as it is too long.
constexpr size_t kMaxInputBytes = size_t(256) << 20;

/// "" after reading `path` ("-": stdin) into `text`, else why not.
std::string readInput(const std::string &path, std::string &text) {
  std::ifstream file;
  std::istream *in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file)
      return fmt::format("cannot read '{}'", path);
    in = &file;
  }
  char buf[65536];
  while (in->read(buf, sizeof buf) || in->gcount() > 0) {
    text.append(buf, (size_t)in->gcount());
    if (text.size() > kMaxInputBytes)
      return fmt::format("'{}' is larger than the {} MiB of IR text nnc-opt reads", path,
                         kMaxInputBytes >> 20);
  }
  if (in->bad())
    return fmt::format("cannot read '{}'", path);
  return "";
}

int run(const Options &o) {
  std::set<std::string> named(o.printBefore.begin(), o.printBefore.end());
  named.insert(o.printAfter.begin(), o.printAfter.end());
  if (std::string bad = ir::checkPassNames(named); !bad.empty())
    return fail(bad);
  if (o.output != "-") {
    try { // refused before the work
      support::checkWritable(o.output);
    } catch (const support::OutputError &e) {
      std::cerr << e.what() << "\n";
      return 1;
    }
  }
  std::string text;
  if (std::string why = readInput(o.input, text); !why.empty())
    return fail(why);
  std::string error;
  std::unique_ptr<ir::Graph> g = ir::parseGraph(text, o.input == "-" ? "<stdin>" : o.input, error);
  if (!g) {
    std::cerr << error << "\n";
    return 1;
  }
  ir::PassInstruments inst;
  inst.printBefore = {o.printBefore.begin(), o.printBefore.end()};
  inst.printAfter = {o.printAfter.begin(), o.printAfter.end()};
  inst.printAfterAll = o.printAfterAll;
  inst.timePasses = o.timePasses;
  ir::PassManager pm(inst);
  pm.context().allowReassociation = o.allowReassociation;
  pm.context().paramsAreConstant = o.paramsAreConstant;
  std::string failure;
  try {
    failure = pm.run(o.passes, g);
  } catch (const std::logic_error &e) {
    return fail(e.what());
  }
  if (!failure.empty()) {
    std::cerr << (failure.rfind("error: ", 0) == 0 ? "nnc-opt: " : "") << failure << "\n";
    return 1;
  }
  if (o.timePasses)
    std::cerr << pm.timeReport();
  if (o.stats)
    std::cerr << pm.context().stats.str();
  std::string result = ir::printGraph(*g);
  if (o.output == "-") {
    std::cout << result;
    return 0;
  }
  try {
    support::writeOutput(o.output, result);
  } catch (const support::OutputError &e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  std::vector<std::string> rest;
  if (!extractPasses(argc, argv, o, rest))
    return 1;
  CLI::App app{"nnc-opt: reads graph IR text, runs passes, prints the result"};
  app.footer(passHelp());
  app.add_option("input", o.input, "IR file, or - for stdin (the default)");
  app.add_option("-o,--output", o.output, "output file, or - for stdout (the default)");
  app.add_flag("--print-after-all", o.printAfterAll, "print the IR to stderr after every pass");
  app.add_option("--print-before", o.printBefore, "print the IR to stderr before this pass")
      ->delimiter(',');
  app.add_option("--print-after", o.printAfter, "print the IR to stderr after this pass")
      ->delimiter(',');
  app.add_flag("--time-passes", o.timePasses, "print each pass's wall time to stderr");
  app.add_flag("--stats", o.stats, "print what the passes did (ops folded, groups fused, ...)");
  app.add_flag("--allow-reassociation", o.allowReassociation,
               "let passes reorder float sums (changes results in the last bits)");
  app.add_flag("--params-constant", o.paramsAreConstant,
               "params are baked weights of an inference build: ops on them may be folded");
  std::vector<const char *> args;
  for (const std::string &a : rest)
    args.push_back(a.c_str());
  try {
    app.parse((int)args.size(), args.data());
  } catch (const CLI::ParseError &e) {
    return app.exit(e) == 0 ? 0 : 1;
  }
  try {
    return run(o);
  } catch (const std::exception &e) {
    std::cerr << "nnc-opt: internal error: " << e.what() << "\n";
    return 2;
  }
}
