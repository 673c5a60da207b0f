#include "runtime/csv_table.h"

#include "runtime/data_error.h"

#include <csv.h>
#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <sys/stat.h>
#include <system_error>

namespace nnc::runtime {
namespace {

std::string errnoText(int err) { return std::generic_category().message(err); }

using File = std::unique_ptr<FILE, int (*)(FILE *)>;

File openForReading(const std::string &path) {
  if (path.empty())
    throw dataError("<empty path>", "cannot open: no file name given");
  File f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f)
    throw dataError(path, "cannot open: " + errnoText(errno));
  struct stat st {};
  if (fstat(fileno(f.get()), &st) == 0 && S_ISDIR(st.st_mode))
    throw dataError(path, "cannot read: " + errnoText(EISDIR));
  return f;
}

/// Line breaks in [p, p+n): LF, CRLF and a lone CR each count once.
int64_t countLineBreaks(const char *p, size_t n, bool &lastWasCR) {
  int64_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    if (p[i] == '\r') {
      ++k;
      lastWasCR = true;
    } else {
      if (p[i] == '\n' && !lastWasCR)
        ++k;
      lastWasCR = false;
    }
  }
  return k;
}

/// 1-based line of byte `offset` of the file (error path only: reads again).
int64_t lineAtOffset(const std::string &path, uint64_t offset) {
  File f(std::fopen(path.c_str(), "rb"), &std::fclose);
  int64_t breaks = 0;
  bool cr = false;
  char buf[1 << 16];
  while (f && offset > 0) {
    size_t n = std::fread(buf, 1, std::min<uint64_t>(sizeof buf, offset), f.get());
    if (n == 0)
      break;
    breaks += countLineBreaks(buf, n, cr);
    offset -= n;
  }
  return breaks + 1;
}

// State shared with libcsv's C callbacks; they must not throw.
struct ParseState {
  CsvFieldSink *sink = nullptr;
  size_t fields = 0;  // fields of the current row so far
  int64_t breaks = 0; // line breaks consumed so far
  int64_t rowLine = 0;
  bool lastWasCR = false;
  bool scanFields = true;   // a field of this chunk may hold a line break
  std::exception_ptr error; // from the sink, or out of memory: stop
};

void onField(void *s, size_t n, void *data) {
  auto &st = *static_cast<ParseState *>(data);
  if (st.error)
    return;
  const char *p = s ? static_cast<const char *>(s) : "";
  if (s == nullptr)
    n = 0;
  if (st.fields == 0)
    st.rowLine = st.breaks + 1;
  try {
    st.sink->field(std::string_view(p, n), st.fields++, st.rowLine);
  } catch (...) {
    st.error = std::current_exception();
    return;
  }
  for (size_t i = 0; st.scanFields && i < n; ++i)
    if (p[i] == '\n' || p[i] == '\r') [[unlikely]] {
      bool cr = false;
      st.breaks += countLineBreaks(p, n, cr); // line breaks inside quotes
      break;
    }
  st.lastWasCR = false;
}

void onRowEnd(int c, void *data) {
  auto &st = *static_cast<ParseState *>(data);
  if (st.fields > 0 && !st.error) { // blank lines have no fields
    try {
      st.sink->rowEnd(st.fields, st.rowLine);
    } catch (...) {
      st.error = std::current_exception();
    }
  }
  st.fields = 0;
  if (c == '\r') {
    ++st.breaks;
    st.lastWasCR = true;
  } else {
    if (c == '\n' && !st.lastWasCR)
      ++st.breaks;
    st.lastWasCR = false;
  }
}

/// Whole rows for forEachCsvRow.
class RowCollector final : public CsvFieldSink {
public:
  explicit RowCollector(const std::function<void(const CsvRow &)> &onRow) : onRow_(onRow) {}
  void field(std::string_view cell, size_t, int64_t) override {
    arena_.append(cell);
    ends_.push_back(arena_.size());
  }
  void rowEnd(size_t, int64_t line) override {
    cells_.clear();
    size_t begin = 0;
    for (size_t e : ends_) {
      cells_.emplace_back(arena_.data() + begin, e - begin);
      begin = e;
    }
    ends_.clear();
    onRow_(CsvRow{line, cells_});
    arena_.clear();
  }

private:
  const std::function<void(const CsvRow &)> &onRow_;
  std::string arena_;        // the current row's fields, back to back
  std::vector<size_t> ends_; // end of each field in arena_
  std::vector<std::string_view> cells_;
};

struct CsvParser {
  csv_parser p{};
  CsvParser() { csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL); }
  ~CsvParser() { csv_free(&p); }
  CsvParser(const CsvParser &) = delete;
  CsvParser &operator=(const CsvParser &) = delete;
};

void rethrowStop(const std::string &path, ParseState &st) {
  if (!st.error)
    return;
  try {
    std::rethrow_exception(st.error);
  } catch (const std::bad_alloc &) {
    throw dataError(path, "out of memory while reading the file");
  }
}

bool isNumber(const std::string &cell) { return parseNumber(cell).has_value(); }

} // namespace

void forEachCsvRow(const std::string &path, const std::function<void(const CsvRow &)> &onRow) {
  RowCollector rows(onRow);
  streamCsv(path, rows);
}

void streamCsv(const std::string &path, CsvFieldSink &sink) {
  File f = openForReading(path);
  ParseState st;
  st.sink = &sink;
  CsvParser parser;
  std::vector<char> buf(1 << 20);
  uint64_t offset = 0; // of buf[0] in the file
  bool first = true;
  for (;;) {
    size_t n = std::fread(buf.data(), 1, buf.size(), f.get());
    if (n == 0) {
      if (std::ferror(f.get()))
        throw dataError(path, "cannot read: " + errnoText(errno));
      break;
    }
    size_t skip = 0;
    if (first && n >= 3 && std::memcmp(buf.data(), "\xEF\xBB\xBF", 3) == 0)
      skip = 3; // UTF-8 byte order mark
    first = false;
    // Only a quoted field holds a line break: none can unless this chunk has
    // a '"' or begins inside a quoted field.
    st.scanFields = parser.p.quoted || std::memchr(buf.data() + skip, '"', n - skip) != nullptr;
    size_t done = csv_parse(&parser.p, buf.data() + skip, n - skip, onField, onRowEnd, &st);
    rethrowStop(path, st);
    if (done < n - skip) {
      int err = csv_error(&parser.p);
      if (err != CSV_EPARSE)
        throw dataError(path, std::string("cannot parse: ") + csv_strerror(err));
      int64_t line = lineAtOffset(path, offset + skip + done);
      auto col = static_cast<int64_t>(st.fields) + 1;
      throw dataError(path, line, col,
                      buf[skip + done] == '"' ? "a '\"' inside an unquoted field (quote the whole "
                                                "field and double the '\"' inside it)"
                                              : "text after the closing '\"' of a quoted field");
    }
    offset += n;
  }
  if (csv_fini(&parser.p, onField, onRowEnd, &st) != 0) {
    int64_t line = st.fields == 0 ? st.breaks + 1 : st.rowLine;
    auto col = static_cast<int64_t>(st.fields) + 1;
    throw dataError(path, line, col, "quoted field is never closed (missing '\"')");
  }
  rethrowStop(path, st);
}

bool firstRowIsHeader(const std::vector<std::vector<std::string>> &rows) {
  const auto &first = rows[0];
  bool anyText = false, anyNumber = false;
  for (const auto &c : first)
    (isNumber(c) ? anyNumber : anyText) = true;
  if (!anyText)
    return false;
  if (!anyNumber || rows.size() == 1)
    return true;
  size_t last = std::min<size_t>(rows.size(), kHeaderProbeRows);
  for (size_t j = 0; j < first.size(); ++j) {
    if (isNumber(first[j]))
      continue;
    for (size_t i = 1; i < last; ++i)
      if (j < rows[i].size() && isNumber(rows[i][j]))
        return true;
  }
  return false;
}

std::optional<double> parseNumber(std::string_view cell) {
  auto isBlank = [](char c) { return c == ' ' || c == '\t'; };
  while (!cell.empty() && isBlank(cell.front()))
    cell.remove_prefix(1);
  while (!cell.empty() && isBlank(cell.back()))
    cell.remove_suffix(1);
  if (!cell.empty() && cell.front() == '+') {
    cell.remove_prefix(1);
    if (!cell.empty() && cell.front() == '-')
      return std::nullopt;
  }
  if (cell.empty())
    return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
  if (end != cell.data() + cell.size())
    return std::nullopt;
  if (ec == std::errc::result_out_of_range) // over- or underflow: as strtod does
    return std::strtod(std::string(cell).c_str(), nullptr);
  if (ec != std::errc())
    return std::nullopt;
  return v;
}

std::string displayCell(std::string_view cell) {
  constexpr size_t kMax = 40;
  std::string out;
  size_t i = 0;
  while (i < cell.size() && out.size() < kMax) {
    auto c = static_cast<unsigned char>(cell[i]);
    // Length of a valid UTF-8 sequence starting here, 0 if invalid.
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    if (len > 1 && i + len <= cell.size()) {
      for (size_t k = 1; k < len; ++k)
        if ((static_cast<unsigned char>(cell[i + k]) & 0xC0) != 0x80)
          len = 0;
    } else if (len > 1) {
      len = 0;
    }
    if (len == 0 || c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02X}", c);
      ++i;
    } else {
      out.append(cell.substr(i, len));
      i += len;
    }
  }
  if (i < cell.size())
    out += "...";
  return out;
}

CsvTable readCsv(const std::string &path) {
  std::vector<std::vector<std::string>> rows;
  std::vector<int64_t> lines;
  forEachCsvRow(path, [&](const CsvRow &r) {
    rows.emplace_back(r.cells.begin(), r.cells.end());
    lines.push_back(r.line);
  });
  if (rows.empty())
    throw dataError(path, "the file is empty");

  CsvTable t;
  t.path = path;
  size_t width = rows[0].size();
  for (size_t i = 1; i < rows.size(); ++i)
    if (rows[i].size() != width)
      throw dataError(path, lines[i], 1,
                      fmt::format("row has {} fields, expected {}", rows[i].size(), width));

  t.hasHeader = firstRowIsHeader(rows);
  size_t firstData = t.hasHeader ? 1 : 0;
  for (size_t j = 0; j < width; ++j) {
    std::string name = t.hasHeader ? rows[0][j] : std::string();
    t.columns.push_back(name.empty() ? fmt::format("col{}", j + 1) : name);
  }
  if (rows.size() <= firstData)
    throw dataError(path, "the file has a header but no data rows");
  t.rows.assign(std::make_move_iterator(rows.begin() + firstData),
                std::make_move_iterator(rows.end()));
  t.lineOfRow.assign(lines.begin() + firstData, lines.end());
  return t;
}

} // namespace nnc::runtime
