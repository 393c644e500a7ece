// Human durations on the command line: "3s", "500ms", "1.5s", "2m", "250us".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace plprobe {

// A bare number means seconds. Returns nullopt for anything else, including
// negative values and values over a day (almost certainly a typo).
std::optional<std::chrono::microseconds> parse_duration(std::string_view text);

// "1.5s", "250ms", "3m": the shortest exact-enough spelling.
std::string format_duration(std::chrono::microseconds value);

}  // namespace plprobe
