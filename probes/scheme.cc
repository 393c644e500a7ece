#include <array>

#include "probes/kafka/kafka_probe.h"
#include "probes/mongodb/mongodb_probe.h"
#include "probes/mysql/mysql_probe.h"
#include "probes/postgres/postgres_probe.h"
#include "probes/protocol.h"

namespace plprobe::probes {
namespace {

// The registry: one row per URI scheme. Protocol issues add rows here.
const std::array kSchemes = {
    Scheme{"tcp", "tcp", 0, false, "tcp://HOST:PORT", nullptr},
    Scheme{"tls", "tls", 0, true, "tls://HOST:PORT", nullptr},
    // Kafka's default plaintext port; TLS ports differ (9093 upstream
    // convention, 9094 and 9096 on MSK), so kafka+tls needs one.
    // kafka:// never starts TLS (its broker walk follows the scheme).
    Scheme{"kafka", "kafka", 9092, false, "kafka://HOST[:PORT]", &kafka::make_kafka_protocol, false},
    Scheme{"kafka+tls", "kafka", 0, true, "kafka+tls://HOST:PORT", &kafka::make_kafka_protocol},
    // PostgreSQL asks for TLS inside its own protocol (SSLRequest), so the
    // transport starts plain; --tls decides (README, "Postgres and MySQL").
    Scheme{"postgres", "postgres", 5432, false, "postgres://[USER@]HOST[:PORT][/DB]",
           &postgres::make_postgres_protocol},
    // MySQL and MariaDB offer TLS in their greeting (CLIENT_SSL) and switch
    // after an SSLRequest, so the transport starts plain as well.
    Scheme{"mysql", "mysql", 3306, false, "mysql://[USER@]HOST[:PORT]", &mysql::make_mysql_protocol},
    // MongoDB has no in-protocol TLS upgrade: a TLS port speaks TLS from the
    // first byte, on the same default port. mongodb:// follows --tls (prefer:
    // try TLS, then plaintext); mongodb+tls:// is TLS-first and verified.
    Scheme{"mongodb", "mongodb", 27017, false, "mongodb://[USER@]HOST[:PORT][/AUTHDB]",
           &mongodb::make_mongodb_protocol},
    Scheme{"mongodb+tls", "mongodb", 27017, true, "mongodb+tls://[USER@]HOST[:PORT][/AUTHDB]",
           &mongodb::make_mongodb_protocol},
};

}  // namespace

std::span<const Scheme> schemes() { return kSchemes; }

const Scheme* find_scheme(std::string_view name) {
  for (const auto& scheme : kSchemes) {
    if (scheme.name == name) return &scheme;
  }
  return nullptr;
}

}  // namespace plprobe::probes
