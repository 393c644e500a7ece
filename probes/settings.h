// Settings a probe run applies to every target. Protocol issues add their
// own member structs here; the engine hands the whole thing to each probe.
#pragma once

#include <string>

namespace plprobe::probes {

// kafka:// and kafka+tls:// (probes/kafka/kafka_probe.h).
struct KafkaSettings {
  // "" (no SASL), "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512"; the CLI
  // checks the value, the probe reports anything else as unsupported.
  std::string sasl_mechanism;
  std::string sasl_user;
  // Secret: from PLPROBE_SASL_PASSWORD or --sasl-password-file, never argv.
  // Never printed, logged, or copied into a result.
  std::string sasl_password;
  std::string topic;          // --topic: check this topic and its partition leaders
  bool walk_brokers = true;   // connect to every advertised broker after the bootstrap
};

// --tls for protocols that ask for TLS inside their own protocol and then
// upgrade the connection (postgres://, mysql://). README, "Postgres and MySQL",
// "--tls modes", defines them; in short:
//   disable      never TLS;
//   prefer       TLS when the server offers it, plaintext otherwise; the
//                certificate is checked and reported but not enforced;
//   require      TLS or fail (never falls back); certificate not enforced;
//   verify_full  TLS or fail, and the certificate must chain to a trusted CA
//                (--ca) and name the host (or --sni), as for tls://.
enum class TlsMode { disable, prefer, require, verify_full };

inline const char* to_string(TlsMode mode) {
  switch (mode) {
    case TlsMode::disable:
      return "disable";
    case TlsMode::prefer:
      return "prefer";
    case TlsMode::require:
      return "require";
    case TlsMode::verify_full:
      return "verify-full";
  }
  return "prefer";
}

// postgres:// (probes/postgres/postgres_probe.h).
struct PostgresSettings {
  TlsMode tls = TlsMode::prefer;
  // Secret: from PLPROBE_PASSWORD or --password-file, never argv. Never
  // printed, logged, or copied into a result. Empty: no authenticated checks
  // (unless the server trusts the user named in the target).
  std::string password;
  std::string publication;  // --publication: check that it exists (CDC)
};

// mysql:// (probes/mysql/mysql_probe.h).
struct MysqlSettings {
  TlsMode tls = TlsMode::prefer;
  // Secret, as PostgresSettings::password. Empty: no authenticated checks.
  std::string password;
};

// mongodb:// and mongodb+tls:// (probes/mongodb/mongodb_probe.h).
struct MongoSettings {
  // mongodb:// only (MongoDB TLS starts with the first byte, so prefer means
  // "try TLS, then plaintext"; see mongodb_probe.h). mongodb+tls:// is always
  // TLS with the certificate verified.
  TlsMode tls = TlsMode::prefer;
  // Secret, as PostgresSettings::password; the user and its authentication
  // database come from the target (mongodb://USER@HOST/AUTHDB). Empty: no
  // authenticated checks.
  std::string password;
  bool walk_members = true;  // connect to every advertised replica-set member after the seed
};

struct ProbeSettings {
  std::string sni;              // --sni: overrides the host name sent and verified
  bool expect_private = false;  // --expect-private: every name must resolve privately
  KafkaSettings kafka;
  PostgresSettings postgres;
  MysqlSettings mysql;
  MongoSettings mongodb;
};

}  // namespace plprobe::probes
