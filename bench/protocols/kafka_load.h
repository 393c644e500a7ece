// `plprobe bench kafka`: librdkafka's producer (or consumer) in a loop.
//
// Produce: one thread calls rd_kafka_produce() for messages of
// `message_size` bytes to `topic` (partitioner's choice) and rd_kafka_poll()
// to serve delivery reports, as librdkafka's own rdkafka_performance does.
// A request is one message; it succeeds when its delivery report says so
// (with acks=all: every in-sync replica has it). Latency runs from the send
// time to the delivery report (closed loop: produce as fast as librdkafka's
// queue takes messages, waiting in rd_kafka_poll() when it is full), or from
// the message's *intended* send time with `rate` (open loop: messages are
// due every 1/rate s and a stalled broker shows up in the percentiles, as
// wrk2 does). Bytes: the payloads delivered.
//
// Consume: a consumer assigned every partition of `topic` from the oldest
// offset (no consumer group is joined and nothing is committed) polls until
// the window ends. A request is one message; bytes are payloads; latency is
// the message's age on arrival (now minus its CreateTime timestamp;
// millisecond resolution, and only as good as the producer's clock).
//
// Outcome codes of failed messages: the delivery report's error, as
// kafka_topic_missing, kafka_auth_failed, kafka_protocol_error; a message
// that timed out (message.timeout.ms = the timeout) counts as what kept
// librdkafka from the broker, as its error callback last said: tcp_refused
// (connection refused), kafka_broker_unreachable (other transport errors),
// or protocol_timeout (connected but no answer).
//
// Deliveries reported after the window's end are not counted; at the end
// the producer waits at most kDrainTime (or the timeout, if shorter) for
// what is in flight, then purges
// it, so a run never outlives its window by more than that.
//
// Threading: run() on one thread (librdkafka adds its own); recorder calls
// happen on that thread only (delivery reports are served by
// rd_kafka_poll()). Secrets: the SASL password goes to librdkafka's
// configuration only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bench/protocols/protocol_load.h"
#include "probes/settings.h"

namespace plprobe::bench {

// How long the producer waits for in-flight deliveries after the window
// before purging them: enough for a loopback or in-region broker to answer
// what was sent in the last moments, short enough not to delay the summary.
inline constexpr std::chrono::milliseconds kDrainTime{1000};

struct KafkaLoadOptions {
  std::string bootstrap;  // "host:port,host:port" (IP literals)
  std::string topic;
  bool consume = false;
  std::size_t message_size = 100;
  std::string acks = "all";  // "all", "1", "0"
  double rate = 0;           // messages/s; 0: closed loop
  Clock::duration timeout = std::chrono::seconds(5);
  bool tls = false;     // kafka+tls://
  std::string ca_file;  // empty: librdkafka's default (the system's CAs)
  probes::KafkaSettings sasl;  // mechanism, user, password (secret)
  // librdkafka properties set after plprobe's own (benchmarks and tests).
  std::vector<std::pair<std::string, std::string>> extra_config;
};

// The librdkafka configuration (key, value) the mode uses, secrets included:
// for the client only, never to print. Shared with the perf peer so that a
// benchmark compares the same producer settings.
std::vector<std::pair<std::string, std::string>> kafka_config(const KafkaLoadOptions& options);

class KafkaLoad final : public ProtocolLoad {
 public:
  explicit KafkaLoad(KafkaLoadOptions options) : options_(std::move(options)) {}
  std::size_t threads() const override { return 1; }
  void run(std::size_t index, Recorder& recorder, const RunWindow& window) override;
  Json summary() const override;

 private:
  void produce(Recorder& recorder, const RunWindow& window);
  void consume(Recorder& recorder, const RunWindow& window);
  KafkaLoadOptions options_;
  std::uint64_t partitions_ = 0;  // consume: partitions assigned
};

}  // namespace plprobe::bench
