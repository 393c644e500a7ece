#include "resolvers/resolver.h"

#include "resolvers/dns_message.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <ares.h>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>

namespace plprobe::resolvers {
namespace {

// RFC 1035 §3.2.2/§3.2.4 (A, class IN) and RFC 3596 §2.1 (AAAA).
constexpr int kClassIn = 1;
constexpr int kTypeA = 1;
constexpr int kTypeAaaa = 28;
// Enough for any real answer (a UDP answer without EDNS holds at most ~30
// A records); addresses beyond this still come from the hostent, without TTL.
constexpr int kMaxAddrTtls = 256;

std::string rcode_name(int rcode) {
  // RFC 1035 §4.1.1 and RFC 6895 §2.3.
  switch (rcode) {
    case 0: return "NOERROR";
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 3: return "NXDOMAIN";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    default: return fmt::format("RCODE{}", rcode);
  }
}

Code code_for_status(int status) {
  switch (status) {
    case ARES_SUCCESS: return Code::ok;
    case ARES_ENOTFOUND: return Code::dns_nxdomain;
    case ARES_EBADNAME: return Code::dns_nxdomain;
    case ARES_ENODATA: return Code::dns_nodata;
    case ARES_ESERVFAIL: return Code::dns_servfail;
    case ARES_EREFUSED:
    case ARES_ENOTIMP: return Code::dns_refused;
    case ARES_ECONNREFUSED: return Code::dns_server_unreachable;
    case ARES_EBADRESP:
    case ARES_EFORMERR: return Code::dns_bad_answer;
    default: return Code::dns_timeout;  // ETIMEOUT, ECANCELLED, EDESTRUCTION, ...
  }
}

// When both families fail, report the most telling reason: an authoritative
// "does not exist" first, then server trouble, and "no data" last because
// it only means "not this family".
int severity_rank(Code code) {
  switch (code) {
    case Code::dns_nxdomain: return 0;
    case Code::dns_servfail: return 1;
    case Code::dns_refused: return 2;
    case Code::dns_server_unreachable: return 3;
    case Code::dns_bad_answer: return 4;
    case Code::dns_timeout: return 5;
    case Code::dns_nodata: return 6;
    default: return 7;
  }
}

std::string endpoint_text(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    return fmt::format("{}:{}", text, ntohs(in->sin_port));
  }
  if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    return fmt::format("[{}]:{}", text, ntohs(in6->sin6_port));
  }
  return "?";
}

void library_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

// One family's answer.
struct Answer {
  int status = ARES_ETIMEOUT;
  bool answered = false;
  std::string rcode;
  std::string server;
  std::vector<ResolvedAddress> addresses;
  std::vector<std::string> cname_chain;
};

struct Lookup {
  std::string name;
  int pending = 0;
  bool done = false;
  bool abandoned = false;  // every caller gave up waiting (deadline)
  Answer a;
  Answer aaaa;
  Resolution result;
  std::vector<asio::steady_timer*> waiters;  // coroutines waiting; they remove themselves
};

class AresResolver;

struct QueryContext {
  AresResolver* resolver;
  std::shared_ptr<Lookup> lookup;
  int type;
};

class AresResolver final : public Resolver {
 public:
  explicit AresResolver(asio::io_context& io) : io_(io), timer_(io) {}
  ~AresResolver() override;

  bool init(const ResolverOptions& options, std::string& error);
  awaitable<Resolution> resolve(std::string name, const Deadline& deadline, bool expect_private) override;

 private:
  struct Watch {
    Watch(asio::io_context& io, int fd) : descriptor(io, fd) {}
    asio::posix::stream_descriptor descriptor;
    bool want_read = false;
    bool want_write = false;
    bool read_pending = false;
    bool write_pending = false;
  };

  static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable);
  static void on_answer(void* arg, int status, int timeouts, unsigned char* answer, int length);
  static ares_socket_t open_socket(int domain, int type, int protocol, void* self);
  static int close_socket(ares_socket_t fd, void* self);
  static int connect_socket(ares_socket_t fd, const sockaddr* address, ares_socklen_t length, void* self);
  static ares_ssize_t receive_from(ares_socket_t fd, void* buffer, size_t length, int flags, sockaddr* from,
                                   ares_socklen_t* from_length, void* self);
  static ares_ssize_t send_vector(ares_socket_t fd, const iovec* vector, int count, void* self);

  void set_watch(int fd, bool readable, bool writable);
  void arm(const std::shared_ptr<Watch>& watch, bool for_read);
  void process(ares_socket_t read_fd, ares_socket_t write_fd);
  void update_timer();
  std::shared_ptr<Lookup> start(const std::string& name);
  void record(QueryContext& context, int status, unsigned char* answer, int length);
  void finish(Lookup& lookup);
  void abandon(Lookup& lookup);
  std::optional<Resolution> from_hosts_file(const std::string& name);

  static const ares_socket_functions kSocketFunctions;

  asio::io_context& io_;
  asio::steady_timer timer_;
  ares_channel channel_ = nullptr;
  Family family_ = Family::any;
  bool use_hosts_file_ = false;
  std::string servers_text_;
  std::unordered_map<int, std::shared_ptr<Watch>> watches_;
  std::unordered_map<int, std::string> server_of_fd_;  // filled by connect_socket
  ares_socket_t processing_fd_ = ARES_SOCKET_BAD;
  std::unordered_map<std::string, std::shared_ptr<Lookup>> in_flight_;
};

const ares_socket_functions AresResolver::kSocketFunctions = {
    &AresResolver::open_socket, &AresResolver::close_socket, &AresResolver::connect_socket,
    &AresResolver::receive_from, &AresResolver::send_vector,
};

// The socket functions are the system calls c-ares would make itself; we
// wrap them only to learn which server each descriptor talks to, so a
// result can name the server that answered (c-ares 1.18 does not say).
ares_socket_t AresResolver::open_socket(int domain, int type, int protocol, void*) {
  return ::socket(domain, type | SOCK_CLOEXEC, protocol);
}

int AresResolver::close_socket(ares_socket_t fd, void* self) {
  static_cast<AresResolver*>(self)->server_of_fd_.erase(fd);
  return ::close(fd);
}

int AresResolver::connect_socket(ares_socket_t fd, const sockaddr* address, ares_socklen_t length, void* self) {
  static_cast<AresResolver*>(self)->server_of_fd_[fd] = endpoint_text(address);
  return ::connect(fd, address, length);
}

ares_ssize_t AresResolver::receive_from(ares_socket_t fd, void* buffer, size_t length, int flags, sockaddr* from,
                                        ares_socklen_t* from_length, void*) {
  return ::recvfrom(fd, buffer, length, flags, from, from_length);
}

ares_ssize_t AresResolver::send_vector(ares_socket_t fd, const iovec* vector, int count, void*) {
  return ::writev(fd, vector, count);
}

AresResolver::~AresResolver() {
  if (channel_ != nullptr) {
    // Runs every pending callback with ARES_EDESTRUCTION and closes every
    // socket (telling on_sock_state first, which releases the descriptors).
    ares_destroy(channel_);
  }
  for (auto& [fd, watch] : watches_) watch->descriptor.release();
  watches_.clear();
}

bool AresResolver::init(const ResolverOptions& options, std::string& error) {
  library_init_once();
  family_ = options.family;
  use_hosts_file_ = options.servers.empty();

  ares_options ares{};
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  ares.sock_state_cb = &AresResolver::on_sock_state;
  ares.sock_state_cb_data = this;
  // NOCHECKRESP: take SERVFAIL/REFUSED from the first server as the answer
  // instead of silently moving on; a diagnosis must say what that server said.
  ares.flags = ARES_FLAG_NOCHECKRESP;
  ares.timeout = static_cast<int>(std::max<long long>(1, options.try_timeout.count()));
  ares.tries = std::max(1, options.tries);
  if (int rc = ares_init_options(&channel_, &ares, mask); rc != ARES_SUCCESS) {
    channel_ = nullptr;
    error = fmt::format("cannot start the DNS resolver: {}", ares_strerror(rc));
    return false;
  }
  ares_set_socket_functions(channel_, &kSocketFunctions, this);

  if (!options.servers.empty()) {
    std::vector<ares_addr_port_node> nodes(options.servers.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const auto& server = options.servers[i];
      auto& node = nodes[i];
      node.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
      node.udp_port = node.tcp_port = server.port;
      if (server.address.is_v4()) {
        node.family = AF_INET;
        auto bytes = server.address.to_v4().to_bytes();
        std::memcpy(&node.addr.addr4, bytes.data(), bytes.size());
      } else {
        node.family = AF_INET6;
        auto bytes = server.address.to_v6().to_bytes();
        std::memcpy(&node.addr.addr6, bytes.data(), bytes.size());
      }
    }
    if (int rc = ares_set_servers_ports(channel_, nodes.data()); rc != ARES_SUCCESS) {
      error = fmt::format("cannot use the DNS servers given: {}", ares_strerror(rc));
      return false;
    }
  }
  ares_addr_port_node* configured = nullptr;
  if (ares_get_servers_ports(channel_, &configured) == ARES_SUCCESS) {
    for (auto* node = configured; node != nullptr; node = node->next) {
      char text[INET6_ADDRSTRLEN] = {};
      ares_inet_ntop(node->family, &node->addr, text, sizeof text);
      if (!servers_text_.empty()) servers_text_ += ", ";
      servers_text_ += node->family == AF_INET6 ? fmt::format("[{}]:{}", text, node->udp_port ? node->udp_port : 53)
                                                : fmt::format("{}:{}", text, node->udp_port ? node->udp_port : 53);
    }
    ares_free_data(configured);
  }
  return true;
}

void AresResolver::on_sock_state(void* data, ares_socket_t fd, int readable, int writable) {
  static_cast<AresResolver*>(data)->set_watch(fd, readable != 0, writable != 0);
}

void AresResolver::set_watch(int fd, bool readable, bool writable) {
  auto found = watches_.find(fd);
  if (!readable && !writable) {
    // c-ares is about to close this descriptor: stop watching and give it
    // back without closing it (c-ares owns it).
    if (found != watches_.end()) {
      found->second->descriptor.release();
      watches_.erase(found);
    }
    return;
  }
  if (found == watches_.end()) {
    found = watches_.emplace(fd, std::make_shared<Watch>(io_, fd)).first;
  }
  auto watch = found->second;
  watch->want_read = readable;
  watch->want_write = writable;
  if (readable && !watch->read_pending) arm(watch, true);
  if (writable && !watch->write_pending) arm(watch, false);
}

void AresResolver::arm(const std::shared_ptr<Watch>& watch, bool for_read) {
  (for_read ? watch->read_pending : watch->write_pending) = true;
  auto wait = for_read ? asio::posix::descriptor_base::wait_read : asio::posix::descriptor_base::wait_write;
  watch->descriptor.async_wait(wait, [this, weak = std::weak_ptr<Watch>(watch), for_read](const error_code& ec) {
    auto live = weak.lock();
    if (!live) return;  // c-ares closed the socket meanwhile
    (for_read ? live->read_pending : live->write_pending) = false;
    if (ec == asio::error::operation_aborted) return;
    if (!(for_read ? live->want_read : live->want_write)) return;
    const int fd = live->descriptor.native_handle();
    process(for_read ? fd : ARES_SOCKET_BAD, for_read ? ARES_SOCKET_BAD : fd);
    // process() may have closed the socket (watch released) or changed wishes.
    if (live->descriptor.is_open() && (for_read ? live->want_read : live->want_write) &&
        !(for_read ? live->read_pending : live->write_pending)) {
      arm(live, for_read);
    }
  });
}

void AresResolver::process(ares_socket_t read_fd, ares_socket_t write_fd) {
  processing_fd_ = read_fd != ARES_SOCKET_BAD ? read_fd : write_fd;
  ares_process_fd(channel_, read_fd, write_fd);
  processing_fd_ = ARES_SOCKET_BAD;
  update_timer();
}

void AresResolver::update_timer() {
  timeval wait{};
  if (ares_timeout(channel_, nullptr, &wait) == nullptr) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::seconds(wait.tv_sec) + std::chrono::microseconds(wait.tv_usec));
  // The handler touches `this` only on a real expiry; the timer is a member,
  // so after destruction its handler only ever sees operation_aborted.
  timer_.async_wait([this](const error_code& ec) {
    if (ec) return;
    process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  });
}

std::optional<Resolution> AresResolver::from_hosts_file(const std::string& name) {
  Resolution result;
  for (int family : {AF_INET, AF_INET6}) {
    if ((family == AF_INET && family_ == Family::v6) || (family == AF_INET6 && family_ == Family::v4)) continue;
    hostent* host = nullptr;
    if (ares_gethostbyname_file(channel_, name.c_str(), family, &host) != ARES_SUCCESS || host == nullptr) continue;
    for (char** entry = host->h_addr_list; *entry != nullptr; ++entry) {
      asio::ip::address address;
      if (host->h_addrtype == AF_INET) {
        asio::ip::address_v4::bytes_type bytes;
        std::memcpy(bytes.data(), *entry, bytes.size());
        address = asio::ip::address_v4(bytes);
      } else {
        asio::ip::address_v6::bytes_type bytes;
        std::memcpy(bytes.data(), *entry, bytes.size());
        address = asio::ip::address_v6(bytes);
      }
      result.addresses.push_back({address, 0, classify(address)});
    }
    ares_free_hostent(host);
  }
  if (result.addresses.empty()) return std::nullopt;
  result.name = name;
  result.source = "hosts";
  result.message = fmt::format("{} found in /etc/hosts", name);
  return result;
}

std::shared_ptr<Lookup> AresResolver::start(const std::string& name) {
  if (auto found = in_flight_.find(name); found != in_flight_.end()) return found->second;
  auto lookup = std::make_shared<Lookup>();
  lookup->name = name;
  in_flight_.emplace(name, lookup);
  std::vector<int> types;
  if (family_ != Family::v6) types.push_back(kTypeA);
  if (family_ != Family::v4) types.push_back(kTypeAaaa);
  lookup->pending = static_cast<int>(types.size());
  for (int type : types) {
    // c-ares may call back before ares_query returns (bad name, no server):
    // record()/finish() handle that like any other answer.
    ares_query(channel_, name.c_str(), kClassIn, type, &AresResolver::on_answer, new QueryContext{this, lookup, type});
  }
  update_timer();
  return lookup;
}

void AresResolver::on_answer(void* arg, int status, int /*timeouts*/, unsigned char* answer, int length) {
  std::unique_ptr<QueryContext> context(static_cast<QueryContext*>(arg));
  context->resolver->record(*context, status, answer, length);
}

void AresResolver::record(QueryContext& context, int status, unsigned char* answer, int length) {
  Lookup& lookup = *context.lookup;
  Answer& out = context.type == kTypeA ? lookup.a : lookup.aaaa;
  out.status = status;
  if (answer != nullptr && length >= 4) {
    out.answered = true;
    out.rcode = rcode_name(answer[3] & 0x0f);  // RFC 1035 §4.1.1: low 4 bits of byte 3
    if (processing_fd_ != ARES_SOCKET_BAD) {
      if (auto found = server_of_fd_.find(processing_fd_); found != server_of_fd_.end()) out.server = found->second;
    }
  }
  if (status == ARES_SUCCESS) {
    hostent* host = nullptr;
    int rc;
    if (context.type == kTypeA) {
      std::vector<ares_addrttl> ttls(kMaxAddrTtls);
      int count = kMaxAddrTtls;
      rc = ares_parse_a_reply(answer, length, &host, ttls.data(), &count);
      if (rc == ARES_SUCCESS) {
        for (int i = 0; i < count; ++i) {
          asio::ip::address_v4::bytes_type bytes;
          std::memcpy(bytes.data(), &ttls[static_cast<std::size_t>(i)].ipaddr, bytes.size());
          asio::ip::address address = asio::ip::address_v4(bytes);
          out.addresses.push_back({address, static_cast<std::uint32_t>(std::max(0, ttls[static_cast<std::size_t>(i)].ttl)),
                                   classify(address)});
        }
      }
    } else {
      std::vector<ares_addr6ttl> ttls(kMaxAddrTtls);
      int count = kMaxAddrTtls;
      rc = ares_parse_aaaa_reply(answer, length, &host, ttls.data(), &count);
      if (rc == ARES_SUCCESS) {
        for (int i = 0; i < count; ++i) {
          asio::ip::address_v6::bytes_type bytes;
          std::memcpy(bytes.data(), &ttls[static_cast<std::size_t>(i)].ip6addr, bytes.size());
          asio::ip::address address = asio::ip::address_v6(bytes);
          out.addresses.push_back({address, static_cast<std::uint32_t>(std::max(0, ttls[static_cast<std::size_t>(i)].ttl)),
                                   classify(address)});
        }
      }
    }
    if (rc != ARES_SUCCESS) {
      out.status = rc;  // ENODATA (CNAME without addresses) or EBADRESP
    } else if (out.addresses.empty()) {
      out.status = ARES_ENODATA;
    }
    if (host != nullptr) ares_free_hostent(host);
  }
  if (answer != nullptr && (out.status == ARES_SUCCESS || out.status == ARES_ENODATA)) {
    auto chain = read_cname_chain(answer, static_cast<std::size_t>(length));
    if (!chain) {
      out.status = ARES_EBADRESP;
      out.addresses.clear();
    } else {
      for (const auto& hop : *chain) out.cname_chain.push_back(hop.target);
    }
  }
  if (--lookup.pending == 0) finish(lookup);
}

void AresResolver::finish(Lookup& lookup) {
  lookup.done = true;
  Resolution& result = lookup.result;
  result.name = lookup.name;
  result.source = "dns";
  result.rcode_a = lookup.a.rcode;
  result.rcode_aaaa = lookup.aaaa.rcode;
  result.server = !lookup.a.server.empty() ? lookup.a.server : lookup.aaaa.server;
  result.cname_chain = !lookup.a.cname_chain.empty() ? lookup.a.cname_chain : lookup.aaaa.cname_chain;
  for (const Answer* answer : {&lookup.a, &lookup.aaaa}) {
    result.addresses.insert(result.addresses.end(), answer->addresses.begin(), answer->addresses.end());
  }
  const std::string from = result.server.empty() ? fmt::format("asked {}", servers_text_) : fmt::format("from {}", result.server);
  if (!result.addresses.empty()) {
    result.outcome = Code::ok;
    result.message = fmt::format("{} resolved to {} address{} ({})", lookup.name, result.addresses.size(),
                                 result.addresses.size() == 1 ? "" : "es", from);
  } else {
    // Both families failed: pick the most telling status.
    std::vector<const Answer*> asked;
    if (family_ != Family::v6) asked.push_back(&lookup.a);
    if (family_ != Family::v4) asked.push_back(&lookup.aaaa);
    const Answer* worst = asked.front();
    for (const Answer* answer : asked) {
      if (severity_rank(code_for_status(answer->status)) < severity_rank(code_for_status(worst->status))) worst = answer;
    }
    result.outcome = code_for_status(worst->status);
    switch (result.outcome) {
      case Code::dns_nxdomain:
        result.message = fmt::format("{} does not exist (NXDOMAIN {})", lookup.name, from);
        break;
      case Code::dns_nodata:
        result.message = fmt::format("{} exists but has no {} record ({}, {})", lookup.name,
                                     family_ == Family::v4 ? "A" : family_ == Family::v6 ? "AAAA" : "A or AAAA",
                                     worst->rcode.empty() ? "NOERROR" : worst->rcode, from);
        break;
      case Code::dns_servfail:
      case Code::dns_refused:
        result.message = fmt::format("the DNS server answered {} for {} ({})", worst->rcode.empty() ? ares_strerror(worst->status) : worst->rcode,
                                     lookup.name, from);
        break;
      case Code::dns_server_unreachable:
        result.message = fmt::format("no DNS server could be reached for {} ({})", lookup.name, from);
        break;
      case Code::dns_bad_answer:
        result.message = fmt::format("malformed DNS answer for {} ({}): {}", lookup.name, from, ares_strerror(worst->status));
        break;
      default:
        result.message = fmt::format("no DNS answer for {} ({})", lookup.name, from);
        break;
    }
    result.hint = std::string(info(result.outcome).hint);
  }
  in_flight_.erase(lookup.name);
  for (auto* waiter : lookup.waiters) waiter->cancel();
}

// Nobody waits for this lookup any more. c-ares 1.18 cannot cancel one
// query, only all of them; once every lookup in flight is abandoned, cancel
// them all so c-ares closes its sockets and timer and the event loop can
// finish, instead of running c-ares' own retries for answers no one reads.
void AresResolver::abandon(Lookup& lookup) {
  lookup.abandoned = true;
  for (const auto& [name_in_flight, other] : in_flight_) {
    if (!other->abandoned) return;
  }
  ares_cancel(channel_);  // runs every callback with ARES_ECANCELLED
  update_timer();
}

awaitable<Resolution> AresResolver::resolve(std::string name, const Deadline& deadline, bool expect_private) {
  const auto started = Clock::now();
  if (auto literal = resolve_literal(name, expect_private)) co_return std::move(*literal);
  Resolution result;
  std::optional<Resolution> from_hosts;
  if (use_hosts_file_ && (from_hosts = from_hosts_file(name))) {
    result = std::move(*from_hosts);
  } else {
    auto lookup = start(name);
    if (!lookup->done && !deadline.expired()) {
      asio::steady_timer waiter(co_await asio::this_coro::executor);
      waiter.expires_at(deadline.at());
      lookup->waiters.push_back(&waiter);
      error_code ec;
      co_await waiter.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      std::erase(lookup->waiters, &waiter);
      if (!lookup->done && lookup->waiters.empty()) abandon(*lookup);
    }
    if (lookup->done) {
      result = lookup->result;
    } else {
      result.name = name;
      result.source = "dns";
      result.outcome = Code::dns_timeout;
      result.message = fmt::format("no DNS answer for {} within {:.0f} ms (asked {})", name, elapsed_ms(started),
                                   servers_text_);
      result.hint = std::string(info(Code::dns_timeout).hint);
    }
  }
  result.elapsed_ms = elapsed_ms(started);
  flag_public_addresses(result, name, expect_private);
  co_return result;
}

}  // namespace

void flag_public_addresses(Resolution& result, std::string_view name, bool expect_private) {
  if (!result.ok() || !(expect_private || is_private_endpoint_name(name))) return;
  std::string public_ones;
  for (const auto& entry : result.addresses) {
    if (entry.address_class != AddressClass::public_range) continue;
    if (!public_ones.empty()) public_ones += ", ";
    public_ones += entry.address.to_string();
  }
  if (!public_ones.empty()) {
    result.outcome = Code::dns_public_address;
    result.message = fmt::format("{} must resolve to a private address but resolved to public {}", name, public_ones);
    result.hint = std::string(info(Code::dns_public_address).hint);
  }
}

std::optional<Resolution> resolve_literal(const std::string& name, bool expect_private) {
  error_code literal_error;
  const auto literal = asio::ip::make_address(name, literal_error);
  if (literal_error) return std::nullopt;
  return literal_resolution(literal, name, expect_private);
}

Resolution literal_resolution(const asio::ip::address& address, const std::string& name, bool expect_private) {
  Resolution result;
  result.name = name;
  result.source = "literal";
  result.addresses.push_back({address, 0, classify(address)});
  result.message = "address literal";
  flag_public_addresses(result, name, expect_private);
  return result;
}

namespace {

// RFC 1035 §2.3.4 limits: 63 octets a label, 253 characters a name in text.
constexpr std::size_t kMaxLabel = 63;
constexpr std::size_t kMaxName = 253;

}  // namespace

bool is_valid_host_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxName + 1) return false;
  if (name.back() == '.') name.remove_suffix(1);
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    // Letters, digits, hyphen (RFC 952/1123) and underscore (used by
    // service names in the wild, e.g. SRV-style labels).
    const bool allowed = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    if (!allowed || ++label > kMaxLabel) return false;
  }
  return label > 0;
}

std::optional<DnsServer> parse_dns_server(std::string_view text) {
  DnsServer server;
  std::string_view host = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    auto colon = text.find(':');
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  error_code ec;
  server.address = asio::ip::make_address(std::string(host), ec);
  if (ec) return std::nullopt;
  if (!port.empty() || (text.size() > 0 && text.back() == ':')) {
    unsigned value = 0;
    auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (err != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) return std::nullopt;
    server.port = static_cast<std::uint16_t>(value);
  }
  return server;
}

std::string to_string(const DnsServer& server) {
  return server.address.is_v6() ? fmt::format("[{}]:{}", server.address.to_string(), server.port)
                                : fmt::format("{}:{}", server.address.to_string(), server.port);
}

std::unique_ptr<Resolver> Resolver::create(asio::io_context& io, const ResolverOptions& options, std::string& error) {
  auto resolver = std::make_unique<AresResolver>(io);
  if (!resolver->init(options, error)) return nullptr;
  return resolver;
}

}  // namespace plprobe::resolvers
