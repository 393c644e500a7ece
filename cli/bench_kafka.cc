// plprobe bench kafka: librdkafka produce or consume loop (bench/protocols/kafka_load.h).
#include <memory>

#include <fmt/format.h>

#include "bench/protocols/kafka_load.h"
#include "cli/bench_protocol_flags.h"
#include "cli/options.h"

namespace plprobe::cli {
namespace {

constexpr const char* kKafkaHelp = R"(Load shapes:
  closed loop (the default): produce as fast as librdkafka's queue takes messages; latency runs
      from each send to its delivery report.
  open loop (--rate R/s): one message every 1/R s whatever the broker does; latency runs from
      each message's scheduled send time to its delivery report, so a stalled broker shows in
      the percentiles (coordinated omission corrected, as wrk2 does).
  --consume: read the topic from its oldest offset; latency is each message's age on arrival
      (now minus its CreateTime, millisecond resolution).)";

struct KafkaFlags {
  std::string target;
  bench::RunOptions run;
  std::string topic;
  bool produce = false;
  bool consume = false;
  std::size_t message_size = 100;
  std::string acks = "all";
  std::string rate;
  std::string timeout = "5s";
  std::string sasl_mechanism;
  std::string sasl_user;
  std::string sasl_password_file;
  std::string ca_file;
};

int run_kafka(KafkaFlags& flags) {
  const auto target = parse_protocol_target(flags.target, {"kafka", "kafka+tls"});
  if (!is_valid_topic_name(flags.topic)) {
    throw UsageError(fmt::format("--topic '{}' is not a Kafka topic name", flags.topic),
                     "topic names are 1 to 249 letters, digits, '.', '_' or '-'");
  }
  if (flags.produce && flags.consume) throw UsageError("--produce and --consume do not go together");
  if (flags.acks == "-1") flags.acks = "all";
  if (flags.acks != "all" && flags.acks != "0" && flags.acks != "1") {
    throw UsageError(fmt::format("--acks '{}' is not all, 1 or 0", flags.acks),
                     "all waits for every in-sync replica (what ClickPipes' producers see with acks=all)");
  }
  bench::KafkaLoadOptions options;
  // librdkafka connects to the bootstrap as given (a name keeps TLS
  // verification by name) and then to the brokers it advertises.
  options.bootstrap = target.target.host.find(':') != std::string::npos
                          ? fmt::format("[{}]:{}", target.target.host, target.target.port)
                          : fmt::format("{}:{}", target.target.host, target.target.port);
  options.topic = flags.topic;
  options.consume = flags.consume;
  options.message_size = flags.message_size;
  options.acks = flags.acks;
  if (!flags.rate.empty()) options.rate = parse_rate("--rate", flags.rate);
  if (options.rate > 0 && options.consume) throw UsageError("--rate applies to --produce only");
  options.timeout = parse_duration_option("--timeout", flags.timeout);
  options.tls = target.target.scheme->tls_first;
  options.ca_file = flags.ca_file;
  if (!flags.sasl_mechanism.empty()) {
    options.sasl.sasl_mechanism = parse_sasl_mechanism(flags.sasl_mechanism);
    if (flags.sasl_user.empty()) throw UsageError("--sasl-mechanism needs --sasl-user");
    options.sasl.sasl_user = flags.sasl_user;
    options.sasl.sasl_password = read_secret("--sasl-password-file", flags.sasl_password_file, "PLPROBE_SASL_PASSWORD");
    if (options.sasl.sasl_password.empty()) {
      throw UsageError("no SASL password given",
                       "set PLPROBE_SASL_PASSWORD or pass --sasl-password-file FILE (never on the command line)");
    }
  } else if (!flags.sasl_user.empty() || !flags.sasl_password_file.empty()) {
    throw UsageError("--sasl-user and --sasl-password-file need --sasl-mechanism",
                     "add --sasl-mechanism PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
  }

  bench::RunInfo info;
  info.mode = "kafka";
  info.settings = Json{{"target", flags.target},
                       {"bootstrap", options.bootstrap},
                       {"topic", options.topic},
                       {"direction", options.consume ? "consume" : "produce"},
                       {"message_size", options.message_size},
                       {"acks", options.acks},
                       {"rate", options.rate > 0 ? Json(options.rate) : Json(nullptr)},
                       {"loop", options.rate > 0 ? "open" : "closed"},
                       {"tls", options.tls},
                       {"sasl_mechanism", options.sasl.sasl_mechanism},
                       {"timeout_s", std::chrono::duration<double>(options.timeout).count()}};
  bench::KafkaLoad load(std::move(options));
  return run_protocol_mode(load, std::move(info), flags.run);
}

}  // namespace

void add_bench_kafka(CLI::App& command, Run& run) {
  auto flags = std::make_shared<KafkaFlags>();
  command.add_option("target", flags->target, "kafka://HOST[:9092] or kafka+tls://HOST:PORT (the bootstrap broker)")
      ->required();
  add_run_options(command, flags->run);
  command.add_option("--topic", flags->topic, "Topic to produce to or consume from")->required();
  command.add_flag("--produce", flags->produce, "Produce messages (the default)");
  command.add_flag("--consume", flags->consume, "Consume the topic from its oldest offset instead");
  command.add_option("--msg-size", flags->message_size, "Payload bytes per message [100]")
      ->check(CLI::Range(static_cast<std::size_t>(1), static_cast<std::size_t>(1000000)));
  command.add_option("--acks", flags->acks, "all, 1 or 0 [all]");
  command.add_option("--rate", flags->rate, "Open loop: messages per second, e.g. 5000/s (see below)");
  command.add_option("--timeout", flags->timeout, "A message not delivered within this counts as failed [5s]");
  command.add_option("--sasl-mechanism", flags->sasl_mechanism, "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
  command.add_option("--sasl-user", flags->sasl_user, "SASL user name");
  command.add_option("--sasl-password-file", flags->sasl_password_file,
                     "File holding the SASL password (else PLPROBE_SASL_PASSWORD; never on the command line)");
  command.add_option("--ca", flags->ca_file, "CA file for kafka+tls:// [the system's CAs]");
  command.footer(kKafkaHelp);
  run = [flags] { return run_kafka(*flags); };
}

}  // namespace plprobe::cli
