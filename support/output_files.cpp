#include "support/output_files.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace nnc::support {

namespace {

[[noreturn]] void fail(const std::string &path, const std::string &why) {
  throw OutputError(fmt::format("{}: error: cannot write: {}", path, why));
}

/// How one output is written.
struct Target {
  std::string path;         // as the user named it
  bool special = false;     // written through in place
  bool existed = false;     // a regular file is there now
  mode_t mode = 0666;       // of the file written (an existing file's, or 0666 & ~umask)
  std::string real;         // the file renamed over (a link's target)
  std::string temp, backup; // beside `real`, while writing
};

Target classify(const std::string &path) {
  Target t;
  t.path = t.real = path;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode))
      fail(path, "it is a directory");
    // /dev/stdout or /proc/self/fd/1 redirected to a file is that file (the
    // shell's descriptor): written through too, not replaced under it.
    bool device = path.rfind("/dev/", 0) == 0 || path.rfind("/proc/", 0) == 0;
    if (!S_ISREG(st.st_mode) || device) {
      if (::access(path.c_str(), W_OK) != 0)
        fail(path, std::strerror(errno));
      t.special = true;
      return t;
    }
    t.existed = true;
    t.mode = st.st_mode & 07777;
    std::error_code ec;
    std::filesystem::path target = std::filesystem::canonical(path, ec);
    if (!ec)
      t.real = target.string();
  } else if (errno != ENOENT) {
    fail(path, std::strerror(errno));
  } else {
    mode_t mask = ::umask(0);
    ::umask(mask);
    t.mode = 0666 & ~mask;
  }
  std::filesystem::path parent = std::filesystem::path(t.real).parent_path();
  std::string dir = parent.empty() ? std::string(".") : parent.string();
  if (::stat(dir.c_str(), &st) != 0)
    fail(path, errno == ENOENT ? fmt::format("the directory {} does not exist", dir)
                               : fmt::format("{}: {}", dir, std::strerror(errno)));
  if (!S_ISDIR(st.st_mode))
    fail(path, fmt::format("{} is not a directory", dir));
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    fail(path, fmt::format("the directory {} is not writable: {}", dir, std::strerror(errno)));
  return t;
}

/// A new, empty file named `prefix` + a unique suffix; its name.
std::string uniqueFile(const std::string &prefix, const std::string &path) {
  std::string name = prefix + "XXXXXX";
  int fd = ::mkstemp(name.data());
  if (fd < 0)
    fail(path, std::strerror(errno));
  ::close(fd);
  return name;
}

void writeFile(const std::string &name, const OutputFile &f, std::ios::openmode mode) {
  std::ofstream out(name, std::ios::binary | mode);
  if (!out)
    fail(f.path, std::strerror(errno));
  f.write(out);
  out.flush();
  if (!out)
    fail(f.path, errno ? std::strerror(errno) : "the disk may be full");
}

/// The descriptor that /dev/stdout, /dev/stderr, /dev/fd/N or /proc/self/fd/N
/// names, or -1.
int descriptorOf(const std::string &path) {
  if (path == "/dev/stdout")
    return 1;
  if (path == "/dev/stderr")
    return 2;
  for (const char *prefix : {"/dev/fd/", "/proc/self/fd/"})
    if (path.rfind(prefix, 0) == 0) {
      std::string n = path.substr(std::strlen(prefix));
      if (!n.empty() && n.size() < 9 && n.find_first_not_of("0123456789") == std::string::npos)
        return std::stoi(n);
    }
  return -1;
}

/// A special file: a descriptor of this process (/dev/stdout) written to as
/// is (it may be a file the shell opened, whose offset a second opening would
/// not share), others appended to, never truncated.
void writeThrough(const OutputFile &f) {
  int fd = descriptorOf(f.path);
  if (fd < 0)
    return writeFile(f.path, f, std::ios::out | std::ios::app);
  std::ostringstream content;
  f.write(content);
  std::cout.flush();
  std::cerr.flush();
  std::string bytes = content.str();
  for (size_t done = 0; done < bytes.size();) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno != EINTR)
      fail(f.path, std::strerror(errno));
    done += n > 0 ? (size_t)n : 0;
  }
}

} // namespace

void checkWritable(const std::string &path) { classify(path); }

bool sameFile(const std::string &output, const std::string &other) {
  auto special = [](const std::string &p) {
    return p.empty() || p.rfind("/dev/", 0) == 0 || p.rfind("/proc/", 0) == 0;
  };
  if (special(output) || special(other))
    return false;
  struct stat a, b;
  bool hasA = ::stat(output.c_str(), &a) == 0, hasB = ::stat(other.c_str(), &b) == 0;
  if (hasA && hasB)
    return S_ISREG(a.st_mode) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
  if (hasA || hasB)
    return false;
  std::error_code e1, e2;
  std::filesystem::path pa = std::filesystem::weakly_canonical(output, e1);
  std::filesystem::path pb = std::filesystem::weakly_canonical(other, e2);
  return !e1 && !e2 && pa == pb;
}

void writeOutputs(const std::vector<OutputFile> &files) {
  std::vector<Target> targets;
  for (const OutputFile &f : files)
    targets.push_back(classify(f.path));
  auto removeTemporaries = [&] {
    for (Target &t : targets) {
      if (!t.temp.empty())
        ::unlink(t.temp.c_str());
      if (!t.backup.empty())
        ::unlink(t.backup.c_str());
    }
  };
  try {
    for (size_t i = 0; i < files.size(); ++i) { // 1. regular files, to temporaries
      Target &t = targets[i];
      if (t.special)
        continue;
      t.temp = uniqueFile(t.real + ".tmp.", t.path);
      ::chmod(t.temp.c_str(), t.mode);
      writeFile(t.temp, files[i], std::ios::trunc);
    }
    for (size_t i = 0; i < files.size(); ++i) // 2. special files, through
      if (targets[i].special)
        writeThrough(files[i]);
    for (Target &t : targets) // 3. a way back: a second link to each existing file
      if (!t.special && t.existed) {
        t.backup = uniqueFile(t.real + ".old.", t.path);
        ::unlink(t.backup.c_str());
        if (::link(t.real.c_str(), t.backup.c_str()) != 0)
          t.backup.clear(); // (a file system without hard links: no way back)
      }
  } catch (...) {
    removeTemporaries();
    throw;
  }
  for (size_t i = 0; i < targets.size(); ++i) { // 4. the renames
    Target &t = targets[i];
    if (t.special || ::rename(t.temp.c_str(), t.real.c_str()) == 0) {
      t.temp.clear();
      continue;
    }
    std::string why = std::strerror(errno);
    for (size_t j = 0; j < i; ++j) { // undo the renames done
      Target &done = targets[j];
      if (done.special)
        continue;
      if (!done.backup.empty() && ::rename(done.backup.c_str(), done.real.c_str()) == 0)
        done.backup.clear();
      else if (!done.existed)
        ::unlink(done.real.c_str());
    }
    removeTemporaries();
    fail(t.path, why);
  }
  removeTemporaries(); // the backups
}

} // namespace nnc::support
