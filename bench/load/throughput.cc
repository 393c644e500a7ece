#include "bench/load/throughput.h"

#include <atomic>
#include <cstring>
#include <thread>

#include "bench/load/direct_tls.h"
#include "bench/load/socket_codes.h"
#include "common/deadline.h"
#include "probes/transport/connection.h"

namespace plprobe::bench {
namespace {

struct StreamJob {
  StreamReport report;
  int thread = 0;
};

awaitable<void> run_stream(Run& run, const ThroughputSettings& settings, StreamJob& job, Recorder& recorder,
                           std::atomic<int>& active) {
  auto& report = job.report;
  auto executor = co_await asio::this_coro::executor;
  probes::Connection connection(executor);
  const auto start = Clock::now();
  // One deadline for the whole stream: the planned end plus the grace.
  Deadline deadline(executor, run.planned_end() + settings.grace);
  auto fail = [&](const Status& status) {
    report.outcome = std::string(name(status.code));
    recorder.failure(std::max(start, run.window().measure_begin), report.outcome);
  };
  {
    Deadline connect_deadline(executor, settings.connect_timeout);
    auto status = co_await connection.connect(settings.endpoint, connect_deadline, false);
    if (status.ok() && settings.tls) {
      TlsDetails details;
      status = co_await connection.start_tls(*settings.tls, settings.server_name, connect_deadline, details);
      if (status.ok()) status = probes::judge(details, settings.server_name);
    }
    if (!status.ok()) {
      fail(status);
      active.fetch_sub(1);
      co_return;
    }
  }
  // TLS data goes straight between OpenSSL and the socket (direct_tls.h),
  // switched right after the handshake: serve sends no session tickets, so
  // nothing is buffered yet. Plain TCP and the fallback use the Connection.
  SSL* direct = nullptr;
  Status status;
  if (settings.tls &&
      direct_tls::move_to_socket(connection.ssl(), connection.socket().native_handle())) {
    direct = connection.ssl();
  }
  Deadline::Guard guard;
  if (direct != nullptr) {
    guard = deadline.on_expiry([&connection] {
      error_code ignored;
      connection.socket().cancel(ignored);
    });
  }
  auto io_status = [&](const error_code& ec, const char* doing) {
    if (!ec) return Status::success();
    if (deadline.expired()) return Status::failure(Code::protocol_timeout, std::string("timed out while ") + doing);
    return Status::failure(stream_failure_code(ec), std::string(doing) + ": " + ec.message());
  };
  auto send = [&](asio::const_buffer data) -> awaitable<Status> {
    if (direct == nullptr) co_return co_await connection.write(data, deadline);
    auto ec = co_await direct_tls::write_all(direct, connection.socket(), data.data(), data.size());
    co_return io_status(ec, "sending");
  };
  auto receive_some = [&](asio::mutable_buffer data, std::size_t& n) -> awaitable<Status> {
    if (direct == nullptr) co_return co_await connection.read_some(data, deadline, n);
    auto ec = co_await direct_tls::read_some(direct, connection.socket(), data.data(), data.size(), n);
    co_return io_status(ec, "receiving");
  };
  auto receive_exact = [&](asio::mutable_buffer data) -> awaitable<Status> {
    if (direct == nullptr) co_return co_await connection.read_exact(data, deadline);
    auto* bytes = static_cast<std::uint8_t*>(data.data());
    std::size_t have = 0;
    while (have < data.size()) {
      std::size_t n = 0;
      auto ec = co_await direct_tls::read_some(direct, connection.socket(), bytes + have, data.size() - have, n);
      if (ec) co_return io_status(ec, "receiving");
      have += n;
    }
    co_return Status::success();
  };

  const auto total_ms = std::chrono::duration_cast<std::chrono::milliseconds>(run.planned_end() - Clock::now() +
                                                                              settings.grace);
  auto hello = stream::encode_hello(
      {report.direction, report.id, static_cast<std::uint32_t>(std::max<long long>(total_ms.count(), 1))});
  std::array<std::uint8_t, 4> answer{};
  status = co_await send(asio::buffer(hello));
  if (status.ok()) status = co_await receive_exact(asio::buffer(answer));
  if (status.ok() && std::memcmp(answer.data(), "PLOK", 4) != 0) {
    status = Status::failure(Code::stream_protocol_error, "the peer did not answer the stream hello with PLOK (not plprobe serve?)");
  }

  if (status.ok() && report.direction == stream::Direction::up) {
    // Every frame has the same length, so the header is written once, in
    // front of the payload: one write per frame.
    std::vector<std::uint8_t> frame(4 + stream::kFrameSize, 0xa5);
    stream::put_u32(frame.data(), stream::kFrameSize);
    while (!run.stopped()) {
      status = co_await send(asio::buffer(frame));
      if (!status.ok()) break;
      report.bytes += stream::kFrameSize;
      recorder.add_bytes(stream::kFrameSize);
    }
    if (status.ok()) {
      std::array<std::uint8_t, 12> end{};
      stream::put_u64(end.data() + 4, report.bytes);
      std::array<std::uint8_t, 8> ack{};
      status = co_await send(asio::buffer(end));
      if (status.ok()) status = co_await receive_exact(asio::buffer(ack));
      if (status.ok()) {
        report.peer_bytes = stream::get_u64(ack.data());
        report.finished = true;
      }
    }
  } else if (status.ok()) {
    std::vector<std::uint8_t> buffer(256 * 1024);
    stream::FrameReader reader;
    auto state = stream::FrameReader::State::more;
    bool stop_sent = false;
    while (state == stream::FrameReader::State::more) {
      if (!stop_sent && run.stopped()) {
        const std::uint8_t stop = stream::kStopByte;
        status = co_await send(asio::buffer(&stop, 1));
        if (!status.ok()) break;
        stop_sent = true;
      }
      std::size_t n = 0;
      status = co_await receive_some(asio::buffer(buffer), n);
      if (!status.ok()) break;
      std::size_t used = 0;
      std::uint64_t payload = 0;
      state = reader.feed(buffer.data(), n, used, payload);
      recorder.add_bytes(payload);
    }
    report.bytes = reader.received();
    if (state == stream::FrameReader::State::bad) {
      status = Status::failure(Code::stream_protocol_error, "the peer sent a frame longer than 1 MiB");
    } else if (state == stream::FrameReader::State::done) {
      report.peer_bytes = reader.sender_total();
      // The peer waits for the stop byte (always sent) before our total.
      std::array<std::uint8_t, 9> tail{};
      std::size_t offset = 0;
      if (!stop_sent) tail[offset++] = stream::kStopByte;
      stream::put_u64(tail.data() + offset, reader.received());
      status = co_await send(asio::buffer(tail.data(), offset + 8));
      report.finished = status.ok();
    }
  }
  if (!status.ok()) fail(status);
  report.exact = report.finished && report.bytes == report.peer_bytes;
  connection.close();
  active.fetch_sub(1);
}

}  // namespace

std::vector<StreamReport> run_throughput(Run& run, IoPool& pool, const ThroughputSettings& settings) {
  std::vector<std::unique_ptr<StreamJob>> jobs;
  for (int i = 0; i < settings.streams; ++i) {
    auto add = [&](stream::Direction direction) {
      auto job = std::make_unique<StreamJob>();
      job->report.id = static_cast<std::uint32_t>(jobs.size() + 1);
      job->report.direction = direction;
      job->thread = static_cast<int>(jobs.size()) % pool.size();
      jobs.push_back(std::move(job));
    };
    if (settings.direction != ThroughputDirection::down) add(stream::Direction::up);
    if (settings.direction != ThroughputDirection::up) add(stream::Direction::down);
  }
  std::atomic<int> active{static_cast<int>(jobs.size())};
  for (auto& job : jobs) {
    asio::co_spawn(pool.context(job->thread),
                   run_stream(run, settings, *job, run.recorder(job->thread), active), asio::detached);
  }
  pool.start();
  run.drive();
  // Let every stream exchange its totals, then cut what is left.
  const auto cut = Clock::now() + settings.grace;
  while (active.load() > 0 && Clock::now() < cut) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  pool.stop();
  pool.join();
  std::vector<StreamReport> reports;
  for (auto& job : jobs) {
    if (!job->report.finished && job->report.outcome == "ok") job->report.outcome = name(Code::protocol_timeout);
    reports.push_back(job->report);
  }
  return reports;
}

}  // namespace plprobe::bench
