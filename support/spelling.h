// "Did you mean" suggestions for misspelled names, by edit distance
// (insertions, deletions, substitutions and swaps of adjacent characters).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace nnc::support {

/// Edit distance between `a` and `b`, counting an adjacent swap as one edit.
size_t editDistance(std::string_view a, std::string_view b, bool ignoreCase = false);
/// The candidate closest to `name` if it is close enough to be a likely typo
/// (at most a third of the name's length, and at least one edit); else empty.
std::string closestName(std::string_view name, const std::vector<std::string> &candidates,
                        bool ignoreCase = false);
/// "; did you mean 'relu'?" for the closest candidate, or "".
std::string didYouMean(std::string_view name, const std::vector<std::string> &candidates);

} // namespace nnc::support
