// The Kafka probe against peers that do not play by the protocol: cut
// frames, absurd sizes, other protocols, silence. Each must end in a clean
// outcome within the deadline, with every socket closed and no buffer
// sized by what the peer announced.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "probes/kafka/kafka_codec.h"
#include "tests/support/fds.h"
#include "tests/support/listeners.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/unit/kafka/alloc_tracker.h"
#include "tests/unit/probes/probe_harness.h"

namespace plprobe::probes {
namespace {

using namespace std::chrono_literals;
using plprobe::testing::AfterSend;
using plprobe::testing::ClosedTcpPort;
using plprobe::testing::ListenerBehaviour;
using plprobe::testing::ListenerOptions;
using plprobe::testing::ScriptedListener;
using plprobe::testing::TcpListener;
using testing::run_targets;

// Nothing here may touch a real DNS server: the resolver is pointed at a
// loopback port where nothing listens (IP literals never reach it anyway).
EngineOptions options_with_deadline(std::chrono::milliseconds timeout) {
  static ClosedTcpPort no_dns;
  EngineOptions options;
  options.timeout = timeout;
  options.threads = 1;
  options.resolver.servers = {{asio::ip::make_address("127.0.0.1"), no_dns.port()}};
  return options;
}

std::string kafka_target(std::uint16_t port) { return fmt::format("kafka://127.0.0.1:{}", port); }

std::string as_text(std::initializer_list<int> values) {
  std::string out;
  for (int value : values) out.push_back(static_cast<char>(value));
  return out;
}

struct Timed {
  ProbeResult result;
  std::chrono::milliseconds elapsed;
};

Timed probe(std::uint16_t port, std::chrono::milliseconds timeout = 1500ms) {
  const auto start = std::chrono::steady_clock::now();
  auto result = run_targets({kafka_target(port)}, options_with_deadline(timeout)).only();
  return {std::move(result),
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)};
}

ListenerOptions send_then(std::string bytes, AfterSend after) {
  ListenerOptions options;
  options.behaviour = ListenerBehaviour::accept_and_send;
  options.bytes_to_send = std::move(bytes);
  options.after_send = after;
  return options;
}

class KafkaHostilePeer : public ::testing::Test {
 protected:
  void SetUp() override {
    options_with_deadline(1s);  // opens the lasting no-DNS port before counting
    descriptors_before_ = plprobe::testing::open_descriptor_count();
  }
  void TearDown() override {
    // The engine has returned: every socket it opened must be closed.
    EXPECT_TRUE(plprobe::testing::wait_until(
        [&] { return plprobe::testing::open_descriptor_count() <= descriptors_before_; }, 2s))
        << "descriptors before: " << descriptors_before_ << ", after: " << plprobe::testing::open_descriptor_count();
  }
  std::size_t descriptors_before_ = 0;
};

TEST_F(KafkaHostilePeer, TruncatedFrameThenCloseIsAProtocolError) {
  // Announces 100 bytes, sends 10 (a correlation id and six more), closes.
  TcpListener peer(send_then(as_text({0, 0, 0, 100, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}), AfterSend::close));
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::kafka_protocol_error) << result.message;
  EXPECT_NE(result.message.find("10 of 100 bytes"), std::string::npos) << result.message;
  EXPECT_LT(elapsed, 1500ms);
}

TEST_F(KafkaHostilePeer, TwoGibLengthPrefixIsRefusedAtOnce) {
  plprobe::testing::reset_largest_allocation();
  TcpListener peer(send_then(as_text({0x80, 0, 0, 0, 1, 2, 3, 4}), AfterSend::hold));
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::kafka_protocol_error) << result.message;
  EXPECT_NE(result.message.find("negative size"), std::string::npos) << result.message;
  EXPECT_LT(elapsed, 1000ms) << "refused from the size alone, not after waiting for 2 GiB";
  EXPECT_LT(plprobe::testing::largest_allocation(), 1u << 20);
}

TEST_F(KafkaHostilePeer, SizeJustBelowTwoGibIsRefusedAtOnce) {
  TcpListener peer(send_then(as_text({0x7f, 0xff, 0xff, 0xff}), AfterSend::hold));
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::kafka_protocol_error) << result.message;
  EXPECT_NE(result.message.find("limit"), std::string::npos) << result.message;
  EXPECT_LT(elapsed, 1000ms);
}

TEST_F(KafkaHostilePeer, AnnouncedSixtyMebibytesThenSilenceTimesOutWithoutABigBuffer) {
  plprobe::testing::reset_largest_allocation();
  // 60 MiB announced (under the 64 MiB cap), 10 bytes sent, then nothing.
  TcpListener peer(send_then(as_text({0x03, 0xc0, 0, 0, 0, 0, 0, 1, 9, 9, 9, 9, 9, 9}), AfterSend::hold));
  const auto [result, elapsed] = probe(peer.port(), 800ms);
  EXPECT_EQ(result.outcome, Code::protocol_timeout) << result.message;
  EXPECT_NE(result.message.find("10 of the 62914560 bytes"), std::string::npos) << result.message;
  EXPECT_GE(elapsed, 700ms);
  EXPECT_LT(elapsed, 800ms + 700ms);
  EXPECT_LT(plprobe::testing::largest_allocation(), 1u << 20)
      << "the buffer grows with the bytes that arrive, not with the size announced";
}

TEST_F(KafkaHostilePeer, GarbageIsAProtocolError) {
  TcpListener peer(send_then(as_text({0, 0, 0, 8, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef}), AfterSend::hold));
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::kafka_protocol_error) << result.message;
  EXPECT_NE(result.message.find("correlation id"), std::string::npos) << result.message;
}

TEST_F(KafkaHostilePeer, AnHttpServerIsNamed) {
  TcpListener peer(send_then("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", AfterSend::close));
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::kafka_protocol_error) << result.message;
  EXPECT_NE(result.message.find("HTTP"), std::string::npos) << result.message;
}

TEST_F(KafkaHostilePeer, ATlsListenerIsNamedWithTheSchemeToUse) {
  // A TLS alert record (handshake_failure), what a TLS port answers to plaintext.
  TcpListener peer(send_then(as_text({0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28}), AfterSend::close));
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::kafka_protocol_error) << result.message;
  EXPECT_NE(result.message.find("kafka+tls://"), std::string::npos) << result.message;
}

TEST_F(KafkaHostilePeer, SilenceTimesOutWithinTheDeadline) {
  TcpListener peer(ListenerBehaviour::accept_and_hold);
  const auto [result, elapsed] = probe(peer.port(), 600ms);
  EXPECT_EQ(result.outcome, Code::protocol_timeout) << result.message;
  EXPECT_NE(result.message.find("ApiVersions"), std::string::npos) << result.message;
  EXPECT_GE(elapsed, 550ms);
  EXPECT_LT(elapsed, 600ms + 700ms);
}

TEST_F(KafkaHostilePeer, ACloseBeforeAnyAnswerIsProtocolClosed) {
  TcpListener peer(ListenerBehaviour::accept_and_close);
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::protocol_closed) << result.message;
  EXPECT_NE(result.hint.find("kafka+tls://"), std::string::npos) << result.hint;
}

TEST_F(KafkaHostilePeer, NothingListeningIsTcpRefused) {
  ClosedTcpPort closed;
  const auto [result, elapsed] = probe(closed.port());
  EXPECT_EQ(result.outcome, Code::tcp_refused) << result.message;
}

// A broker that answers ApiVersions properly, then sends a Metadata answer
// whose broker count promises far more than the frame holds.
TEST_F(KafkaHostilePeer, MetadataWithAHostileCountIsAProtocolErrorWithoutABigAllocation) {
  namespace kafka = probes::kafka;
  ScriptedListener peer([](tcp::socket& socket) -> awaitable<void> {
    for (int request = 0; request < 2; ++request) {
      std::uint8_t size_bytes[4];
      co_await asio::async_read(socket, asio::buffer(size_bytes), asio::use_awaitable);
      std::vector<std::uint8_t> payload((size_bytes[0] << 24) | (size_bytes[1] << 16) | (size_bytes[2] << 8) |
                                        size_bytes[3]);
      co_await asio::async_read(socket, asio::buffer(payload), asio::use_awaitable);
      std::string error;
      const auto header = kafka::decode_request(payload, error);
      if (!header) co_return;
      kafka::Bytes body;
      if (header->header.api_key == kafka::api::api_versions) {
        kafka::ApiVersionsResponse answer;
        answer.api_keys = {{kafka::api::metadata, 0, 12}, {kafka::api::api_versions, 0, 3}};
        body = kafka::encode_api_versions_response(header->header.api_version, answer);
      } else {
        // Metadata v12: throttle, then brokers as a COMPACT_ARRAY claiming 100 million entries.
        body = {0, 0, 0, 0, 0x81, 0xc2, 0xd7, 0x2f, 0, 0, 0, 1};
      }
      const auto frame = kafka::encode_response(
          header->header.correlation_id,
          kafka::response_header_is_flexible(header->header.api_key, header->header.api_version), body);
      co_await asio::async_write(socket, asio::buffer(frame), asio::use_awaitable);
    }
  });
  plprobe::testing::reset_largest_allocation();
  const auto [result, elapsed] = probe(peer.port());
  EXPECT_EQ(result.outcome, Code::kafka_protocol_error) << result.message;
  EXPECT_NE(result.message.find("Metadata.brokers"), std::string::npos) << result.message;
  EXPECT_EQ(result.facts["api_versions"]["version"], 3);
  EXPECT_LT(plprobe::testing::largest_allocation(), 1u << 20);
}

}  // namespace
}  // namespace plprobe::probes
