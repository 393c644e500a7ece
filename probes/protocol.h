// The seam between the engine and each application protocol.
//
// The engine owns resolution, TCP, TLS (for schemes that start with TLS),
// the deadline and the phase clock; a Protocol only speaks its wire format
// over the connection it is handed. One protocol per file, registered in
// one table (scheme.cc), as blackbox_exporter does with its probers.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/asio.h"
#include "common/deadline.h"
#include "common/result.h"
#include "probes/settings.h"
#include "probes/target.h"
#include "probes/transport/connection.h"
#include "probes/transport/tls.h"
#include "resolvers/resolver.h"

namespace plprobe::probes {

// Everything a protocol step may use besides its connection. Valid for the
// duration of one handshake() call; all of it belongs to the caller's thread.
struct ProbeContext {
  asio::any_io_executor executor;
  resolvers::Resolver& resolver;
  TlsClientContext* tls;  // set whenever the scheme has a protocol or starts with TLS
  const ProbeSettings& settings;
  Deadline& deadline;
  const Target& target;
};

class Protocol {
 public:
  virtual ~Protocol() = default;
  // Runs once the transport is up (TCP, plus TLS if the scheme starts with
  // TLS). Records what it learns in result.facts, may fill result.tls when
  // it upgrades to TLS itself, and on failure calls result.fail(). Never
  // throws; returns by the deadline.
  virtual awaitable<void> handshake(ProbeContext& context, Connection& connection, ProbeResult& result) = 0;
};

struct Scheme {
  std::string_view name;          // "tcp", "kafka+tls"
  std::string_view kind;          // the result's "kind": tcp, tls, kafka, ...
  std::uint16_t default_port;     // 0: the port must be given
  bool tls_first;                 // TLS handshake right after the TCP connect
  std::string_view form;          // "tcp://HOST:PORT", shown in errors and --help
  std::unique_ptr<Protocol> (*make_protocol)();  // nullptr: transport only
  // Whether the protocol may start TLS by itself on a plain connection
  // (Postgres SSLRequest, MySQL CLIENT_SSL). false lets a run whose targets
  // never use TLS skip loading the CA bundle (tens of milliseconds).
  bool may_start_tls = true;
};

std::span<const Scheme> schemes();
const Scheme* find_scheme(std::string_view name);

}  // namespace plprobe::probes
