// Errors a user causes with a data file, one line: "<file>:<line>:<col>: error:
// <what>" (line 1-based in the file, header = 1; col = 1-based field number),
// or "<file>: error: <what>" when no position applies.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace nnc::runtime {

struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// "<file>:<line>:<col>: error: <what>".
inline DataError dataError(const std::string &file, int64_t line, int64_t col,
                           const std::string &what) {
  return DataError(file + ":" + std::to_string(line) + ":" +
                   std::to_string(col) + ": error: " + what);
}

/// "<file>: error: <what>".
inline DataError dataError(const std::string &file, const std::string &what) {
  return DataError(file + ": error: " + what);
}

} // namespace nnc::runtime
