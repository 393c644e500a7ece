#include "bench/protocols/kafka_load.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace plprobe::bench {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

// How long one consumer poll may block: the window's end is noticed
// within this.
constexpr milliseconds kConsumePoll{100};

// What the producer's callbacks need; lives on run()'s stack and is
// reached through the rd_kafka_t's opaque.
struct Context {
  Recorder* recorder = nullptr;
  const RunWindow* window = nullptr;
  bool counting = true;               // false once the window is over
  std::string last_transport_error;   // from error_cb: what kept us from the brokers
  std::uint64_t outstanding = 0;      // produced, not yet reported
  // When a non-blocking rd_kafka_poll() began: every report it serves was
  // already queued then, so that is when the producer learnt of it (one
  // clock read per loop instead of one per report). Epoch: read the clock.
  Clock::time_point polled_at{};
};

std::int64_t to_ticks(Clock::time_point at) { return at.time_since_epoch().count(); }
Clock::time_point from_ticks(std::int64_t ticks) { return Clock::time_point(Clock::duration(ticks)); }

Code classify(rd_kafka_resp_err_t err, const Context& context) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      if (context.last_transport_error.find("Connection refused") != std::string::npos) return Code::tcp_refused;
      if (!context.last_transport_error.empty()) return Code::kafka_broker_unreachable;
      return Code::protocol_timeout;
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
      return Code::kafka_broker_unreachable;
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
      return err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ? Code::kafka_auth_failed : Code::kafka_topic_missing;
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
      return Code::kafka_auth_failed;
    case RD_KAFKA_RESP_ERR__SSL:
      return Code::tls_handshake_failed;
    default:
      return Code::kafka_protocol_error;
  }
}

void on_error(rd_kafka_t*, int err, const char* reason, void* opaque) {
  auto* context = static_cast<Context*>(opaque);
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  if (code == RD_KAFKA_RESP_ERR__TRANSPORT || code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
      code == RD_KAFKA_RESP_ERR__RESOLVE) {
    // ALL_BROKERS_DOWN says nothing new; keep the first reason that did.
    if (code != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || context->last_transport_error.empty()) {
      context->last_transport_error = reason != nullptr ? reason : "transport error";
    }
  }
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* context = static_cast<Context*>(opaque);
  --context->outstanding;
  if (!context->counting) return;
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    context->recorder->failure(Clock::now(), name(classify(message->err, *context)));
    return;
  }
  // A delivery means the brokers are reachable again.
  context->last_transport_error.clear();
  const auto sent = from_ticks(reinterpret_cast<std::intptr_t>(message->_private));
  const auto seen = context->polled_at != Clock::time_point{} ? context->polled_at : Clock::now();
  context->recorder->success(sent, std::max(seen, sent), message->len);
}

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

// A configured handle, or nullptr with `error` set.
KafkaHandle make_client(const KafkaLoadOptions& options, rd_kafka_type_t type, Context& context, std::string& error) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char reason[512];
  for (const auto& [key, value] : kafka_config(options)) {
    // Producer-only properties (librdkafka warns about them on a consumer).
    if (type == RD_KAFKA_CONSUMER && (key == "acks" || key == "message.timeout.ms")) continue;
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), reason, sizeof(reason)) != RD_KAFKA_CONF_OK) {
      error = fmt::format("librdkafka refused {}: {}", key, reason);
      rd_kafka_conf_destroy(conf);
      return nullptr;
    }
  }
  if (type == RD_KAFKA_CONSUMER) {
    rd_kafka_conf_set(conf, "group.id", "plprobe-bench", nullptr, 0);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", nullptr, 0);
    rd_kafka_conf_set(conf, "enable.partition.eof", "false", nullptr, 0);
  }
  rd_kafka_conf_set_opaque(conf, &context);
  // librdkafka's own log lines would interleave with the report; what they
  // say reaches the run as counted outcome codes (error_cb, delivery reports).
  rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t*, int, const char*, const char*) {});
  rd_kafka_conf_set_error_cb(conf, on_error);
  if (type == RD_KAFKA_PRODUCER) rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t* rk = rd_kafka_new(type, conf, reason, sizeof(reason));  // owns conf on success
  if (rk == nullptr) {
    error = reason;
    rd_kafka_conf_destroy(conf);
  }
  return KafkaHandle(rk);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> kafka_config(const KafkaLoadOptions& options) {
  const auto timeout_ms = std::max<std::int64_t>(1, duration_cast<milliseconds>(options.timeout).count());
  std::vector<std::pair<std::string, std::string>> config = {
      {"bootstrap.servers", options.bootstrap},
      {"client.id", "plprobe-bench"},
      {"acks", options.acks},
      // Every message is settled within the timeout: delivered or failed.
      {"message.timeout.ms", std::to_string(timeout_ms)},
      {"socket.connection.setup.timeout.ms", std::to_string(std::max<std::int64_t>(1000, timeout_ms))},
      // IP literals only: no resolver, and no fallback to other families.
      {"broker.address.family", "any"},
  };
  const bool sasl = !options.sasl.sasl_mechanism.empty();
  config.emplace_back("security.protocol", options.tls ? (sasl ? "sasl_ssl" : "ssl") : (sasl ? "sasl_plaintext" : "plaintext"));
  if (options.tls && !options.ca_file.empty()) config.emplace_back("ssl.ca.location", options.ca_file);
  if (sasl) {
    config.emplace_back("sasl.mechanisms", options.sasl.sasl_mechanism);
    config.emplace_back("sasl.username", options.sasl.sasl_user);
    config.emplace_back("sasl.password", options.sasl.sasl_password);
  }
  config.insert(config.end(), options.extra_config.begin(), options.extra_config.end());
  return config;
}

void KafkaLoad::run(std::size_t, Recorder& recorder, const RunWindow& window) {
  if (options_.consume) {
    consume(recorder, window);
  } else {
    produce(recorder, window);
  }
}

void KafkaLoad::produce(Recorder& recorder, const RunWindow& window) {
  Context context;
  context.recorder = &recorder;
  context.window = &window;
  // Every message points into this one buffer (no copy, as
  // rdkafka_performance); it outlives the handle.
  const std::string payload(options_.message_size, 'p');
  std::string error;
  KafkaHandle rk = make_client(options_, RD_KAFKA_PRODUCER, context, error);
  if (!rk) {
    recorder.failure(Clock::now(), name(Code::kafka_protocol_error));
    return;
  }
  rd_kafka_topic_t* topic = rd_kafka_topic_new(rk.get(), options_.topic.c_str(), nullptr);
  LoadShape shape;
  shape.rate = options_.rate;
  Schedule pacer(shape, 0, window.start);
  for (auto now = Clock::now(); !window.over(now); now = Clock::now()) {
    Clock::time_point start = now;
    if (pacer.open_loop()) {
      start = pacer.next();
      // Serve delivery reports while waiting; the last millisecond by sleeping.
      for (auto waited = Clock::now(); waited < start && !window.over(waited); waited = Clock::now()) {
        const auto left = duration_cast<milliseconds>(start - waited).count();
        if (left >= 2) {
          rd_kafka_poll(rk.get(), static_cast<int>(left - 1));
        } else {
          std::this_thread::sleep_until(start);
        }
      }
      if (window.over()) break;
    }
    // No copy (flags 0) and the unassigned partition, as rdkafka_performance.
    bool queued = true;
    while (rd_kafka_produce(topic, RD_KAFKA_PARTITION_UA, 0, const_cast<char*>(payload.data()),
                            payload.size(), nullptr, 0,
                            reinterpret_cast<void*>(static_cast<std::intptr_t>(to_ticks(start)))) == -1) {
      const rd_kafka_resp_err_t err = rd_kafka_last_error();
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        recorder.failure(Clock::now(), name(classify(err, context)));
        rd_kafka_poll(rk.get(), 10);  // do not spin on a permanent error
        queued = false;
        break;
      }
      // The local queue is full: the closed loop waits for deliveries.
      rd_kafka_poll(rk.get(), 10);
      if (window.over()) {
        queued = false;
        break;
      }
    }
    if (queued) ++context.outstanding;
    context.polled_at = pacer.open_loop() ? Clock::now() : now;
    rd_kafka_poll(rk.get(), 0);
    context.polled_at = {};
  }
  context.counting = false;
  // Messages time out after `timeout` anyway: no point waiting longer.
  const auto drain = std::min<Clock::duration>(kDrainTime, options_.timeout);
  rd_kafka_flush(rk.get(), static_cast<int>(std::max<std::int64_t>(1, duration_cast<milliseconds>(drain).count())));
  rd_kafka_purge(rk.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(rk.get(), 0);
  rd_kafka_topic_destroy(topic);
}

void KafkaLoad::consume(Recorder& recorder, const RunWindow& window) {
  Context context;
  context.recorder = &recorder;
  context.window = &window;
  std::string error;
  KafkaHandle rk = make_client(options_, RD_KAFKA_CONSUMER, context, error);
  if (!rk) {
    recorder.failure(Clock::now(), name(Code::kafka_protocol_error));
    return;
  }
  // The partitions: from the topic's metadata, retried until the window ends.
  rd_kafka_topic_partition_list_t* partitions = nullptr;
  while (partitions == nullptr && !window.over()) {
    rd_kafka_topic_t* topic = rd_kafka_topic_new(rk.get(), options_.topic.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    const auto timeout_ms = duration_cast<milliseconds>(std::min(options_.timeout, window.end - Clock::now())).count();
    rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk.get(), 0, topic, &metadata, static_cast<int>(std::max<std::int64_t>(timeout_ms, 1)));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1) err = metadata->topics[0].err;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topics[0].partition_cnt > 0) {
      partitions = rd_kafka_topic_partition_list_new(metadata->topics[0].partition_cnt);
      for (int i = 0; i < metadata->topics[0].partition_cnt; ++i) {
        rd_kafka_topic_partition_list_add(partitions, options_.topic.c_str(), metadata->topics[0].partitions[i].id)
            ->offset = RD_KAFKA_OFFSET_BEGINNING;
      }
    } else if (!window.over()) {
      recorder.failure(Clock::now(), name(classify(err == RD_KAFKA_RESP_ERR_NO_ERROR ? RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC : err, context)));
      std::this_thread::sleep_for(kReconnectPause);
    }
    if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
    rd_kafka_topic_destroy(topic);
  }
  if (partitions == nullptr) return;
  partitions_ = static_cast<std::uint64_t>(partitions->cnt);
  rd_kafka_poll_set_consumer(rk.get());
  rd_kafka_assign(rk.get(), partitions);
  rd_kafka_topic_partition_list_destroy(partitions);
  while (!window.over()) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(rk.get(), static_cast<int>(kConsumePoll.count()));
    if (message == nullptr) continue;
    if (window.over()) {
      rd_kafka_message_destroy(message);
      break;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) recorder.failure(Clock::now(), name(classify(message->err, context)));
    } else {
      rd_kafka_timestamp_type_t type;
      const std::int64_t created_ms = rd_kafka_message_timestamp(message, &type);
      Clock::duration age{0};
      if (type == RD_KAFKA_TIMESTAMP_CREATE_TIME && created_ms > 0) {
        const auto now_ms =
            duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        if (now_ms > created_ms) age = milliseconds(now_ms - created_ms);
      }
      // Counted by arrival (the window judges `start`), timed by age:
      // a backlog produced before the run is consumed inside it.
      const auto now = Clock::now();
      recorder.success(now, now + age, message->len);
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(rk.get());
}

Json KafkaLoad::summary() const {
  Json out = {{"topic", options_.topic}};
  if (options_.consume) {
    out["partitions"] = partitions_;
  } else {
    out["message_size"] = options_.message_size;
    out["acks"] = options_.acks;
  }
  return out;
}

}  // namespace plprobe::bench
