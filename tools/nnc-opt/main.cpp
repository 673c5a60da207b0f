// nnc-opt: the graph IR optimizer driver, in the spirit of LLVM opt.
//   nnc-opt [file.ir | -] [-<pass> ...] [-o out.ir] [--print-after-all]
// Reads IR text (stdin for '-' or no file), verifies it, runs the passes of
// ir/passes.def in command-line order, verifying after each, and prints the
// result. On any error: a located message on stderr, exit 1, no output.
#include "ir/parser.h"
#include "ir/pass_registry.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "support/spelling.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace nnc;

namespace {

struct Options {
  std::string input = "-";
  std::string output = "-";
  bool printAfterAll = false;
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
    } else if (a == "-print-after-all") {
      rest.emplace_back("--print-after-all");
    } else if (a.size() > 2 && a[0] == '-' && a[1] != '-' && a[1] != 'o' && a[1] != 'h') {
      fail(fmt::format("unknown pass '{}'{}", a, support::didYouMean(bare, names)));
      return false;
    } else {
      rest.push_back(a);
    }
  }
  return true;
}

bool readInput(const std::string &path, std::string &text) {
  std::ostringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in)
      return false;
    ss << in.rdbuf();
  }
  text = ss.str();
  return true;
}

int run(const Options &o) {
  std::string text;
  if (!readInput(o.input, text))
    return fail(fmt::format("cannot read '{}'", o.input));
  std::string error;
  std::unique_ptr<ir::Graph> g = ir::parseGraph(text, o.input == "-" ? "<stdin>" : o.input, error);
  if (!g) {
    std::cerr << error << "\n";
    return 1;
  }
  for (const std::string &pass : o.passes) {
    std::string failure = ir::runPass(pass, g);
    if (!failure.empty()) {
      std::cerr << (failure.rfind("error: ", 0) == 0 ? "nnc-opt: " : "") << failure << "\n";
      return 1;
    }
    std::string broken = ir::verifyGraph(*g);
    if (!broken.empty())
      return fail(fmt::format("the graph is broken after pass '{}': {}", pass, broken));
    if (o.printAfterAll)
      std::cerr << "; IR after -" << pass << "\n" << ir::printGraph(*g);
  }
  std::string result = ir::printGraph(*g);
  if (o.output == "-") {
    std::cout << result;
    return 0;
  }
  std::ofstream out(o.output, std::ios::binary);
  if (!(out << result))
    return fail(fmt::format("cannot write '{}'", o.output));
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
