#include "common/duration.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace plprobe {

std::optional<std::chrono::microseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || !std::isfinite(value) || value < 0) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  double scale = 0;  // microseconds per unit
  if (unit.empty() || unit == "s") scale = 1e6;
  else if (unit == "ms") scale = 1e3;
  else if (unit == "us") scale = 1;
  else if (unit == "m" || unit == "min") scale = 60e6;
  else if (unit == "h") scale = 3600e6;
  else return std::nullopt;
  const double micros = value * scale;
  constexpr double kOneDay = 86400e6;
  if (micros > kOneDay) return std::nullopt;
  return std::chrono::microseconds(static_cast<long long>(std::llround(micros)));
}

std::string format_duration(std::chrono::microseconds value) {
  const auto us = value.count();
  if (us % 60'000'000 == 0 && us != 0) return fmt::format("{}m", us / 60'000'000);
  if (us >= 1'000'000) return fmt::format("{:g}s", static_cast<double>(us) / 1e6);
  if (us >= 1000) return fmt::format("{:g}ms", static_cast<double>(us) / 1e3);
  return fmt::format("{}us", us);
}

}  // namespace plprobe
