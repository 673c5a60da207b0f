#include "runtime/csv_table.h"

#include "runtime/data_error.h"

#include <csv.h>
#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <new>
#include <sys/stat.h>
#include <system_error>

namespace nnc::runtime {
namespace {

std::string errnoText(int err) { return std::generic_category().message(err); }

std::string readWholeFile(const std::string &path) {
  if (path.empty())
    throw dataError("<empty path>", "cannot open: no file name given");
  std::unique_ptr<FILE, int (*)(FILE *)> f(std::fopen(path.c_str(), "rb"),
                                           &std::fclose);
  if (!f)
    throw dataError(path, "cannot open: " + errnoText(errno));
  struct stat st {};
  if (fstat(fileno(f.get()), &st) == 0 && S_ISDIR(st.st_mode))
    throw dataError(path, "cannot read: " + errnoText(EISDIR));
  std::string text;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0)
    text.append(buf, n);
  if (std::ferror(f.get()))
    throw dataError(path, "cannot read: " + errnoText(errno));
  return text;
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

// State shared with libcsv's C callbacks; they must not throw.
struct ParseState {
  std::vector<std::vector<std::string>> rows;
  std::vector<int64_t> lines;
  std::vector<std::string> current;
  int64_t breaks = 0; // line breaks consumed so far
  int64_t rowLine = 0;
  bool lastWasCR = false;
  bool outOfMemory = false;
};

void onField(void *s, size_t n, void *data) {
  auto &st = *static_cast<ParseState *>(data);
  const char *p = s ? static_cast<const char *>(s) : "";
  if (s == nullptr)
    n = 0;
  try {
    if (st.current.empty())
      st.rowLine = st.breaks + 1;
    st.current.emplace_back(p, n);
  } catch (const std::bad_alloc &) {
    st.outOfMemory = true;
  }
  bool cr = false;
  st.breaks += countLineBreaks(p, n, cr); // line breaks inside quotes
  st.lastWasCR = false;
}

void onRowEnd(int c, void *data) {
  auto &st = *static_cast<ParseState *>(data);
  if (!st.current.empty()) { // blank lines have no fields
    size_t width = st.current.size();
    try {
      st.rows.push_back(std::move(st.current));
      st.lines.push_back(st.rowLine);
      st.current.clear();
      st.current.reserve(width); // rows are usually as wide as the last one
    } catch (const std::bad_alloc &) {
      st.outOfMemory = true;
    }
  }
  if (c == '\r') {
    ++st.breaks;
    st.lastWasCR = true;
  } else {
    if (c == '\n' && !st.lastWasCR)
      ++st.breaks;
    st.lastWasCR = false;
  }
}

struct CsvParser {
  csv_parser p{};
  CsvParser() { csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL); }
  ~CsvParser() { csv_free(&p); }
  CsvParser(const CsvParser &) = delete;
  CsvParser &operator=(const CsvParser &) = delete;
};

ParseState parse(const std::string &path, std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") // UTF-8 byte order mark
    text.remove_prefix(3);
  ParseState st;
  CsvParser parser;
  size_t done =
      csv_parse(&parser.p, text.data(), text.size(), onField, onRowEnd, &st);
  if (st.outOfMemory)
    throw dataError(path, "out of memory while reading the file");
  if (done < text.size()) {
    int err = csv_error(&parser.p);
    if (err != CSV_EPARSE)
      throw dataError(path, std::string("cannot parse: ") + csv_strerror(err));
    bool cr = false;
    int64_t line = 1 + countLineBreaks(text.data(), done, cr);
    auto col = static_cast<int64_t>(st.current.size()) + 1;
    throw dataError(path, line, col,
                    text[done] == '"'
                        ? "a '\"' inside an unquoted field (quote the whole "
                          "field and double the '\"' inside it)"
                        : "text after the closing '\"' of a quoted field");
  }
  if (csv_fini(&parser.p, onField, onRowEnd, &st) != 0) {
    int64_t line = st.current.empty() ? st.breaks + 1 : st.rowLine;
    auto col = static_cast<int64_t>(st.current.size()) + 1;
    throw dataError(path, line, col,
                    "quoted field is never closed (missing '\"')");
  }
  if (st.outOfMemory)
    throw dataError(path, "out of memory while reading the file");
  return st;
}

bool isNumber(const std::string &cell) { return parseNumber(cell).has_value(); }

bool firstRowIsHeader(const std::vector<std::vector<std::string>> &rows) {
  const auto &first = rows[0];
  bool anyText = false, anyNumber = false;
  for (const auto &c : first)
    (isNumber(c) ? anyNumber : anyText) = true;
  if (!anyText)
    return false;
  if (!anyNumber || rows.size() == 1)
    return true;
  size_t last = std::min<size_t>(rows.size(), 101);
  for (size_t j = 0; j < first.size(); ++j) {
    if (isNumber(first[j]))
      continue;
    for (size_t i = 1; i < last; ++i)
      if (j < rows[i].size() && isNumber(rows[i][j]))
        return true;
  }
  return false;
}

} // namespace

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
  if (ec ==
      std::errc::result_out_of_range) // over- or underflow: as strtod does
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
  std::string text = readWholeFile(path);
  ParseState st = parse(path, text);
  text = std::string(); // free early: the table can be large
  if (st.rows.empty())
    throw dataError(path, "the file is empty");

  CsvTable t;
  t.path = path;
  size_t width = st.rows[0].size();
  for (size_t i = 1; i < st.rows.size(); ++i)
    if (st.rows[i].size() != width)
      throw dataError(path, st.lines[i], 1,
                      fmt::format("row has {} fields, expected {}",
                                  st.rows[i].size(), width));

  t.hasHeader = firstRowIsHeader(st.rows);
  size_t firstData = t.hasHeader ? 1 : 0;
  for (size_t j = 0; j < width; ++j) {
    std::string name = t.hasHeader ? st.rows[0][j] : std::string();
    t.columns.push_back(name.empty() ? fmt::format("col{}", j + 1) : name);
  }
  if (st.rows.size() <= firstData)
    throw dataError(path, "the file has a header but no data rows");
  t.rows.assign(std::make_move_iterator(st.rows.begin() + firstData),
                std::make_move_iterator(st.rows.end()));
  t.lineOfRow.assign(st.lines.begin() + firstData, st.lines.end());
  return t;
}

} // namespace nnc::runtime
