// With credentials: log in on the seed connection and check what ClickPipes
// MongoDB CDC needs (ClickHouse docs, "Generic MongoDB source setup guide"):
// a user with the roles readAnyDatabase and clusterMonitor, a replica set
// (it has the oplog change streams read), MongoDB 5.1 or later, and an
// oplog retention of at least 24 hours (oplogMinRetentionHours).
//
// Commands, in order, each answering one question:
//   saslStart/saslContinue  do the credentials work? (mongodb_auth.h)
//   ping                    does the authenticated session answer?
//   connectionStatus        which roles does the user have? (facts only)
//   replSetGetStatus        replica set state and members (clusterMonitor)
//   listDatabases           may the user list every database (readAnyDatabase)?
//   listCollections local   does local.oplog.rs exist?
//   serverStatus            oplogTruncation.oplogMinRetentionHours (clusterMonitor)
// A refusal with Unauthorized (code 13) becomes mongodb_not_authorized
// naming the role that grants it; what is found lacking otherwise is a
// Finding (probes/readiness.h) and, for errors, mongodb_cdc_not_ready.
//
// Failure behaviour: never throws; `blocking` is set when the run could not
// get past authentication (then nothing else was asked). Secrets: the
// password is handed to the SCRAM exchange only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/asio.h"
#include "common/result.h"
#include "common/status.h"
#include "probes/mongodb/mongodb_channel.h"
#include "probes/mongodb/mongodb_hello.h"
#include "probes/readiness.h"

namespace plprobe::probes::mongodb {

// ClickPipes' documented minimum oplog retention.
inline constexpr double kClickPipesMinOplogHours = 24.0;

struct Credentials {
  std::string user;
  std::string password;        // secret
  std::string database = "admin";  // where the user is defined (the target's /PATH)
};

struct ReadinessReport {
  Json facts = Json::object();       // facts.auth and facts.cdc
  std::vector<Finding> findings;     // facts.cdc.findings
  std::optional<Status> blocking;    // authentication failed: nothing after it ran
  std::vector<std::string> missing_roles;  // refused commands, by the role that grants them
};

// The finding for a server older than ClickPipes supports, if it is.
std::optional<Finding> version_finding(const HelloInfo& hello);

awaitable<void> check_readiness(Channel& channel, const HelloInfo& hello, const Credentials& credentials,
                                ReadinessReport& out);

}  // namespace plprobe::probes::mongodb
