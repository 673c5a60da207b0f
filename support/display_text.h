// Text from a user's file shown in a message: control bytes (an ESC sequence,
// a NUL) and bytes that are not UTF-8 must not reach the terminal raw.
#pragma once
#include <string>
#include <string_view>

namespace nnc::support {

/// Length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no
/// surrogates, at most U+10FFFF) at byte `i` of `text`, or 0 if the bytes there
/// are not one.
size_t utf8SequenceLength(std::string_view text, size_t i);

/// `text` with C0 control bytes other than tab, DEL, the C1 controls
/// U+0080..U+009F and bytes that are not well-formed UTF-8 written as \xNN
/// (one per byte); tabs and other UTF-8 characters are kept as they are.
std::string displayText(std::string_view text);

} // namespace nnc::support
