// PostgreSQL start-up codec: the work the probe does per connection besides
// waiting (probes/postgres/postgres_messages.h).
#include <benchmark/benchmark.h>

#include <string>

#include "probes/postgres/postgres_messages.h"

namespace pg = plprobe::probes::postgres;

namespace {

std::string message(char type, const std::string& body) {
  const auto length = static_cast<std::uint32_t>(body.size() + 4);
  std::string out(1, type);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((length >> shift) & 0xff));
  return out + body;
}

std::string int32(std::uint32_t value) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
  return out;
}

void BM_PostgresStartupMessage(benchmark::State& state) {
  for (auto _ : state) {
    auto startup = pg::startup_message({{"user", "clickpipes"}, {"database", "app"}, {"application_name", "plprobe"}});
    benchmark::DoNotOptimize(startup);
  }
}
BENCHMARK(BM_PostgresStartupMessage);

void BM_PostgresParseSaslRequest(benchmark::State& state) {
  std::string body = int32(10);
  body += std::string("SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0", 34);
  std::string why;
  for (auto _ : state) {
    auto request = pg::parse_authentication(body, why);
    benchmark::DoNotOptimize(request);
  }
}
BENCHMARK(BM_PostgresParseSaslRequest);

void BM_PostgresParseErrorResponse(benchmark::State& state) {
  const std::string body = std::string(
      "SFATAL\0VFATAL\0C28000\0Mno pg_hba.conf entry for host \"10.0.1.17\", user \"clickpipes\", database \"app\", "
      "no encryption\0Fauth.c\0L543\0RClientAuthentication\0\0",
      141);
  std::string why;
  for (auto _ : state) {
    auto fields = pg::parse_error_fields(body, why);
    benchmark::DoNotOptimize(fields);
  }
}
BENCHMARK(BM_PostgresParseErrorResponse);

// A trusted start-up: AuthenticationOk, ParameterStatus x3, BackendKeyData,
// ReadyForQuery, framed and decoded.
void BM_PostgresTrustSequence(benchmark::State& state) {
  const std::string stream = message('R', int32(0)) + message('S', std::string("server_version\0" "15.4\0", 20)) +
                             message('S', std::string("server_encoding\0UTF8\0", 21)) +
                             message('S', std::string("is_superuser\0off\0", 17)) +
                             message('K', int32(42) + int32(7)) + message('Z', "I");
  for (auto _ : state) {
    std::string_view rest = stream;
    std::string why;
    int messages = 0;
    while (!rest.empty()) {
      pg::Frame frame;
      std::size_t size = 0;
      if (pg::next_frame(rest, pg::kMaxStartupMessageBody, frame, size, why) != pg::Framing::complete) break;
      if (frame.type == 'S') benchmark::DoNotOptimize(pg::parse_parameter_status(frame.body));
      if (frame.type == 'R') benchmark::DoNotOptimize(pg::parse_authentication(frame.body, why));
      rest.remove_prefix(size);
      ++messages;
    }
    benchmark::DoNotOptimize(messages);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(stream.size()));
}
BENCHMARK(BM_PostgresTrustSequence);

}  // namespace
