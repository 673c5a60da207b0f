// A CSV file as strings, parsed by libcsv: RFC 4180 quotes, LF/CRLF/CR, blank
// lines skipped, unquoted fields trimmed, UTF-8 BOM dropped. DataError: cannot
// open, empty, header only, bad quoting, a row not as wide as the first.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nnc::runtime {

struct CsvTable {
  std::string path;
  bool hasHeader = false;
  std::vector<std::string> columns; // header cells, or col1..colN
  std::vector<std::vector<std::string>>
      rows;                       // data rows only, all columns.size() wide
  std::vector<int64_t> lineOfRow; // 1-based line where each data row starts
};

/// Reads and parses `path`. The first row is a header if some cell of it is not
/// a number and (no cell of it is a number, or a column whose first cell is not
/// a number holds a number in one of the next 100 rows, or it is the only row),
/// so a header-less file with a string label column (UCI iris.data) has no
/// header. Without a header (or for an empty header cell) column k is named
/// "colk".
CsvTable readCsv(const std::string &path);

/// A whole cell as a decimal number: optional sign, spaces/tabs around it
/// allowed; "inf" and "nan" are numbers here (callers reject non-finite ones).
std::optional<double> parseNumber(std::string_view cell);

/// A cell for an error message: control and invalid UTF-8 bytes as \xNN,
/// cut to about 40 characters.
std::string displayCell(std::string_view cell);

} // namespace nnc::runtime
