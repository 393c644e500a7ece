#include "bench/load/serve.h"

#include <atomic>
#include <mutex>
#include <thread>
#include <memory>
#include <type_traits>
#include <vector>

#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <fmt/core.h>

#include "bench/load/direct_tls.h"
#include "bench/load/io_pool.h"
#include "bench/load/signals.h"
#include "bench/load/stream_protocol.h"
#include "common/codes.h"

namespace plprobe::bench {
namespace {

using Tls = asio::ssl::stream<tcp::socket>;

struct Shared {
  Shared(const ServeSettings& s, std::FILE* o) : settings(s), out(o) {}
  const ServeSettings& settings;
  std::FILE* out;
  std::atomic<std::uint64_t> streams{0};
  std::atomic<std::uint64_t> connections{0};
  std::mutex out_mutex;
};

void report_stream(Shared& shared, const std::string& peer, const stream::Hello& hello, std::uint64_t bytes,
                   double seconds, bool exact, const char* outcome) {
  shared.streams.fetch_add(1, std::memory_order_relaxed);
  std::string line;
  const char* direction = hello.direction == stream::Direction::up ? "up" : "down";
  if (shared.settings.json) {
    line = fmt::format(
        R"({{"type":"stream","peer":"{}","stream_id":{},"direction":"{}","bytes":{},"seconds":{:.3f},"bytes_per_s":{:.0f},"exact":{},"outcome":"{}"}})",
        peer, hello.stream_id, direction, bytes, seconds, seconds > 0 ? static_cast<double>(bytes) / seconds : 0,
        exact ? "true" : "false", outcome);
  } else {
    line = fmt::format("stream {} {} {}: {} bytes in {:.2f}s ({:.2f} Gbit/s){}{}", hello.stream_id, direction, peer,
                       bytes, seconds, seconds > 0 ? static_cast<double>(bytes) * 8 / seconds / 1e9 : 0,
                       exact ? ", exact" : ", NOT exact", outcome[0] == 'o' && outcome[1] == 'k' ? "" : fmt::format(" ({})", outcome));
  }
  line.push_back('\n');
  std::lock_guard lock(shared.out_mutex);
  std::fputs(line.c_str(), shared.out);
  std::fflush(shared.out);
}

// Runs `body(stream)` over plain TCP or TLS with one idle/duration timer
// that closes the socket when it fires.
template <typename Stream>
awaitable<void> session(Shared& shared, Stream& stream, tcp::socket& socket, std::string peer) {
  error_code ec;
  asio::steady_timer limit(socket.get_executor());
  // Until the hello arrives the connection may idle (held connections).
  limit.expires_after(shared.settings.idle_timeout);
  limit.async_wait([&socket](const error_code& e) {
    if (!e) {
      error_code ignored;
      socket.cancel(ignored);
    }
  });
  std::array<std::uint8_t, stream::kHelloSize> hello_bytes{};
  co_await asio::async_read(stream, asio::buffer(hello_bytes), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    limit.cancel();
    co_return;
  }
  auto hello = stream::decode_hello(hello_bytes.data());
  if (!hello) {
    limit.cancel();
    co_await asio::async_write(stream, asio::buffer("PLNO", 4), asio::redirect_error(asio::use_awaitable, ec));
    co_return;
  }
  co_await asio::async_write(stream, asio::buffer("PLOK", 4), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    limit.cancel();
    co_return;
  }
  // From here the stream runs at most its announced duration plus a grace
  // (one hour when it announced none).
  limit.cancel();
  const auto announced = hello->max_duration_ms ? std::chrono::milliseconds(hello->max_duration_ms)
                                                : std::chrono::milliseconds(std::chrono::hours(1));
  const auto started = Clock::now();
  const auto send_until = started + announced;
  limit.expires_at(send_until + std::chrono::seconds(10));
  limit.async_wait([&socket](const error_code& e) {
    if (!e) {
      error_code ignored;
      socket.cancel(ignored);
    }
  });

  std::uint64_t bytes = 0;
  bool exact = false;
  const char* outcome = "ok";
  if (hello->direction == stream::Direction::up) {
    // Over TLS the bulk data is read straight from the socket by OpenSSL
    // (direct_tls.h); the client sends nothing between its hello and "PLOK".
    SSL* direct = nullptr;
    if constexpr (std::is_same_v<Stream, Tls>) {
      if (direct_tls::move_to_socket(stream.native_handle(), socket.native_handle())) direct = stream.native_handle();
    }
    std::vector<std::uint8_t> buffer(256 * 1024);
    stream::FrameReader reader;
    auto state = stream::FrameReader::State::more;
    while (state == stream::FrameReader::State::more) {
      std::size_t n = 0;
      if (direct != nullptr) {
        ec = co_await direct_tls::read_some(direct, socket, buffer.data(), buffer.size(), n);
      } else {
        n = co_await stream.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec) break;
      std::size_t used = 0;
      std::uint64_t payload = 0;
      state = reader.feed(buffer.data(), n, used, payload);
    }
    bytes = reader.received();
    if (state == stream::FrameReader::State::done) {
      std::array<std::uint8_t, 8> ack{};
      stream::put_u64(ack.data(), reader.received());
      if (direct != nullptr) {
        ec = co_await direct_tls::write_all(direct, socket, ack.data(), ack.size());
      } else {
        co_await asio::async_write(stream, asio::buffer(ack), asio::redirect_error(asio::use_awaitable, ec));
      }
      exact = !ec && reader.sender_total() == reader.received();
      if (ec) outcome = "tcp_error";
    } else {
      outcome = name(state == stream::FrameReader::State::bad ? Code::stream_protocol_error : Code::protocol_closed).data();
    }
  } else {
    // The client's stop byte is read by a second coroutine while this one
    // writes; `waiter` lets this one wait for it once the end frame is out.
    bool stop = false, reader_done = false;
    asio::steady_timer waiter(socket.get_executor(), Clock::time_point::max());
    asio::co_spawn(
        socket.get_executor(),
        [&]() -> awaitable<void> {
          std::array<std::uint8_t, 1> byte{};
          error_code read_error;
          co_await asio::async_read(stream, asio::buffer(byte), asio::redirect_error(asio::use_awaitable, read_error));
          stop = true;
          reader_done = true;
          waiter.cancel();
        },
        asio::detached);
    std::vector<std::uint8_t> frame(4 + stream::kFrameSize, 0x5a);
    stream::put_u32(frame.data(), stream::kFrameSize);
    while (!stop && Clock::now() < send_until) {
      co_await asio::async_write(stream, asio::buffer(frame), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      bytes += stream::kFrameSize;
    }
    if (!ec) {
      std::array<std::uint8_t, 12> end{};
      stream::put_u64(end.data() + 4, bytes);
      co_await asio::async_write(stream, asio::buffer(end), asio::redirect_error(asio::use_awaitable, ec));
    }
    // The stop byte (sent by the client in every case) comes before its ack.
    error_code ignored;
    while (!reader_done) co_await waiter.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (!ec) {
      std::array<std::uint8_t, 8> ack{};
      co_await asio::async_read(stream, asio::buffer(ack), asio::redirect_error(asio::use_awaitable, ec));
      exact = !ec && stream::get_u64(ack.data()) == bytes;
    }
    if (ec) outcome = ec == asio::error::eof ? "protocol_closed" : "tcp_error";
  }
  limit.cancel();
  report_stream(shared, peer, *hello, bytes, std::chrono::duration<double>(Clock::now() - started).count(), exact,
                outcome);
}

awaitable<void> handle(Shared& shared, tcp::socket socket, asio::ssl::context* tls) {
  shared.connections.fetch_add(1, std::memory_order_relaxed);
  error_code ec;
  auto remote = socket.remote_endpoint(ec);
  std::string peer = ec ? "?" : fmt::format("{}:{}", remote.address().to_string(), remote.port());
  socket.set_option(tcp::no_delay(true), ec);
  if (tls == nullptr) {
    co_await session(shared, socket, socket, std::move(peer));
  } else {
    Tls stream(std::move(socket), *tls);
    asio::steady_timer limit(stream.get_executor());
    limit.expires_after(shared.settings.idle_timeout);
    limit.async_wait([&stream](const error_code& e) {
      if (!e) {
        error_code ignored;
        stream.next_layer().cancel(ignored);
      }
    });
    co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    limit.cancel();
    if (!ec) co_await session(shared, stream, stream.next_layer(), std::move(peer));
  }
}

awaitable<void> accept_loop(Shared& shared, tcp::acceptor& acceptor, IoPool& pool, asio::ssl::context* tls) {
  int next = 0;
  while (acceptor.is_open()) {
    auto& context = pool.context(next);
    next = (next + 1) % pool.size();
    error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(context, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // Out of descriptors and the like: pause instead of spinning.
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    asio::co_spawn(context, handle(shared, std::move(socket), tls), asio::detached);
  }
}

}  // namespace

int serve(const ServeSettings& settings, std::FILE* out, std::FILE* err) {
  std::unique_ptr<asio::ssl::context> tls;
  if (settings.tls) {
    tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    error_code ec;
    tls->use_certificate_chain_file(settings.cert_file, ec);
    if (!ec) tls->use_private_key_file(settings.key_file, asio::ssl::context::pem, ec);
    // No TLS 1.3 session tickets: nothing may arrive after the handshake
    // that the stream protocol does not expect (see direct_tls.h), and a
    // throughput peer has no use for resumption.
    SSL_CTX_set_num_tickets(tls->native_handle(), 0);
    if (ec) {
      std::fprintf(err, "plprobe: cannot load --cert %s / --key %s: %s\nhint: pass PEM files: the chain (leaf first) and its private key\n",
                   settings.cert_file.c_str(), settings.key_file.c_str(), ec.message().c_str());
      return 2;
    }
  }
  StopSignals signals;
  Shared shared(settings, out);
  IoPool pool(settings.threads);
  asio::io_context accept_context(1);
  tcp::acceptor acceptor(accept_context);
  error_code ec;
  acceptor.open(settings.listen.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(settings.listen, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::fprintf(err, "plprobe: cannot listen on %s:%u: %s\nhint: pick another --listen address or port\n",
                 settings.listen.address().to_string().c_str(), settings.listen.port(), ec.message().c_str());
    return 2;
  }
  const auto local = acceptor.local_endpoint(ec);
  if (settings.json) {
    std::fprintf(out, R"({"type":"listening","address":"%s","port":%u,"tls":%s,"threads":%d})" "\n",
                 local.address().to_string().c_str(), local.port(), settings.tls ? "true" : "false", pool.size());
  } else {
    std::fprintf(out, "plprobe serve: listening on %s:%u (%s, %d threads); Ctrl-C stops\n",
                 local.address().to_string().c_str(), local.port(), settings.tls ? "TLS" : "plain", pool.size());
  }
  std::fflush(out);
  asio::co_spawn(accept_context, accept_loop(shared, acceptor, pool, tls.get()), asio::detached);
  pool.start();
  std::thread accept_thread([&] { accept_context.run(); });
  while (!signals.wait(Clock::now() + std::chrono::seconds(1))) {
  }
  asio::post(accept_context, [&] {
    error_code ignored;
    acceptor.close(ignored);
  });
  accept_thread.join();
  pool.stop();
  pool.join();
  {
    std::lock_guard lock(shared.out_mutex);
    if (settings.json) {
      std::fprintf(out, R"({"type":"stopped","connections":%llu,"streams":%llu})" "\n",
                   static_cast<unsigned long long>(shared.connections.load()),
                   static_cast<unsigned long long>(shared.streams.load()));
    } else {
      std::fprintf(out, "plprobe serve: stopped after %llu connections, %llu streams\n",
                   static_cast<unsigned long long>(shared.connections.load()),
                   static_cast<unsigned long long>(shared.streams.load()));
    }
    std::fflush(out);
  }
  return 0;
}

}  // namespace plprobe::bench
