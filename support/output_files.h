// Writing a run's output files so that a failed run changes none of them.
// A regular file (or a new path) is written to a temporary file beside it
// (beside its target, for a symbolic link) and renamed over it once every
// output of the run is complete; a special file (character device, FIFO,
// anything under /dev/ or /proc/, such as /dev/stdout even when it is
// redirected to a file) is written through in place, never replaced; a
// directory is refused. Errors are OutputError, one line: "<path>: error: cannot write: <why>".
#pragma once
#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace nnc::support {

struct OutputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct OutputFile {
  std::string path;
  std::function<void(std::ostream &)> write; // writes the whole content
};

/// Throws OutputError unless `path` can be written as an output: a writable
/// special file, or a regular or new file in an existing, writable directory.
/// For refusing an output before the work that produces it.
void checkWritable(const std::string &path);

/// Whether writing `output` would replace the file `other`: the same regular
/// file (through links), or the same path where neither exists yet. Paths
/// under /dev/ or /proc/ and other special files are never the same: they
/// are written through, not replaced.
bool sameFile(const std::string &output, const std::string &other);

/// Writes all of `files` or, if any write fails (or a `write` throws), none
/// of the regular ones: each existing file keeps its bytes. Special files are
/// written after every temporary file is complete and before the renames.
void writeOutputs(const std::vector<OutputFile> &files);

inline void writeOutput(const std::string &path, std::function<void(std::ostream &)> write) {
  writeOutputs({{path, std::move(write)}});
}
inline void writeOutput(const std::string &path, const std::string &bytes) {
  writeOutput(path, [&](std::ostream &out) { out << bytes; });
}

} // namespace nnc::support
