// plprobe_kafka_mock_cluster: a Kafka cluster for tests and benchmarks,
// made of librdkafka's mock brokers (rdkafka_mock.h): real Kafka protocol
// on loopback, no JVM.
//
//   plprobe_kafka_mock_cluster [--brokers N] [--topic NAME[:PARTITIONS[:REPLICAS]]]...
//       [--down ID]... [--rtt ID:MS]... [--rack ID:RACK]...
//       [--error APIKEY:ERROR[:COUNT]]... [--broker-error ID:APIKEY:ERROR[:COUNT]]...
//       [--stdin-commands] [--lifetime SECONDS]
//
// Brokers are numbered 1..N and listen on 127.0.0.1 (INADDR_LOOPBACK in
// rdkafka_mock.c), each on a port of its own, and advertise "127.0.0.1"
// (librdkafka 2.0.2 has no way to advertise another name; the tests make
// that case with a Metadata-rewriting proxy instead). Once the cluster
// is up, one JSON line goes to stdout:
//   {"bootstrap":"127.0.0.1:P1,...","brokers":[{"id":1,"host":"127.0.0.1","port":P1},...],
//    "topics":[{"name":"t","partitions":3}]}
// Then it serves until SIGTERM or SIGINT, until --lifetime passes (default
// 600 s, so a forgotten peer never outlives a test run), until its parent
// dies (PR_SET_PDEATHSIG), or, with --stdin-commands, until stdin closes.
// With --stdin-commands each line is a command, answered "ok" or "error: ...":
//   down ID | up ID | rtt ID MS | error APIKEY ERROR [COUNT]
//   | broker-error ID APIKEY ERROR [COUNT] | quit
// (ID -1 means every broker, as in rdkafka_mock.h.)
//
// Request errors (--error, --broker-error) are answered by the mock's
// handlers that consult its error stack: ApiVersions (18) does, Metadata
// (3) does not in librdkafka 2.0.2.
//
// Exit status: 0 after a stop request, 2 for bad arguments, 1 when the
// cluster cannot start.
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <nlohmann/json.hpp>

namespace {

struct TopicSpec {
  std::string name;
  int partitions = 1;
  int replicas = 1;
};

struct RequestError {
  int broker = -1;  // -1: cluster-wide error stack
  int api_key = 0;
  int error = 0;
  int count = 1;
};

struct Options {
  int brokers = 3;
  std::vector<TopicSpec> topics;
  std::vector<int> down;
  std::vector<std::pair<int, int>> rtts;
  std::vector<std::pair<int, std::string>> racks;
  std::vector<RequestError> errors;
  bool stdin_commands = false;
  int lifetime_seconds = 600;
};

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr, "plprobe_kafka_mock_cluster: %s\n", problem.c_str());
  std::fprintf(stderr,
               "usage: plprobe_kafka_mock_cluster [--brokers N] [--topic NAME[:PARTITIONS[:REPLICAS]]]... "
               "[--down ID]... [--rtt ID:MS]... [--rack ID:RACK]... [--error APIKEY:ERROR[:COUNT]]... "
               "[--broker-error ID:APIKEY:ERROR[:COUNT]]... [--stdin-commands] [--lifetime SECONDS]\n");
  std::exit(2);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  return parts;
}

int number(const std::string& text, const std::string& what) {
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || value < -1000000 || value > 1000000) {
    usage(what + " '" + text + "' is not a number");
  }
  return static_cast<int>(value);
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--brokers") {
      options.brokers = number(value(), "--brokers");
      if (options.brokers < 1 || options.brokers > 64) usage("--brokers must be 1 to 64");
    } else if (flag == "--topic") {
      auto parts = split(value(), ':');
      if (parts.empty() || parts[0].empty() || parts.size() > 3) usage("--topic takes NAME[:PARTITIONS[:REPLICAS]]");
      TopicSpec topic{parts[0]};
      if (parts.size() > 1) topic.partitions = number(parts[1], "partitions");
      if (parts.size() > 2) topic.replicas = number(parts[2], "replicas");
      options.topics.push_back(topic);
    } else if (flag == "--down") {
      options.down.push_back(number(value(), "--down"));
    } else if (flag == "--rtt") {
      auto parts = split(value(), ':');
      if (parts.size() != 2) usage("--rtt takes ID:MS");
      options.rtts.emplace_back(number(parts[0], "broker id"), number(parts[1], "milliseconds"));
    } else if (flag == "--rack") {
      auto text = value();
      const auto colon = text.find(':');
      if (colon == std::string::npos) usage("--rack takes ID:RACK");
      options.racks.emplace_back(number(text.substr(0, colon), "broker id"), text.substr(colon + 1));
    } else if (flag == "--error" || flag == "--broker-error") {
      auto parts = split(value(), ':');
      const bool per_broker = flag == "--broker-error";
      const std::size_t base = per_broker ? 1 : 0;
      if (parts.size() < base + 2 || parts.size() > base + 3) usage(flag + " has the wrong number of fields");
      RequestError error;
      if (per_broker) error.broker = number(parts[0], "broker id");
      error.api_key = number(parts[base], "api key");
      error.error = number(parts[base + 1], "error code");
      if (parts.size() == base + 3) error.count = number(parts[base + 2], "count");
      options.errors.push_back(error);
    } else if (flag == "--stdin-commands") {
      options.stdin_commands = true;
    } else if (flag == "--lifetime") {
      options.lifetime_seconds = number(value(), "--lifetime");
    } else {
      usage("unknown flag " + flag);
    }
  }
  return options;
}

std::string push_error(rd_kafka_mock_cluster_t* cluster, const RequestError& error) {
  for (int n = 0; n < error.count; ++n) {
    if (error.broker < 0) {
      const rd_kafka_resp_err_t codes[] = {static_cast<rd_kafka_resp_err_t>(error.error)};
      rd_kafka_mock_push_request_errors_array(cluster, static_cast<int16_t>(error.api_key), 1, codes);
    } else {
      const auto result = rd_kafka_mock_broker_push_request_error_rtts(
          cluster, error.broker, static_cast<int16_t>(error.api_key), 1, static_cast<rd_kafka_resp_err_t>(error.error), 0);
      if (result != RD_KAFKA_RESP_ERR_NO_ERROR) return rd_kafka_err2str(result);
    }
  }
  return {};
}

std::string check(rd_kafka_resp_err_t result) {
  return result == RD_KAFKA_RESP_ERR_NO_ERROR ? std::string() : std::string(rd_kafka_err2str(result));
}

// One stdin command; the answer line.
std::string run_command(rd_kafka_mock_cluster_t* cluster, const std::string& line, bool& quit) {
  std::istringstream in(line);
  std::string verb;
  in >> verb;
  std::vector<int> args;
  int arg = 0;
  while (in >> arg) args.push_back(arg);
  std::string problem;
  if (verb == "quit") {
    quit = true;
  } else if (verb == "down" && args.size() == 1) {
    problem = check(rd_kafka_mock_broker_set_down(cluster, args[0]));
  } else if (verb == "up" && args.size() == 1) {
    problem = check(rd_kafka_mock_broker_set_up(cluster, args[0]));
  } else if (verb == "rtt" && args.size() == 2) {
    problem = check(rd_kafka_mock_broker_set_rtt(cluster, args[0], args[1]));
  } else if (verb == "error" && (args.size() == 2 || args.size() == 3)) {
    problem = push_error(cluster, {-1, args[0], args[1], args.size() == 3 ? args[2] : 1});
  } else if (verb == "broker-error" && (args.size() == 3 || args.size() == 4)) {
    problem = push_error(cluster, {args[0], args[1], args[2], args.size() == 4 ? args[3] : 1});
  } else {
    problem = "unknown command or wrong arguments";
  }
  return problem.empty() ? "ok" : "error: " + problem;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);

  // Block the stop signals before librdkafka starts its threads, so they
  // all inherit the mask and only the main loop sees them (sigtimedwait).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_PDEATHSIG, SIGTERM);

  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle only owns the mock cluster; it never connects anywhere.
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (handle == nullptr) {
    std::fprintf(stderr, "plprobe_kafka_mock_cluster: rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, options.brokers);
  if (cluster == nullptr) {
    std::fprintf(stderr, "plprobe_kafka_mock_cluster: cannot create the mock cluster\n");
    rd_kafka_destroy(handle);
    return 1;
  }

  int status = 0;
  nlohmann::json topics = nlohmann::json::array();
  for (const auto& topic : options.topics) {
    if (auto problem = check(rd_kafka_mock_topic_create(cluster, topic.name.c_str(), topic.partitions, topic.replicas));
        !problem.empty()) {
      std::fprintf(stderr, "plprobe_kafka_mock_cluster: topic %s: %s\n", topic.name.c_str(), problem.c_str());
      status = 1;
    }
    topics.push_back({{"name", topic.name}, {"partitions", topic.partitions}});
  }
  for (const auto& [broker, rack] : options.racks) check(rd_kafka_mock_broker_set_rack(cluster, broker, rack.c_str()));
  for (const auto& [broker, rtt] : options.rtts) check(rd_kafka_mock_broker_set_rtt(cluster, broker, rtt));
  for (const auto& error : options.errors) {
    if (auto problem = push_error(cluster, error); !problem.empty()) {
      std::fprintf(stderr, "plprobe_kafka_mock_cluster: request error: %s\n", problem.c_str());
      status = 1;
    }
  }
  for (int broker : options.down) check(rd_kafka_mock_broker_set_down(cluster, broker));

  // "127.0.0.1:P1,127.0.0.1:P2,...", in broker id order.
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  nlohmann::json brokers = nlohmann::json::array();
  int id = 1;
  for (const auto& address : split(bootstrap, ',')) {
    const auto colon = address.rfind(':');
    brokers.push_back({{"id", id++}, {"host", address.substr(0, colon)}, {"port", std::atoi(address.c_str() + colon + 1)}});
  }

  if (status == 0) {
    const nlohmann::json ready = {{"bootstrap", bootstrap}, {"brokers", brokers}, {"topics", topics}};
    std::printf("%s\n", ready.dump().c_str());
    std::fflush(stdout);

    const auto stop_at = std::chrono::steady_clock::now() + std::chrono::seconds(options.lifetime_seconds);
    std::string pending;
    bool quit = false;
    while (!quit && std::chrono::steady_clock::now() < stop_at) {
      if (options.stdin_commands) {
        pollfd input{STDIN_FILENO, POLLIN, 0};
        if (poll(&input, 1, 100) > 0) {
          char buffer[4096];
          const ssize_t got = read(STDIN_FILENO, buffer, sizeof buffer);
          if (got <= 0) break;  // stdin closed: the driver is done with us
          pending.append(buffer, static_cast<std::size_t>(got));
          for (auto newline = pending.find('\n'); newline != std::string::npos; newline = pending.find('\n')) {
            const std::string line = pending.substr(0, newline);
            pending.erase(0, newline + 1);
            if (line.empty()) continue;
            std::printf("%s\n", run_command(cluster, line, quit).c_str());
            std::fflush(stdout);
          }
        }
      }
      timespec wait{0, options.stdin_commands ? 0 : 100'000'000};
      if (sigtimedwait(&stop_signals, nullptr, &wait) > 0) break;
    }
  }

  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(handle);
  return status;
}
