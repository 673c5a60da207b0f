// CSV files parsed by libcsv: RFC 4180 quotes, LF/CRLF/CR, blank lines
// skipped, unquoted fields trimmed, UTF-8 BOM dropped. forEachCsvRow streams a
// file of any size in 1 MiB chunks (memory: a chunk and one row); readCsv
// holds a whole (small) file as strings. DataError: cannot open, bad quoting
// (file:line:col), and for readCsv empty, header only, a row not as wide as
// the first.
#pragma once
#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nnc::runtime {

/// One non-blank row; the cells are valid during the callback only.
struct CsvRow {
  int64_t line = 0; // 1-based line where the row starts
  std::span<const std::string_view> cells;
};

/// Calls onRow for every non-blank row of `path` in order (header included).
/// An exception from onRow stops the parse and is rethrown.
void forEachCsvRow(const std::string &path, const std::function<void(const CsvRow &)> &onRow);

/// The fields of a CSV as libcsv parses them (no copy of a row): field() for
/// each field of a non-blank row, then rowEnd(). An exception from either
/// stops the parse and is rethrown by streamCsv.
class CsvFieldSink {
public:
  virtual ~CsvFieldSink() = default;
  /// Field `col` (0-based) of the row starting on `line`; valid during the call.
  virtual void field(std::string_view cell, size_t col, int64_t line) = 0;
  virtual void rowEnd(size_t fields, int64_t line) = 0;
};
void streamCsv(const std::string &path, CsvFieldSink &sink);

/// Whether the first of `firstRows` (the file's first rows, up to 101 of
/// them; fewer if the file has no more or they hold over kHeaderProbeBytes,
/// but two if it has two) is a header: some cell of it is
/// not a number and (no cell of it is a number, or a column whose first cell
/// is not a number holds a number in one of the next 100 rows, or it is the
/// only row), so a header-less file with a string label column (UCI
/// iris.data) has no header.
bool firstRowIsHeader(const std::vector<std::vector<std::string>> &firstRows);
inline constexpr size_t kHeaderProbeRows = 101;
/// A probe stops after the row that brings its cells (32 bytes each plus the
/// text) to this, so wide rows are probed in bounded memory.
inline constexpr size_t kHeaderProbeBytes = size_t{16} << 20;
/// A row wider is refused at the field past it (file:row:col), before it is
/// collected: a row of 2^20 empty cells is 32 MB while probed.
inline constexpr size_t kMaxCsvColumns = size_t{1} << 20;

struct CsvTable {
  std::string path;
  bool hasHeader = false;
  std::vector<std::string> columns;           // header cells, or col1..colN
  std::vector<std::vector<std::string>> rows; // data rows only, all columns.size() wide
  std::vector<int64_t> lineOfRow;             // 1-based line where each data row starts
};

/// Reads all of `path` (see firstRowIsHeader). Without a header (or for an
/// empty header cell) column k is named "colk".
CsvTable readCsv(const std::string &path);

/// A whole cell as a decimal number: optional sign, spaces/tabs around it
/// allowed; "inf" and "nan" are numbers here (callers reject non-finite ones).
std::optional<double> parseNumber(std::string_view cell);

/// The common case fast: a cell that is exactly a finite float32 in
/// std::from_chars syntax (no sign '+', no spaces). False: use parseNumber.
inline bool parseFiniteFloat(std::string_view cell, float &out) {
  const char *end = cell.data() + cell.size();
  auto [p, ec] = std::from_chars(cell.data(), end, out);
  return p == end && ec == std::errc() && !cell.empty() && std::isfinite(out);
}

/// A cell for an error message: control and invalid UTF-8 bytes as \xNN,
/// cut to about 40 characters.
std::string displayCell(std::string_view cell);

} // namespace nnc::runtime
