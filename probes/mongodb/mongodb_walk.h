// The member walk: after the seed's hello, do what a MongoDB driver does
// next (Server Discovery and Monitoring: it monitors every host the
// replica set advertises, and reads and writes go to those addresses, not
// to the seed): for every advertised member at once, resolve its host,
// connect (TLS when the seed used TLS, SNI = the member's name), and send
// hello. Each member gets its own report with phases, so a user sees which
// member fails and why. The same approach as the Kafka broker walk
// (probes/kafka/kafka_walk.h), member for broker.
//
// Which members: `hosts` and `passives` (data-bearing members a driver
// reads from); arbiters are listed but not walked (they hold no data, and
// an unreachable arbiter stops neither reads nor change streams).
//
// Per-member outcomes: ok, mongodb_member_unresolvable (DNS),
// mongodb_member_unreachable (transport, silence, TLS, a name that resolves
// to a public address under --expect-private, or an advertised name that
// is this client itself: localhost, loopback), mongodb_member_mismatch
// (another server answers there: other setName, or its `me` names another
// member), mongodb_protocol_error; `underlying` keeps the DNS or transport
// code behind the first two.
//
// Failure behaviour: never throws; every member ends with a report by the
// probe's deadline. Ownership: every connection is opened and closed
// inside walk_member(). Threading: the executor's single thread; the
// referenced objects must outlive the walk.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/asio.h"
#include "common/deadline.h"
#include "common/result.h"
#include "probes/mongodb/mongodb_channel.h"
#include "probes/mongodb/mongodb_hello.h"
#include "probes/transport/connection.h"
#include "probes/transport/tls.h"
#include "resolvers/address_class.h"
#include "resolvers/resolver.h"

namespace plprobe::probes::mongodb {

// Members walked at most. A replica set has at most 50 members (MongoDB
// manual, "Replica Set Members"); this keeps a hostile hello from making
// one probe open thousands of sockets.
inline constexpr std::size_t kMaxWalkedMembers = 64;

enum class MemberRole { host, passive, arbiter };
std::string_view to_string(MemberRole role);

// How the connection to a server is made: TLS or not, and whether
// certificate problems fail it (verify) or are only reported.
struct TlsPolicy {
  bool use_tls = false;
  bool verify = true;
};

// One connection to `endpoint`: TCP, TLS per `policy` with SNI and
// verification against `server_name`, then the handshake. Fills `tls`
// when a TLS handshake took place and the phase times. Used for the walk
// and for the seed's second connection when it closed on OP_MSG.
awaitable<Status> connect_and_hello(Connection& connection, const tcp::endpoint& endpoint, TlsClientContext* tls_context,
                                    const TlsPolicy& policy, const std::string& server_name, Deadline& deadline,
                                    const HandshakeOptions& options, HandshakeResult& result,
                                    std::optional<TlsDetails>& tls, PhaseTimes& phases);

struct SeedView {
  std::string host;  // as the user wrote it
  bool host_is_literal = false;
  resolvers::AddressClass address_class = resolvers::AddressClass::public_range;
  std::optional<std::string> set_name;
};

struct WalkSettings {
  asio::any_io_executor executor;
  resolvers::Resolver& resolver;
  TlsClientContext* tls = nullptr;
  TlsPolicy tls_policy;
  bool expect_private = false;
  Deadline& deadline;
  Wire wire = Wire::op_msg;  // what the seed settled on; members are asked the same way
  SeedView seed;
};

struct MemberAttempt {
  std::string address;
  Code outcome = Code::ok;
  std::string message;
};

struct MemberReport {
  std::string advertised;               // exactly as hello listed it
  std::optional<MemberAddress> member;  // nullopt: not a usable host:port
  MemberRole role = MemberRole::host;
  bool is_primary = false;  // hello's `primary` names it
  bool walked = false;
  std::vector<resolvers::ResolvedAddress> addresses;
  std::string connected_address;
  Code outcome = Code::ok;
  std::string message;
  std::string hint;
  std::optional<Code> underlying;
  PhaseTimes phases;
  std::optional<TlsDetails> tls;
  std::optional<HelloInfo> answered;  // what the member said about itself
  std::vector<MemberAttempt> attempts;
};

// Reports for hosts, passives and arbiters of `hello`, in that order.
std::vector<MemberReport> member_reports(const HelloInfo& hello);

awaitable<void> walk_member(const WalkSettings& settings, MemberReport& report);
// Walks the first kMaxWalkedMembers non-arbiter reports concurrently.
awaitable<void> walk_members(const WalkSettings& settings, std::vector<MemberReport>& reports);

Json to_json(const MemberReport& report);

// Host names compare case-insensitively and without a final dot.
bool same_member(const MemberAddress& a, const MemberAddress& b);

}  // namespace plprobe::probes::mongodb
