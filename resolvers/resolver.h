// Name resolution with c-ares, driven by an Asio io_context.
//
// One Resolver owns one c-ares channel and belongs to one io_context thread
// (the engine makes one per thread). c-ares never blocks and never runs a
// thread of its own: it tells us which descriptors it wants watched
// (ARES_OPT_SOCK_STATE_CB), Asio waits on them, and we hand readiness back
// with ares_process_fd(); ares_timeout() drives one steady_timer for its
// retransmissions. No fd_set polling loop, so descriptors above 1024 work.
//
// A lookup asks A and AAAA in parallel (ares_query: the name exactly as
// given, no search list, so the answer is about the name the user typed).
// Concurrent lookups of the same name share one query. Each caller waits
// at most until its own deadline; a late answer is dropped, never waited for.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.h"
#include "common/codes.h"
#include "common/deadline.h"
#include "resolvers/address_class.h"

namespace plprobe::resolvers {

struct DnsServer {
  asio::ip::address address;
  std::uint16_t port = 53;
};

// "192.0.2.53", "192.0.2.53:5353", "::1", "[::1]:5353". nullopt if malformed.
std::optional<DnsServer> parse_dns_server(std::string_view text);
std::string to_string(const DnsServer& server);

// A syntactically valid DNS host name (RFC 1123 letters, digits, hyphens;
// underscores tolerated), at most 253 characters and 63 per label.
bool is_valid_host_name(std::string_view name);

enum class Family { any, v4, v6 };

struct ResolverOptions {
  // Servers to ask, in order. Empty: the system configuration
  // (/etc/resolv.conf), and /etc/hosts is consulted first, as the system's
  // own resolver would.
  std::vector<DnsServer> servers;
  Family family = Family::any;
  // c-ares' per-try timeout and number of tries; the caller's deadline
  // bounds the whole lookup regardless.
  std::chrono::milliseconds try_timeout{1000};
  int tries = 3;
};

struct ResolvedAddress {
  asio::ip::address address;
  std::uint32_t ttl = 0;  // seconds; 0 for literals and /etc/hosts
  AddressClass address_class = AddressClass::reserved;
};

struct Resolution {
  std::string name;
  Code outcome = Code::ok;
  std::string message;
  std::string hint;
  std::vector<ResolvedAddress> addresses;  // A answers first, then AAAA
  // Names walked through CNAME records, in order, ending with the name that
  // holds the addresses (the canonical name). Empty without CNAMEs.
  std::vector<std::string> cname_chain;
  std::string server;      // "127.0.0.1:5353" that answered; empty if none did
  std::string rcode_a;     // NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ...; empty: no answer
  std::string rcode_aaaa;
  std::string source;      // "dns", "hosts" or "literal"
  double elapsed_ms = 0;
  bool ok() const { return outcome == Code::ok; }
};

// An IP literal resolves to itself at once, without a channel (the engine
// calls this for literal targets, so a scan of addresses never enters the
// resolver); nullopt when `name` is not a literal. Applies the same
// private-address rule as Resolver::resolve.
std::optional<Resolution> resolve_literal(const std::string& name, bool expect_private);
// The same for an address the caller already parsed from `name`.
Resolution literal_resolution(const asio::ip::address& address, const std::string& name, bool expect_private);

// Turns an ok resolution into dns_public_address when `name` must be
// private (is_private_endpoint_name, or `expect_private`) and an answer is
// a public address.
void flag_public_addresses(Resolution& result, std::string_view name, bool expect_private);

class Resolver {
 public:
  // Fails (returns nullptr, sets `error`) only if c-ares cannot start a
  // channel: out of memory, or an unreadable resolver configuration.
  static std::unique_ptr<Resolver> create(asio::io_context& io, const ResolverOptions& options, std::string& error);
  virtual ~Resolver() = default;

  // Resolves `name` (an IP literal resolves to itself at once). Completes
  // by `deadline` at the latest, with dns_timeout if no answer came.
  // A name that must be private (is_private_endpoint_name, or
  // `expect_private`) and resolves to a public address gets dns_public_address.
  virtual awaitable<Resolution> resolve(std::string name, const Deadline& deadline, bool expect_private = false) = 0;
};

}  // namespace plprobe::resolvers
