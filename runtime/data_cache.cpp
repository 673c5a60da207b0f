#include "runtime/data_cache.h"

#include "runtime/data_error.h"

#include <fmt/format.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <random>
#include <sys/mman.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace nnc::runtime {
namespace {

constexpr char kMagic[8] = {'N', 'N', 'C', 'D', 'A', 'T', 'A', '\0'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kRecordsOffset = 4096;

struct Header {
  char magic[8];
  uint32_t version;
  int32_t target;
  int64_t rows, numFeatures;
  uint64_t recordBytes, recordsOffset, metaOffset, metaBytes, fileBytes, metaHash, headerHash;
};

/// FNV-1a, 64 bits.
uint64_t fnv(const void *p, size_t n, uint64_t h = 1469598103934665603ull) {
  auto *b = static_cast<const unsigned char *>(p);
  for (size_t i = 0; i < n; ++i)
    h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

uint64_t headerHash(const Header &h) { return fnv(&h, offsetof(Header, headerHash)); }

void putU64(std::string &out, uint64_t v) { out.append(reinterpret_cast<const char *>(&v), 8); }
void putStr(std::string &out, const std::string &s) {
  putU64(out, s.size());
  out += s;
}

struct Corrupt {};

struct MetaReader {
  const char *p, *end;
  uint64_t u64() {
    if (end - p < 8)
      throw Corrupt{};
    uint64_t v;
    std::memcpy(&v, p, 8);
    p += 8;
    return v;
  }
  std::string str() {
    uint64_t n = u64();
    if (n > static_cast<uint64_t>(end - p))
      throw Corrupt{};
    std::string s(p, n);
    p += n;
    return s;
  }
  std::vector<std::string> strs() {
    uint64_t n = u64();
    if (n > static_cast<uint64_t>(end - p) / 8)
      throw Corrupt{};
    std::vector<std::string> v;
    for (uint64_t i = 0; i < n; ++i)
      v.push_back(str());
    return v;
  }
};

std::string serializeMeta(const std::string &key, const DataMeta &m) {
  std::string out;
  putStr(out, key);
  putU64(out, m.hasHeader);
  putStr(out, m.labelName);
  putU64(out, static_cast<uint64_t>(m.labelColumn));
  putU64(out, m.featureNames.size());
  for (const auto &s : m.featureNames)
    putStr(out, s);
  putU64(out, m.labelNames.size());
  for (const auto &s : m.labelNames)
    putStr(out, s);
  for (int64_t line : m.labelLines)
    putU64(out, static_cast<uint64_t>(line));
  return out;
}

std::string errnoText(int err) { return std::generic_category().message(err); }

std::string uniqueTmpPath(const std::string &final) {
  std::random_device rd;
  return fmt::format("{}.tmp.{}.{:08x}", final, getpid(), rd());
}

std::string cacheFile(const std::string &dir, const std::string &key) {
  // Named by what identifies the data, not the file's state: a changed CSV
  // replaces its old cache.
  size_t stateEnd = key.find('\n', key.find('\n') + 1);
  std::string identity = key.substr(0, key.find('\n')) + key.substr(stateEnd);
  return fmt::format("{}/{:016x}.nncdata", dir, fnv(identity.data(), identity.size()));
}

/// Maps `fd` (fileBytes long) and checks everything but the records' values.
std::optional<CachedData> mapCache(int fd, uint64_t fileBytes, const std::string &key) {
  if (fileBytes < kRecordsOffset || fileBytes > SIZE_MAX)
    return std::nullopt;
  void *map = mmap(nullptr, fileBytes, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED)
    return std::nullopt;
  const char *base = static_cast<const char *>(map);
  try {
    Header h;
    std::memcpy(&h, base, sizeof h);
    if (std::memcmp(h.magic, kMagic, 8) != 0 || h.version != kVersion ||
        h.headerHash != headerHash(h) || h.fileBytes != fileBytes ||
        h.recordsOffset != kRecordsOffset || h.rows < 0 || h.numFeatures < 0 || h.target < 0 ||
        h.target > 2)
      throw Corrupt{};
    auto target = static_cast<RowTarget>(h.target);
    uint64_t width = static_cast<uint64_t>(h.numFeatures) + (target == RowTarget::None ? 0 : 1);
    if (h.numFeatures > (1ll << 40) || h.recordBytes != width * 4 ||
        (h.recordBytes && static_cast<uint64_t>(h.rows) > (fileBytes / h.recordBytes)) ||
        h.metaOffset != h.recordsOffset + static_cast<uint64_t>(h.rows) * h.recordBytes ||
        h.metaOffset > fileBytes || h.metaBytes != fileBytes - h.metaOffset ||
        fnv(base + h.metaOffset, h.metaBytes) != h.metaHash)
      throw Corrupt{};
    MetaReader r{base + h.metaOffset, base + fileBytes};
    if (r.str() != key)
      throw Corrupt{};
    CachedData c;
    DataMeta &m = c.meta;
    m.rows = h.rows;
    m.numFeatures = h.numFeatures;
    m.target = target;
    m.hasHeader = r.u64() != 0;
    m.labelName = r.str();
    m.labelColumn = static_cast<int64_t>(r.u64());
    m.featureNames = r.strs();
    m.labelNames = r.strs();
    for (size_t i = 0; i < m.labelNames.size(); ++i)
      m.labelLines.push_back(static_cast<int64_t>(r.u64()));
    if (r.p != r.end || static_cast<int64_t>(m.featureNames.size()) != m.numFeatures)
      throw Corrupt{};
    c.table = std::make_shared<const RowTable>(RowTable::fromMapping(
        map, fileBytes, fd, base + h.recordsOffset, h.rows, h.numFeatures, target));
    return c;
  } catch (const Corrupt &) {
    munmap(map, fileBytes);
    return std::nullopt;
  } catch (...) {
    munmap(map, fileBytes);
    throw;
  }
}

} // namespace

DataCacheOptions dataCacheOptionsFromEnvironment() {
  DataCacheOptions o;
  o.minBytes = 8u << 20;
  const char *off = std::getenv("NNC_DATA_CACHE");
  if (off && std::string(off) == "off")
    return o;
  if (const char *d = std::getenv("NNC_DATA_CACHE_DIR"); d && *d)
    o.dir = d;
  else if (const char *x = std::getenv("XDG_CACHE_HOME"); x && *x == '/')
    o.dir = std::string(x) + "/nnc/data";
  else if (const char *home = std::getenv("HOME"); home && *home == '/')
    o.dir = std::string(home) + "/.cache/nnc/data";
  return o;
}

std::string dataCacheKey(const std::string &path, const std::string &spec, uint64_t &fileBytes) {
  struct stat st {};
  fileBytes = 0;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return "";
  std::error_code ec;
  std::string real = std::filesystem::canonical(path, ec).string();
  if (ec)
    return "";
  fileBytes = static_cast<uint64_t>(st.st_size);
  return fmt::format("nnc-data {} {}\n{} {} {}.{} {}.{} {}\n{}", kVersion, real, st.st_dev,
                     st.st_ino, st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ctim.tv_sec,
                     st.st_ctim.tv_nsec, st.st_size, spec);
}

std::optional<CachedData> openDataCache(const DataCacheOptions &opts, const std::string &key) {
  if (opts.dir.empty() || key.empty())
    return std::nullopt;
  int fd = open(cacheFile(opts.dir, key).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return std::nullopt;
  struct stat st {};
  std::optional<CachedData> c;
  // Only a file of this user's is trusted: in a shared cache directory another
  // user could plant one whose key matches (it is rebuilt instead).
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid())
    c = mapCache(fd, static_cast<uint64_t>(st.st_size), key);
  close(fd);
  return c;
}

DataCacheWriter::DataCacheWriter(const DataCacheOptions &opts, std::string key, size_t recordBytes)
    : key_(std::move(key)), recordBytes_(recordBytes) {
  buffer_.resize(std::max<size_t>(64u << 10, recordBytes)); // grows to 4 MiB
  if (!key_.empty() && !opts.dir.empty()) {
    std::error_code ec;
    // A directory nnc creates is the user's alone (its files are, too).
    if (!std::filesystem::exists(opts.dir, ec) && std::filesystem::create_directories(opts.dir, ec))
      std::filesystem::permissions(opts.dir, std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::replace, ec);
    // Unnamed until finish() links it in: a run killed while parsing leaves
    // nothing behind. Else a named temporary file, removed on errors. Only
    // the user may read it: it holds the CSV's data, whatever the CSV's mode.
    fd_ = open(opts.dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      tmpPath_ = uniqueTmpPath(cacheFile(opts.dir, key_));
      fd_ = open(tmpPath_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    }
    if (fd_ >= 0)
      dir_ = opts.dir;
    else
      tmpPath_.clear();
  }
  if (fd_ < 0) { // an unnamed file: nothing to clean up, not kept
    // $TMPDIR, else /tmp (a TMPDIR that does not exist stopped every run).
    const char *tmp = std::getenv("TMPDIR");
    std::vector<std::string> dirs;
    if (tmp && *tmp)
      dirs.push_back(tmp);
    dirs.push_back("/tmp");
    int err = 0;
    for (const std::string &dir : dirs) {
      fd_ = open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
      if (fd_ < 0) {
        std::string pattern = dir + "/nnc-data-XXXXXX";
        fd_ = mkostemp(pattern.data(), O_CLOEXEC);
        if (fd_ >= 0)
          unlink(pattern.c_str());
      }
      if (fd_ >= 0)
        break;
      err = errno;
    }
    if (fd_ < 0)
      throw dataError(dirs.front(), "cannot create a temporary data file: " + errnoText(err));
    key_.clear();
  }
  written_ = kRecordsOffset; // the header is written last
}

DataCacheWriter::~DataCacheWriter() {
  if (fd_ >= 0)
    close(fd_);
  if (!tmpPath_.empty())
    unlink(tmpPath_.c_str());
}

void DataCacheWriter::writeAll(const void *p, size_t n, uint64_t at) {
  auto *b = static_cast<const char *>(p);
  while (n > 0) {
    ssize_t k = pwrite(fd_, b, n, static_cast<off_t>(at));
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      throw dataError(tmpPath_.empty() ? (dir_.empty() ? "temporary data file" : dir_) : tmpPath_,
                      "cannot write: " + errnoText(k < 0 ? errno : ENOSPC));
    b += k;
    n -= static_cast<size_t>(k);
    at += static_cast<uint64_t>(k);
  }
}

void DataCacheWriter::flush() {
  writeAll(buffer_.data(), used_, written_);
  written_ += used_;
  used_ = 0;
  if (buffer_.size() < (4u << 20) && rows_ > 0)
    buffer_.resize(buffer_.size() * 2);
}

CachedData DataCacheWriter::finish(DataMeta meta) {
  flush();
  meta.rows = rows_;
  std::string m = serializeMeta(key_, meta);
  Header h{};
  std::memcpy(h.magic, kMagic, 8);
  h.version = kVersion;
  h.target = static_cast<int32_t>(meta.target);
  h.rows = rows_;
  h.numFeatures = meta.numFeatures;
  h.recordBytes = recordBytes_;
  h.recordsOffset = kRecordsOffset;
  h.metaOffset = written_;
  h.metaBytes = m.size();
  h.fileBytes = written_ + m.size();
  h.metaHash = fnv(m.data(), m.size());
  h.headerHash = headerHash(h);
  writeAll(m.data(), m.size(), written_);
  writeAll(&h, sizeof h, 0);
  const std::string storedKey = key_;
  if (!dir_.empty()) { // publish: complete on disk, then renamed into place
    bool named = !tmpPath_.empty();
    if (!named) {
      tmpPath_ = uniqueTmpPath(cacheFile(dir_, key_));
      named = fdatasync(fd_) == 0 && linkat(AT_FDCWD, fmt::format("/proc/self/fd/{}", fd_).c_str(),
                                            AT_FDCWD, tmpPath_.c_str(), AT_SYMLINK_FOLLOW) == 0;
    } else {
      named = fdatasync(fd_) == 0;
    }
    if (named && std::rename(tmpPath_.c_str(), cacheFile(dir_, key_).c_str()) == 0)
      tmpPath_.clear();
    else if (!named)
      tmpPath_.clear(); // not kept; still usable through fd_
  }
  std::optional<CachedData> c = mapCache(fd_, h.fileBytes, storedKey);
  if (!c)
    throw dataError(tmpPath_.empty() ? (dir_.empty() ? "temporary data file" : dir_) : tmpPath_,
                    "cannot map the data file: " + errnoText(errno));
  c->meta = std::move(meta);
  return std::move(*c);
}

} // namespace nnc::runtime
