// What the libFuzzer targets of tests/fuzz share. A target returns normally on
// every input the project handles as documented (a located user error, such as
// a DataError or a front-end diagnostic, counts as handled); anything else is a
// finding, reported by finding() through abort(), so libFuzzer saves the input:
// an internal error (std::logic_error, including std::out_of_range from .at()),
// any other exception, a broken invariant the target checks, a crash or a
// sanitizer report. Hangs are libFuzzer's -timeout.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <unistd.h>

namespace nnc::fuzz {

[[noreturn]] inline void finding(const std::string &what, const std::string &detail = "") {
  std::fprintf(stderr, "\nnnc fuzz finding: %s%s%s\n", what.c_str(), detail.empty() ? "" : ": ",
               detail.c_str());
  std::abort();
}

/// Call from `catch (...)` after the documented errors were caught: names
/// the exception as a finding.
[[noreturn]] inline void unexpectedException() {
  try {
    throw;
  } catch (const std::logic_error &e) {
    finding("internal error (std::logic_error)", e.what());
  } catch (const std::bad_alloc &) {
    finding("std::bad_alloc: a size was not checked before it was allocated");
  } catch (const std::exception &e) {
    finding(std::string("undocumented exception ") + typeid(e).name(), e.what());
  } catch (...) {
    finding("an exception not derived from std::exception");
  }
}

/// Writes the input to a file of this process in /dev/shm (memory, not disk)
/// for the readers that take a path; the same path every call.
inline std::string writeInputFile(const uint8_t *data, size_t size, const char *extension) {
  std::string path = "/dev/shm/nnc-fuzz-" + std::to_string(getpid()) + extension;
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0)
    finding("cannot write the input to " + path);
  return path;
}

} // namespace nnc::fuzz
