#include "support/display_text.h"

#include <fmt/format.h>

namespace nnc::support {

size_t utf8SequenceLength(std::string_view t, size_t i) {
  auto at = [&](size_t k) { return i + k < t.size() ? (unsigned char)t[i + k] : 0u; };
  auto cont = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
    return at(k) >= lo && at(k) <= hi;
  };
  unsigned c = at(0);
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

std::string displayText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    auto c = (unsigned char)text[i];
    size_t len = utf8SequenceLength(text, i);
    bool control = (c < 0x20 && c != '\t') || c == 0x7F ||
                   (c == 0xC2 && len == 2 && (unsigned char)text[i + 1] < 0xA0); // C1
    if (len == 0 || control) {
      for (size_t k = 0; k < std::max<size_t>(len, 1); ++k)
        out += fmt::format("\\x{:02X}", (unsigned char)text[i + k]);
      i += std::max<size_t>(len, 1);
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

} // namespace nnc::support
