// The pure parts of the protocol modes: open-loop schedules, COPY rows,
// how connections are shared between threads, and the Kafka client
// configuration (which must carry the caller's settings and nothing else).
#include "bench/protocols/protocol_load.h"

#include <gtest/gtest.h>

#include <set>

#include "bench/protocols/kafka_load.h"
#include "bench/protocols/postgres_load.h"

namespace plprobe::bench {
namespace {

using namespace std::chrono_literals;

TEST(Schedule, ClosedLoopHasNoSchedule) {
  LoadShape shape;
  shape.connections = 4;
  EXPECT_FALSE(Schedule(shape, 0, Clock::now()).open_loop());
}

TEST(Schedule, SpreadsTheRateEvenlyOverConnections) {
  // 100/s over 4 connections: each sends every 40 ms, connection i starting
  // i * 10 ms after the start, so together one request every 10 ms.
  LoadShape shape;
  shape.connections = 4;
  shape.rate = 100;
  const auto start = Clock::now();
  std::set<Clock::duration> offsets;
  for (std::size_t i = 0; i < shape.connections; ++i) {
    Schedule schedule(shape, i, start);
    ASSERT_TRUE(schedule.open_loop());
    const auto first = schedule.peek();
    EXPECT_EQ(schedule.next(), first) << "peek() does not advance";
    EXPECT_EQ(std::chrono::round<std::chrono::microseconds>(first - start),
              std::chrono::microseconds(10'000 * static_cast<int>(i)));
    EXPECT_EQ(std::chrono::round<std::chrono::microseconds>(schedule.peek() - first), std::chrono::microseconds(40'000));
    offsets.insert(std::chrono::round<std::chrono::microseconds>(first - start));
    for (int k = 0; k < 4; ++k) offsets.insert(std::chrono::round<std::chrono::microseconds>(schedule.next() - start));
  }
  EXPECT_EQ(offsets.size(), 20u) << "no two connections are due at the same time";
  EXPECT_EQ(*offsets.rbegin() - *offsets.begin(), std::chrono::microseconds(190'000));
}

TEST(Share, EveryConnectionBelongsToExactlyOneThread) {
  LoadShape shape;
  shape.connections = 10;
  shape.threads = 4;
  std::size_t expected_first = 0;
  for (std::size_t i = 0; i < shape.threads; ++i) {
    const auto [first, count] = share(shape, i);
    EXPECT_EQ(first, expected_first);
    EXPECT_EQ(count, i < 2 ? 3u : 2u);
    expected_first += count;
  }
  EXPECT_EQ(expected_first, shape.connections);
}

TEST(CopyRow, IsExactlyOneRowOfTheAdvertisedWidth) {
  for (std::uint64_t n : {0ull, 7ull, 123456789ull}) {
    const std::string row = copy_row(n);
    EXPECT_EQ(row.size(), kCopyRowBytes);
    EXPECT_EQ(row.back(), '\n');
    EXPECT_EQ(row.find('\n'), kCopyRowBytes - 1);
    EXPECT_EQ(std::stoull(row.substr(0, row.find('\t'))), n);
  }
}

TEST(KafkaConfig, CarriesTheSettingsAndTheSecretOnlyForTheClient) {
  KafkaLoadOptions options;
  options.bootstrap = "127.0.0.1:9092";
  options.acks = "1";
  options.timeout = 750ms;
  options.tls = true;
  options.sasl.sasl_mechanism = "SCRAM-SHA-512";
  options.sasl.sasl_user = "u";
  options.sasl.sasl_password = "s3cret";
  options.extra_config = {{"linger.ms", "0"}};
  std::map<std::string, std::string> config;
  for (const auto& [key, value] : kafka_config(options)) config[key] = value;
  EXPECT_EQ(config["bootstrap.servers"], "127.0.0.1:9092");
  EXPECT_EQ(config["acks"], "1");
  EXPECT_EQ(config["message.timeout.ms"], "750");
  EXPECT_EQ(config["security.protocol"], "sasl_ssl");
  EXPECT_EQ(config["sasl.mechanisms"], "SCRAM-SHA-512");
  EXPECT_EQ(config["sasl.password"], "s3cret");
  EXPECT_EQ(config["linger.ms"], "0");
  KafkaLoad load(options);
  EXPECT_EQ(load.summary().dump().find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace plprobe::bench
