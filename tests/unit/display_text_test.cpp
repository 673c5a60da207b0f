// support/display_text.h: control bytes and bytes that are not UTF-8 become
// \xNN, tabs and UTF-8 text stay as they are.
#include "support/display_text.h"

#include <gtest/gtest.h>

using nnc::support::displayText;

TEST(DisplayText, EscapesControlBytes) {
  EXPECT_EQ(displayText(std::string_view("a\x1b[31mb\0c\x7f\r\n", 12)),
            "a\\x1B[31mb\\x00c\\x7F\\x0D\\x0A");
}

TEST(DisplayText, KeepsTabsAndUtf8) {
  EXPECT_EQ(displayText("\tcaf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x99\x82"),
            "\tcaf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x99\x82");
}

TEST(DisplayText, EscapesC1ControlsAndBadUtf8) {
  EXPECT_EQ(displayText("\xc2\x9b"
                        "2J"),
            "\\xC2\\x9B2J");                                            // U+009B CSI
  EXPECT_EQ(displayText("\xc2\xa0"), "\xc2\xa0");                       // U+00A0 is text
  EXPECT_EQ(displayText("\xff\xc3(\xc0\xaf"), "\\xFF\\xC3(\\xC0\\xAF"); // overlong '/'
  EXPECT_EQ(displayText("\xc3"), "\\xC3");                              // cut at the end
}
