// support/output_files.h: outputs are written all or none, existing files
// keep their bytes when any part fails, no temporary file is left behind.
#include "support/output_files.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>
#include <unistd.h>

using namespace nnc::support;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path dir = fs::temp_directory_path() / ("nnc_output_files_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(dir); }
  ~TempDir() { fs::remove_all(dir); }
  std::string operator/(const std::string &name) const { return (dir / name).string(); }
  size_t count() const { return std::distance(fs::directory_iterator(dir), {}); }
};

std::string readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

TEST(OutputFiles, WritesAllAndKeepsAModeAndALink) {
  TempDir d;
  std::ofstream(d / "old.h") << "old";
  fs::permissions(d / "old.h", fs::perms(0640));
  fs::create_symlink(d / "old.h", d / "link.h");
  writeOutputs({{d / "new.o", [](std::ostream &o) { o << "object"; }},
                {d / "link.h", [](std::ostream &o) { o << "header"; }}});
  EXPECT_EQ(readAll(d / "new.o"), "object");
  EXPECT_EQ(readAll(d / "old.h"), "header"); // through the link, which stays one
  EXPECT_TRUE(fs::is_symlink(d / "link.h"));
  EXPECT_EQ(fs::status(d / "old.h").permissions(), fs::perms(0640));
  EXPECT_EQ(d.count(), 3u); // no temporary or backup left
}

TEST(OutputFiles, AFailingPartLeavesEveryFileAsItWas) {
  TempDir d;
  std::ofstream(d / "a.o") << "old a";
  EXPECT_THROW(writeOutputs({{d / "a.o", [](std::ostream &o) { o << "new a"; }},
                             {d / "b.h", [](std::ostream &) { throw OutputError("b failed"); }}}),
               OutputError);
  EXPECT_EQ(readAll(d / "a.o"), "old a");
  EXPECT_FALSE(fs::exists(d / "b.h"));
  EXPECT_EQ(d.count(), 1u);
}

TEST(OutputFiles, ADirectoryIsRefusedBeforeAnythingIsWritten) {
  TempDir d;
  fs::create_directory(d / "out.o");
  std::ofstream(d / "out.h") << "keep";
  bool called = false;
  try {
    writeOutputs({{d / "out.h", [&](std::ostream &o) { called = true, o << "new"; }},
                  {d / "out.o", [](std::ostream &o) { o << "x"; }}});
    ADD_FAILURE() << "no error";
  } catch (const OutputError &e) {
    EXPECT_NE(std::string(e.what()).find("out.o: error: cannot write: it is a directory"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(called);
  EXPECT_EQ(readAll(d / "out.h"), "keep");
  EXPECT_THROW(checkWritable(d / "no/such/file"), OutputError);
  EXPECT_NO_THROW(checkWritable(d / "fresh"));
}
