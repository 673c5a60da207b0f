#include "support/spelling.h"

#include <algorithm>
#include <cctype>

namespace nnc::support {

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out)
    c = (char)std::tolower((unsigned char)c);
  return out;
}
} // namespace

size_t editDistance(std::string_view a0, std::string_view b0, bool ignoreCase) {
  // Optimal string alignment: Levenshtein plus adjacent transpositions.
  std::string a = ignoreCase ? lower(a0) : std::string(a0);
  std::string b = ignoreCase ? lower(b0) : std::string(b0);
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

std::string closestName(std::string_view name, const std::vector<std::string> &candidates,
                        bool ignoreCase) {
  if (name.size() > 64)
    return "";
  size_t limit = std::max<size_t>(1, name.size() / 3);
  std::string best;
  size_t bestDistance = limit + 1;
  for (const std::string &c : candidates) {
    if (c == name || c.size() > name.size() + limit + 1)
      continue;
    size_t dist = editDistance(name, c, ignoreCase);
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return best;
}

std::string didYouMean(std::string_view name, const std::vector<std::string> &candidates) {
  std::string best = closestName(name, candidates);
  return best.empty() ? "" : "; did you mean '" + best + "'?";
}

} // namespace nnc::support
