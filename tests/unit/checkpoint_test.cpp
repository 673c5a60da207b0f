// The .nnw weights file: a file round-trips bit for bit, and any bytes at all
// (mutants of a good file) load as a checkpoint or fail with DataError, never
// holding more memory than the file.
#include "ir/parser.h"
#include "runtime/checkpoint.h"
#include "runtime/data_error.h"

#include <cctype>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <random>
#include <sstream>
#include <unistd.h>

using namespace nnc;
using namespace nnc::runtime;

namespace {

constexpr const char *kGraph = R"(graph @g {
  %x = input "x" : f32[B,3]
  %W = param "W" glorot_uniform() : f32[3,5]
  %b = param "b" zeros() : f32[5]
  %s = state "s" constant(1.5) : f64[3]
  output "prediction" %x
}
)";

ParamStore storeOf(uint64_t seed) {
  std::string error;
  std::unique_ptr<ir::Graph> g = ir::parseGraph(kGraph, "g.ir", error);
  EXPECT_TRUE(g) << error;
  ParamStore store;
  store.initialize(*g, seed);
  return store;
}

std::string tempPath(const std::string &name) {
  return (std::filesystem::temp_directory_path() /
          ("nnc_checkpoint_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeAll(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

Checkpoint checkpointOf(const ParamStore &store) {
  Checkpoint c;
  c.model = "g";
  c.tensors = store.buffers();
  c.classNames = {"a", "b"};
  c.featureNames = {"u", "v", "w"};
  c.normalization = Standardizer{{1, 2, 3}, {0.5f, 1, 2}};
  c.epochs = 7;
  return c;
}

} // namespace

TEST(Checkpoint, RoundTripsBitForBit) {
  ParamStore store = storeOf(2);
  std::string a = tempPath("a.nnw"), b = tempPath("b.nnw");
  saveCheckpoint(a, checkpointOf(store));
  Checkpoint loaded = loadCheckpoint(a);
  EXPECT_EQ(loaded.epochs, 7);
  EXPECT_EQ(loaded.classNames, (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(loaded.normalization);
  EXPECT_EQ(loaded.normalization->stddev, (std::vector<float>{0.5f, 1, 2}));
  ParamStore fresh = storeOf(3);
  restoreTensors(loaded, fresh, a, /*paramsOnly=*/false);
  for (auto &[name, buf] : store.buffers())
    EXPECT_EQ(fresh.at(name).storage, buf.storage) << name;
  saveCheckpoint(b, checkpointOf(fresh));
  EXPECT_EQ(readAll(a), readAll(b));
  std::filesystem::remove(a);
  std::filesystem::remove(b);
}

// Mutants of a good file: truncations, flipped bytes, and header values
// replaced by extremes. Each loads (and then restores or fails) or fails
// with DataError; a loaded one never holds more tensor bytes than the file.
TEST(Checkpoint, AnyBytesLoadOrFailWithDataError) {
  ParamStore store = storeOf(4);
  std::string good = tempPath("good.nnw"), bad = tempPath("bad.nnw");
  saveCheckpoint(good, checkpointOf(store));
  std::string bytes = readAll(good);
  size_t headerEnd = bytes.find('\n', bytes.find('\n') + 1) + 1;
  std::vector<std::string> mutants;
  for (size_t n = 0; n < bytes.size(); n += 7)
    mutants.push_back(bytes.substr(0, n));
  std::mt19937_64 rng(12);
  for (int i = 0; i < 400; ++i) {
    std::string m = bytes;
    for (int k = 0, flips = 1 + (int)(rng() % 3); k < flips; ++k)
      m[rng() % m.size()] = (char)(rng() % 256);
    mutants.push_back(m);
  }
  const char *extremes[] = {"-1",
                            "-64",
                            "0",
                            "1e300",
                            "-1e300",
                            "9223372036854775807",
                            "9223372036854775808",
                            "18446744073709551616",
                            "4294967296",
                            "0.5",
                            "\"x\"",
                            "null",
                            "[]",
                            "{}",
                            "[4294967296,4294967296]",
                            "true"};
  std::string header = bytes.substr(0, headerEnd);
  for (size_t at = 0; at < header.size(); ++at) {
    if (!std::isdigit((unsigned char)header[at]) || std::isdigit((unsigned char)header[at - 1]))
      continue; // each number (and array element) once
    size_t end = header.find_first_not_of("0123456789.e-", at);
    for (const char *x : extremes)
      mutants.push_back(header.substr(0, at) + x + header.substr(end) + bytes.substr(headerEnd));
  }
  size_t loaded = 0;
  for (const std::string &m : mutants) {
    writeAll(bad, m);
    try {
      Checkpoint c = loadCheckpoint(bad);
      ++loaded;
      int64_t held = 0;
      for (auto &[name, t] : c.tensors)
        held += (int64_t)t.storage.size();
      EXPECT_LE(held, (int64_t)m.size());
      ParamStore fresh = storeOf(5);
      restoreTensors(c, fresh, bad, false);
    } catch (const DataError &) {
    } catch (const std::exception &e) {
      ADD_FAILURE() << "not a DataError: " << e.what() << "\nfor:\n" << m.substr(0, 2000);
    }
  }
  EXPECT_GT(loaded, 0u);
  EXPECT_GT(mutants.size(), 800u);
  std::filesystem::remove(good);
  std::filesystem::remove(bad);
}
