// One Kafka conversation over an engine Connection: numbered requests, one
// at a time, each answer read as a size-prefixed frame (protocol guide,
// "Network": "RequestOrResponse => Size (RequestMessage | ResponseMessage)").
//
// Failure behaviour: call() returns a Status and never throws.
//   - transport problems keep the transport's code (protocol_timeout,
//     protocol_closed, tcp_reset, tcp_error) with a message that names the
//     request that went unanswered;
//   - a size that cannot be a Kafka frame (negative, tiny, above
//     kMaxFrameBytes, or recognisably TLS/HTTP/SSH), a frame cut short, or
//     an answer to another correlation id: kafka_protocol_error.
// Memory: the payload buffer grows with the bytes that actually arrive,
// at most kReadChunk at a time, never from the announced size alone, so
// a peer that announces 60 MiB and sends 10 bytes costs 64 KiB.
// Ownership and threading: borrows the Connection and the Deadline, which
// must outlive it; one io_context thread; one call at a time.
#pragma once

#include <cstdint>
#include <string>

#include "common/asio.h"
#include "common/deadline.h"
#include "common/status.h"
#include "probes/kafka/kafka_codec.h"
#include "probes/transport/connection.h"

namespace plprobe::probes::kafka {

// The client id sent in every request header and the software name sent
// in ApiVersions v3 (KIP-511: it must match [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?).
inline constexpr std::string_view kClientId = "plprobe";
std::string_view client_software_version();

// How much of a frame is read per wait: large enough that a 10 MiB
// Metadata answer takes few wake-ups, small enough to be the only
// allocation a hostile size can cause.
inline constexpr std::size_t kReadChunk = 64 * 1024;

struct Response {
  Bytes payload;            // the whole frame after its size
  std::size_t body_offset = 0;
  ByteView body() const { return ByteView(payload).subspan(body_offset); }
};

class Channel {
 public:
  Channel(Connection& connection, Deadline& deadline) : connection_(connection), deadline_(deadline) {}

  awaitable<Status> call(std::int16_t api_key, std::int16_t version, const Bytes& body, Response& response);

  Connection& connection() { return connection_; }
  Deadline& deadline() { return deadline_; }

 private:
  Status describe_transport_failure(Status status, std::string_view request) const;

  Connection& connection_;
  Deadline& deadline_;
  std::int32_t next_correlation_id_ = 1;
};

}  // namespace plprobe::probes::kafka
