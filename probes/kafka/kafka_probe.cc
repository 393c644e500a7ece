#include "probes/kafka/kafka_probe.h"

#include <algorithm>
#include <exception>
#include <map>

#include <fmt/format.h>

#include "probes/kafka/kafka_advertised.h"
#include "probes/kafka/kafka_channel.h"
#include "probes/kafka/kafka_session.h"
#include "probes/kafka/kafka_walk.h"

namespace plprobe::probes::kafka {
namespace {

// Topics listed by name in facts.topics; facts.topic_count has the total.
// A thousand names keep a result line readable and still cover every
// ClickPipes source we know of; --topic answers for one topic in any cluster.
constexpr std::size_t kMaxListedTopics = 1000;
// Problems spelled out in the result's message; the rest are in facts.
constexpr std::size_t kMaxProblemsInMessage = 3;

struct Issue {
  Code code;
  std::string message;
  std::string hint;
};

// Most important first: nothing works without authentication; then the
// advertised-listener problems this probe exists to find; then answers
// that are wrong; a missing topic matters only once the cluster works.
int importance(Code code) {
  switch (code) {
    case Code::kafka_auth_failed:
      return 0;
    case Code::kafka_auth_required:
      return 1;
    case Code::kafka_sasl_mechanism_unsupported:
      return 2;
    case Code::kafka_advertised_mismatch:
      return 3;
    case Code::kafka_broker_unresolvable:
      return 4;
    case Code::kafka_broker_unreachable:
      return 5;
    case Code::kafka_protocol_error:
      return 6;
    case Code::kafka_topic_missing:
      return 7;
    default:
      return 8;
  }
}

std::string host_port(const std::string& host, std::int32_t port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// A second connection to the bootstrap address, for SaslHandshake alone.
awaitable<Status> discover_mechanisms(ProbeContext& context, const tcp::endpoint& peer,
                                      const ApiVersionsResponse& apis, SaslResult& out) {
  Connection connection(context.executor);
  Status status = co_await connection.connect(peer, context.deadline);
  if (status.ok() && context.target.scheme->tls_first) {
    if (context.tls == nullptr) {
      status = Status::failure(Code::tls_handshake_failed, "no TLS context for a second connection");
    } else {
      // The engine verified this server's certificate on the first
      // connection; this one carries no secret, only a mechanism name.
      TlsDetails details;
      const std::string& server_name = context.settings.sni.empty() ? context.target.host : context.settings.sni;
      status = co_await connection.start_tls(*context.tls, server_name, context.deadline, details);
    }
  }
  if (status.ok()) {
    Channel channel(connection, context.deadline);
    status = co_await list_mechanisms(channel, apis, out);
  }
  connection.close();
  co_return status;
}

Json partition_facts(const MetadataPartition& partition, const std::map<std::int32_t, const MetadataBroker*>& brokers) {
  const auto leader = brokers.find(partition.leader_id);
  Json out = {{"partition", partition.partition_index},
              {"leader", partition.leader_id},
              {"leader_advertised",
               leader == brokers.end() ? Json(nullptr) : Json(host_port(leader->second->host, leader->second->port))},
              {"replicas", partition.replica_nodes},
              {"isr", partition.isr_nodes}};
  if (!partition.offline_replicas.empty()) out["offline_replicas"] = partition.offline_replicas;
  if (partition.error_code != error::none) out["error"] = error_name(partition.error_code);
  return out;
}

// facts.topic for --topic, and the issue when it is missing or refused.
std::optional<Issue> check_topic(const std::string& wanted, const MetadataResult& metadata, Json& facts) {
  const auto& response = metadata.response;
  std::map<std::int32_t, const MetadataBroker*> brokers;
  for (const auto& broker : response.brokers) brokers.emplace(broker.node_id, &broker);
  const auto found = std::find_if(response.topics.begin(), response.topics.end(),
                                  [&](const MetadataTopic& topic) { return topic.name && *topic.name == wanted; });
  Json topic = {{"name", wanted}};
  const std::string cluster = response.cluster_id.value_or("(no cluster id)");
  if (found == response.topics.end() || code_for_error(found->error_code) == Code::kafka_topic_missing) {
    topic["exists"] = false;
    if (found != response.topics.end()) topic["error"] = error_name(found->error_code);
    facts["topic"] = std::move(topic);
    return Issue{Code::kafka_topic_missing,
                 metadata.all_topics
                     ? fmt::format("topic '{}' is not among the {} topics of cluster {}", wanted,
                                   response.topics.size(), cluster)
                     : fmt::format("topic '{}' does not exist on cluster {} (UNKNOWN_TOPIC_OR_PARTITION)", wanted,
                                   cluster),
                 {}};
  }
  topic["exists"] = true;
  if (found->error_code != error::none) {
    topic["error"] = error_name(found->error_code);
    facts["topic"] = std::move(topic);
    const Code code = code_for_error(found->error_code);
    return Issue{code,
                 fmt::format("the cluster answers for topic '{}' with {}", wanted, error_name(found->error_code)),
                 code == Code::kafka_auth_failed
                     ? "The user may not describe this topic: grant it Describe and Read on the topic (Kafka ACLs; "
                       "for MSK IAM, kafka-cluster:DescribeTopic and ReadData)."
                     : std::string()};
  }
  Json partitions = Json::array();
  int leaderless = 0;
  for (const auto& partition : found->partitions) {
    if (partition.leader_id < 0) ++leaderless;
    partitions.push_back(partition_facts(partition, brokers));
  }
  topic["internal"] = found->is_internal;
  topic["partition_count"] = found->partitions.size();
  topic["partitions_without_leader"] = leaderless;
  topic["partitions"] = std::move(partitions);
  facts["topic"] = std::move(topic);
  return std::nullopt;
}

Json topics_facts(const MetadataResponse& response) {
  Json topics = Json::array();
  for (const auto& topic : response.topics) {
    if (topics.size() >= kMaxListedTopics) break;
    Json entry = {{"name", topic.name ? Json(*topic.name) : Json(nullptr)},
                  {"partitions", topic.partitions.size()},
                  {"internal", topic.is_internal}};
    if (topic.error_code != error::none) entry["error"] = error_name(topic.error_code);
    topics.push_back(std::move(entry));
  }
  return topics;
}

class KafkaRun {
 public:
  KafkaRun(ProbeContext& context, Connection& connection, ProbeResult& result)
      : context_(context),
        connection_(connection),
        result_(result),
        kafka_(context.settings.kafka),
        channel_(connection, context.deadline) {}

  awaitable<void> run() {
    Json& facts = result_.facts;
    Json timings = Json::object();
    auto step_start = Clock::now();

    // 1. ApiVersions.
    ApiVersionsResult versions;
    Status status = co_await negotiate_api_versions(channel_, kApiVersionsMax, versions);
    timings["api_versions"] = round_ms(elapsed_ms(step_start));
    facts["timings_ms"] = timings;
    if (!status.ok()) {
      result_.fail(status);
      co_return;
    }
    facts["api_versions"] = api_versions_facts(versions);
    const bool sasl_offered = versions.response.find(api::sasl_handshake) != nullptr;

    // 2. SASL, before anything a SASL listener serves only to the authenticated.
    std::vector<Issue> issues;
    SaslResult sasl;
    if (!kafka_.sasl_mechanism.empty()) {
      step_start = Clock::now();
      status = co_await authenticate(channel_, versions.response, kafka_, sasl);
      timings["sasl"] = round_ms(elapsed_ms(step_start));
      facts["sasl"] = sasl_facts(sasl, sasl_offered);
      facts["timings_ms"] = timings;
      if (!status.ok()) {
        // A listener without SASL keeps the connection and serves Metadata:
        // report the mismatch and carry on, so the user still sees the brokers.
        if (!sasl.listener_without_sasl) {
          result_.fail(status);
          co_return;
        }
        issues.push_back({status.code, status.message, status.hint});
      }
    } else {
      facts["sasl"] = sasl_facts(sasl, sasl_offered);
    }

    // 3. Metadata.
    step_start = Clock::now();
    MetadataResult metadata;
    status = co_await fetch_metadata(channel_, versions.response, kafka_.topic, metadata);
    timings["metadata"] = round_ms(elapsed_ms(step_start));
    facts["timings_ms"] = timings;
    if (!status.ok()) {
      // 4. A SASL listener closes the connection at an unauthenticated
      // Metadata request: find out, on a connection of its own, whether
      // that is what happened and which mechanisms it wants.
      if (kafka_.sasl_mechanism.empty() && sasl_offered &&
          (status.code == Code::protocol_closed || status.code == Code::tcp_reset)) {
        SaslResult discovered;
        const Status listed = co_await discover_mechanisms(context_, connection_.peer(), versions.response, discovered);
        if (listed.ok() && !discovered.listener_without_sasl) {
          facts["sasl"] = sasl_facts(discovered, true);
          facts["sasl"]["required"] = true;
          result_.fail(Code::kafka_auth_required,
                       fmt::format("{} is a SASL listener (it enables {}) and closed the connection at Metadata: "
                                   "without credentials plprobe cannot read the brokers",
                                   connection_.peer_text(), join(discovered.enabled, ", ")),
                       auth_required_hint(discovered.enabled));
          co_return;
        }
      }
      result_.fail(status);
      co_return;
    }
    // A SASL listener serves nothing but ApiVersions and SASL before
    // authentication, so a Metadata answer without credentials proves this
    // listener does not require SASL (no extra round trip to ask).
    if (kafka_.sasl_mechanism.empty() && sasl_offered) facts["sasl"]["required"] = false;
    const MetadataResponse& response = metadata.response;
    facts["metadata_version"] = metadata.version;
    facts["cluster_id"] = response.cluster_id ? Json(*response.cluster_id) : Json(nullptr);
    facts["controller_id"] = response.controller_id;
    if (metadata.all_topics) {
      facts["topic_count"] = response.topics.size();
      facts["topics"] = topics_facts(response);
      if (response.topics.size() > kMaxListedTopics) facts["topics_truncated"] = true;
    }
    if (!kafka_.topic.empty()) {
      if (auto issue = check_topic(kafka_.topic, metadata, facts)) issues.push_back(std::move(*issue));
    }

    // 5. The broker walk.
    BootstrapView bootstrap{context_.target.host, context_.target.host_is_literal, context_.target.port,
                            resolvers::classify(connection_.peer().address())};
    std::vector<BrokerReport> reports;
    std::vector<std::string> advertised_hosts;
    for (const auto& broker : response.brokers) {
      BrokerReport& report = reports.emplace_back();
      report.broker = broker;
      report.controller = broker.node_id == response.controller_id;
      advertised_hosts.push_back(broker.host);
    }
    if (response.brokers.empty()) {
      issues.push_back({Code::kafka_protocol_error,
                        "the Metadata answer lists no brokers, so a client would have nowhere to go", {}});
    }
    if (kafka_.walk_brokers && !reports.empty()) {
      step_start = Clock::now();
      WalkSettings walk{context_.executor,
                        context_.resolver,
                        context_.tls,
                        context_.target.scheme->tls_first,
                        context_.settings.expect_private,
                        context_.deadline,
                        kafka_,
                        sasl.authenticated,
                        versions.version,
                        bootstrap};
      co_await walk_brokers(walk, reports);
      timings["walk"] = round_ms(elapsed_ms(step_start));
      facts["timings_ms"] = timings;
      if (reports.size() > kMaxWalkedBrokers) facts["brokers_not_walked"] = reports.size() - kMaxWalkedBrokers;
    }
    Json brokers = Json::array();
    int failed_brokers = 0;
    for (const auto& report : reports) {
      brokers.push_back(to_json(report));
      if (report.walked && report.outcome != Code::ok) {
        ++failed_brokers;
        issues.push_back({report.outcome,
                          fmt::format("node {} {}", report.broker.node_id, report.message), report.hint});
      }
    }
    facts["brokers"] = std::move(brokers);
    if (Json msk = msk_facts(bootstrap, advertised_hosts); !msk.is_null()) facts["msk"] = std::move(msk);

    summarise(response, reports, failed_brokers, sasl, std::move(issues));
  }

 private:
  static std::string auth_required_hint(const std::vector<std::string>& enabled) {
    std::string hint = "Pass --sasl-mechanism";
    const bool scram = std::any_of(enabled.begin(), enabled.end(), [](const auto& m) { return m.starts_with("SCRAM"); });
    const bool plain = std::find(enabled.begin(), enabled.end(), "PLAIN") != enabled.end();
    if (scram || plain) {
      hint += fmt::format(" {}", scram ? *std::find_if(enabled.begin(), enabled.end(),
                                                       [](const auto& m) { return m.starts_with("SCRAM"); })
                                       : std::string("PLAIN"));
    }
    hint += " --sasl-user USER and the password in PLPROBE_SASL_PASSWORD (or --sasl-password-file) to read metadata "
            "and walk the brokers.";
    if (std::find(enabled.begin(), enabled.end(), "AWS_MSK_IAM") != enabled.end() ||
        std::find(enabled.begin(), enabled.end(), "OAUTHBEARER") != enabled.end()) {
      hint += " plprobe cannot do IAM/OAUTHBEARER: to see the brokers, probe the cluster's SCRAM (9096) or TLS (9094) "
              "listener.";
    }
    return hint;
  }

  void summarise(const MetadataResponse& response, const std::vector<BrokerReport>& reports, int failed_brokers,
                 const SaslResult& sasl, std::vector<Issue> issues) {
    const std::string cluster = response.cluster_id.value_or("(no cluster id)");
    if (issues.empty()) {
      std::string message;
      if (kafka_.walk_brokers) {
        message = fmt::format("Kafka cluster {}: all {} advertised broker{} answer at their advertised addresses",
                              cluster, reports.size(), reports.size() == 1 ? "" : "s");
      } else {
        message = fmt::format("Kafka cluster {}: {} broker{} advertised (not walked: --no-walk-brokers)", cluster,
                              reports.size(), reports.size() == 1 ? "" : "s");
      }
      if (kafka_.topic.empty()) {
        message += fmt::format("; {} topic{}", response.topics.size(), response.topics.size() == 1 ? "" : "s");
      } else {
        const auto& topic = result_.facts["topic"];
        message += fmt::format("; topic '{}' has {} partition{}", kafka_.topic, topic.value("partition_count", 0),
                               topic.value("partition_count", 0) == 1 ? "" : "s");
        if (const int leaderless = topic.value("partitions_without_leader", 0); leaderless > 0) {
          message += fmt::format(", {} without a leader", leaderless);
        }
      }
      if (sasl.authenticated) message += fmt::format("; authenticated as {} with {}", kafka_.sasl_user, sasl.mechanism);
      result_.message = std::move(message);
      return;
    }
    std::stable_sort(issues.begin(), issues.end(),
                     [](const Issue& a, const Issue& b) { return importance(a.code) < importance(b.code); });
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < issues.size() && i < kMaxProblemsInMessage; ++i) parts.push_back(issues[i].message);
    std::string message;
    if (failed_brokers > 0) {
      message = fmt::format("bootstrap answered (cluster {}), but {} of {} advertised brokers fail: ", cluster,
                            failed_brokers, reports.size());
    }
    message += join(parts, "; ");
    if (issues.size() > kMaxProblemsInMessage) {
      message += fmt::format("; {} more problem{} in facts.brokers", issues.size() - kMaxProblemsInMessage,
                             issues.size() - kMaxProblemsInMessage == 1 ? "" : "s");
    }
    result_.fail(issues.front().code, std::move(message), issues.front().hint);
  }

  ProbeContext& context_;
  Connection& connection_;
  ProbeResult& result_;
  const KafkaSettings& kafka_;
  Channel channel_;
};

}  // namespace

awaitable<void> KafkaProtocol::handshake(ProbeContext& context, Connection& connection, ProbeResult& result) {
  try {
    KafkaRun run(context, connection, result);
    co_await run.run();
  } catch (const std::exception& error) {
    // Only allocation failure can get here (the codec and transport report
    // everything else as Status); a probe result is still owed.
    result.facts.erase("brokers");
    result.fail(Code::kafka_protocol_error, fmt::format("the Kafka exchange failed inside plprobe: {}", error.what()),
                "The answer was too large to hold in memory: probe with --topic to ask for one topic only.");
  }
}

std::unique_ptr<Protocol> make_kafka_protocol() { return std::make_unique<KafkaProtocol>(); }

}  // namespace plprobe::probes::kafka
