// plprobe_kafka_perf_peer: the producer loop of librdkafka's own benchmark,
// examples/rdkafka_performance.c (-P mode), re-implemented for
// bench/kafka_produce.sh because Debian does not package rdkafka_performance.
//
// Faithful to it where it matters for msgs/s: the same configuration
// (linger.ms=1000, message.send.max.retries=3, retry.backoff.ms=500 as its
// main() sets, then -a acks and -X overrides), one payload buffer of -s
// bytes handed over without a copy (sendflags 0), the unassigned partition,
// rd_kafka_produce() in a tight loop with rd_kafka_poll(rk, 0) after every
// message and rd_kafka_poll(rk, 10) on QUEUE_FULL, delivery reports counted
// in the dr_msg_cb. What differs: it runs for -d seconds instead of -c
// messages (so both tools run for the same time) and prints one JSON line:
//   {"delivered": N, "failed": F, "seconds": S, "msgs_per_s": R, "mb_per_s": M}
// counting the deliveries reported within the -d seconds.
//
//   plprobe_kafka_perf_peer -b BOOTSTRAP -t TOPIC [-s 100] [-a all] [-d 10] [-X key=value]...
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Counts {
  unsigned long long delivered = 0;
  unsigned long long failed = 0;
  unsigned long long bytes = 0;
  bool counting = true;
};

void msg_delivered(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* counts = static_cast<Counts*>(opaque);
  if (!counts->counting) return;
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++counts->failed;
  } else {
    ++counts->delivered;
    counts->bytes += message->len;
  }
}

[[noreturn]] void usage(const char* problem) {
  std::fprintf(stderr, "plprobe_kafka_perf_peer: %s\n", problem);
  std::fprintf(stderr, "usage: plprobe_kafka_perf_peer -b BOOTSTRAP -t TOPIC [-s SIZE] [-a ACKS] [-d SECONDS] [-X key=value]...\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string brokers;
  std::string topic;
  int msgsize = 100;
  double seconds = 10;
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // rdkafka_performance.c main(): "Producer config".
  rd_kafka_conf_set(conf, "linger.ms", "1000", nullptr, 0);
  rd_kafka_conf_set(conf, "message.send.max.retries", "3", nullptr, 0);
  rd_kafka_conf_set(conf, "retry.backoff.ms", "500", nullptr, 0);
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage("every flag takes a value");
    const char* value = argv[++i];
    if (flag == "-b") {
      brokers = value;
    } else if (flag == "-t") {
      topic = value;
    } else if (flag == "-s") {
      msgsize = std::atoi(value);
    } else if (flag == "-d") {
      seconds = std::atof(value);
    } else if (flag == "-a" || flag == "-X") {
      std::string name = flag == "-a" ? "acks" : value;
      std::string setting = flag == "-a" ? value : "";
      if (flag == "-X") {
        const auto equals = name.find('=');
        if (equals == std::string::npos) usage("-X takes key=value");
        setting = name.substr(equals + 1);
        name.resize(equals);
      }
      if (rd_kafka_conf_set(conf, name.c_str(), setting.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        usage(errstr);
      }
    } else {
      usage("unknown flag");
    }
  }
  if (brokers.empty() || topic.empty() || msgsize <= 0 || seconds <= 0) usage("-b, -t, a positive -s and -d are needed");
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), nullptr, 0);
  Counts counts;
  rd_kafka_conf_set_opaque(conf, &counts);
  rd_kafka_conf_set_dr_msg_cb(conf, msg_delivered);

  // The payload outlives the handle: messages refer to it (no copy).
  std::vector<char> sbuf(static_cast<std::size_t>(msgsize));
  const char* pattern = "librdkafka_performance testing!";
  for (std::size_t i = 0; i < sbuf.size(); ++i) sbuf[i] = pattern[i % std::strlen(pattern)];

  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == nullptr) usage(errstr);
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);

  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (Clock::now() < end) {
    while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, 0, sbuf.data(), sbuf.size(), nullptr, 0, nullptr) == -1) {
      if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        std::fprintf(stderr, "produce error: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
        return 1;
      }
      rd_kafka_poll(rk, 10);  // backpressure: serve delivery reports
      if (Clock::now() >= end) break;
    }
    rd_kafka_poll(rk, 0);
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  counts.counting = false;
  rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_flush(rk, 2000);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  std::printf("{\"delivered\": %llu, \"failed\": %llu, \"seconds\": %.3f, \"msgs_per_s\": %.0f, \"mb_per_s\": %.2f}\n",
              counts.delivered, counts.failed, elapsed, static_cast<double>(counts.delivered) / elapsed,
              static_cast<double>(counts.bytes) / elapsed / 1e6);
  return 0;
}
