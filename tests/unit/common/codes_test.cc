#include "common/codes.h"

#include <set>

#include <gtest/gtest.h>

namespace plprobe {
namespace {

TEST(Codes, EveryEntrySitsAtTheIndexOfItsCode) {
  const auto codes = all_codes();
  for (std::size_t i = 0; i < codes.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(codes[i].code), i) << codes[i].name;
  }
}

TEST(Codes, NamesAreUniqueSnakeCaseAndRoundTrip) {
  std::set<std::string_view> seen;
  for (const auto& entry : all_codes()) {
    EXPECT_TRUE(seen.insert(entry.name).second) << "duplicate " << entry.name;
    for (char c : entry.name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9')) << entry.name;
    ASSERT_TRUE(code_from_name(entry.name).has_value());
    EXPECT_EQ(*code_from_name(entry.name), entry.code);
  }
  EXPECT_FALSE(code_from_name("no_such_code").has_value());
}

TEST(Codes, EveryFailureHasAPhaseASummaryAndAHint) {
  for (const auto& entry : all_codes()) {
    if (entry.code == Code::ok) continue;
    EXPECT_FALSE(entry.phase.empty()) << entry.name;
    EXPECT_FALSE(entry.summary.empty()) << entry.name;
    EXPECT_GT(entry.hint.size(), 20u) << entry.name << " needs a hint that says what to do";
  }
}

TEST(Codes, AreUsableAsErrorCodes) {
  boost::system::error_code ec = Code::tcp_refused;
  EXPECT_EQ(ec.category().name(), std::string("plprobe"));
  EXPECT_EQ(ec.message(), std::string(info(Code::tcp_refused).summary));
  EXPECT_TRUE(ec);
  boost::system::error_code ok = Code::ok;
  EXPECT_FALSE(ok);
}

}  // namespace
}  // namespace plprobe
