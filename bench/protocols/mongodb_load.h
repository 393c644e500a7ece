// `plprobe bench mongodb`: round trips on N connections after one handshake
// each.
//
// Each connection connects with the engine's transport (probes/transport,
// TLS for mongodb+tls://, certificate verified), runs the MongoDB handshake
// of the mongodb probe (probes/mongodb/mongodb_channel.h: OP_MSG hello, with
// its fallbacks) and, with a user and a password, SCRAM authentication
// (mongodb_auth.h); then it sends `ping` as OP_MSG to "admin" in a closed or
// open loop (LoadShape). A request is one ping and its reply; each has its
// own deadline (the timeout, cut at the window's end). A broken connection
// connects again after kReconnectPause.
//
// Outcome codes: the transport's (tcp_refused, tls_*, protocol_timeout,
// protocol_closed, tcp_reset) and the probe's MongoDB codes
// (mongodb_protocol_error, mongodb_auth_failed, ...); a ping the server
// refused (ok: 0): mongodb_protocol_error. Bytes per request: the request
// and reply messages as framed on the wire.
//
// Secrets: the password lives in the options and the SCRAM exchange only.
#pragma once

#include <cstdint>
#include <string>

#include "bench/protocols/protocol_load.h"
#include "probes/transport/tls.h"

namespace plprobe::bench {

struct MongoLoadOptions {
  LoadShape shape;
  std::string host;  // IP literal
  std::uint16_t port = 27017;
  bool tls = false;         // mongodb+tls://: TLS from the first byte, certificate verified
  std::string server_name;  // SNI and name verified (empty: the address)
  std::string ca_file;      // empty: the system's CA bundle
  std::string user;         // empty: no authentication
  std::string auth_database = "admin";
  std::string password;  // secret
};

class MongoLoad final : public ProtocolLoad {
 public:
  explicit MongoLoad(MongoLoadOptions options);
  std::size_t threads() const override { return options_.shape.threads; }
  void run(std::size_t index, Recorder& recorder, const RunWindow& window) override;

 private:
  MongoLoadOptions options_;
};

}  // namespace plprobe::bench
