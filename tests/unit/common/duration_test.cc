#include "common/duration.h"

#include <gtest/gtest.h>

namespace plprobe {
namespace {

using std::chrono::microseconds;

TEST(ParseDuration, AcceptsUnitsAndBareSeconds) {
  EXPECT_EQ(parse_duration("3s"), microseconds(3'000'000));
  EXPECT_EQ(parse_duration("500ms"), microseconds(500'000));
  EXPECT_EQ(parse_duration("1.5s"), microseconds(1'500'000));
  EXPECT_EQ(parse_duration("250us"), microseconds(250));
  EXPECT_EQ(parse_duration("2m"), microseconds(120'000'000));
  EXPECT_EQ(parse_duration("1h"), microseconds(3'600'000'000LL));
  EXPECT_EQ(parse_duration("2"), microseconds(2'000'000));
}

TEST(ParseDuration, RejectsGarbageNegativesAndAbsurdValues) {
  for (const char* bad : {"", "s", "3 s", "-1s", "3x", "1e400", "nan", "2d", "25h", "abc"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

TEST(FormatDuration, PrintsShortForms) {
  EXPECT_EQ(format_duration(microseconds(3'000'000)), "3s");
  EXPECT_EQ(format_duration(microseconds(1'500'000)), "1.5s");
  EXPECT_EQ(format_duration(microseconds(250'000)), "250ms");
  EXPECT_EQ(format_duration(microseconds(120'000'000)), "2m");
  EXPECT_EQ(format_duration(microseconds(7)), "7us");
}

}  // namespace
}  // namespace plprobe
