// A Kafka proxy in front of one mock broker that rewrites the host names
// in Metadata answers, and passes everything else through byte for byte.
//
// Why: librdkafka 2.0.2's mock brokers always advertise "127.0.0.1" (there
// is no setting for the advertised listener), and the probe's hardest case
// is a broker advertising a name that does not resolve, or resolves
// somewhere else. The proxy keeps the real cluster's ApiVersions, cluster
// id, topics and ports and changes only Brokers[].Host, which is exactly
// what a wrong advertised.listeners does. Used for that case only.
//
// Ownership and threading: as ScriptedListener (its own thread, loopback
// only); each client connection gets its own upstream connection.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "common/asio.h"
#include "tests/support/listeners.h"

namespace plprobe::testing {

class MetadataRewritingProxy {
 public:
  // Node id -> advertised host to put in Metadata answers; nodes not in
  // the map keep theirs.
  MetadataRewritingProxy(tcp::endpoint upstream, std::map<std::int32_t, std::string> hosts);
  std::uint16_t port() const { return listener_->port(); }
  std::uint64_t rewritten() const { return rewritten_->load(); }

 private:
  tcp::endpoint upstream_;
  std::map<std::int32_t, std::string> hosts_;
  std::shared_ptr<std::atomic<std::uint64_t>> rewritten_;
  std::unique_ptr<ScriptedListener> listener_;
};

}  // namespace plprobe::testing
