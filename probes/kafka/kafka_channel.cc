#include "probes/kafka/kafka_channel.h"

#include <algorithm>

#include <fmt/format.h>

namespace plprobe::probes::kafka {

#ifndef PLPROBE_KAFKA_CLIENT_VERSION
#define PLPROBE_KAFKA_CLIENT_VERSION "0"
#endif

std::string_view client_software_version() { return PLPROBE_KAFKA_CLIENT_VERSION; }

Status Channel::describe_transport_failure(Status status, std::string_view request) const {
  const std::string peer = connection_.peer_text();
  switch (status.code) {
    case Code::protocol_timeout:
      status.message = fmt::format("{} did not answer {} before the deadline", peer, request);
      break;
    case Code::protocol_closed:
      status.message = fmt::format("{} closed the connection instead of answering {}", peer, request);
      status.hint =
          "A Kafka listener closes the connection when it expects something else first: TLS (use kafka+tls://), "
          "or SASL authentication before this request (pass --sasl-mechanism and credentials); check the broker log.";
      break;
    case Code::tcp_reset:
      status.message = fmt::format("{} reset the connection instead of answering {}", peer, request);
      break;
    default:
      status.message = fmt::format("{} (while waiting for {})", status.message, request);
      break;
  }
  return status;
}

awaitable<Status> Channel::call(std::int16_t api_key, std::int16_t version, const Bytes& body, Response& response) {
  const std::string request = fmt::format("{} v{}", api_name(api_key), version);
  const std::int32_t correlation_id = next_correlation_id_++;
  const Bytes frame = encode_request(
      RequestHeader{api_key, version, correlation_id, std::string(kClientId)}, body);
  Status status = co_await connection_.write(asio::buffer(frame), deadline_);
  if (!status.ok()) co_return describe_transport_failure(std::move(status), request);

  std::uint8_t prefix[4];
  status = co_await connection_.read_exact(asio::buffer(prefix), deadline_);
  if (!status.ok()) co_return describe_transport_failure(std::move(status), request);
  std::string problem;
  const auto size = check_frame_size(prefix, problem);
  if (!size) {
    co_return Status::failure(Code::kafka_protocol_error,
                              fmt::format("{} answered {} with bytes that are not Kafka: {}", connection_.peer_text(),
                                          request, problem));
  }

  const auto total = static_cast<std::size_t>(*size);
  response.payload.clear();
  std::size_t got = 0;
  while (got < total) {
    const std::size_t want = std::min(kReadChunk, total - got);
    response.payload.resize(got + want);
    std::size_t received = 0;
    status = co_await connection_.read_some(asio::buffer(response.payload.data() + got, want), deadline_, received);
    got += received;
    if (!status.ok()) {
      response.payload.resize(got);
      if (status.code == Code::protocol_timeout) {
        co_return Status::failure(Code::protocol_timeout,
                                  fmt::format("{} sent {} of the {} bytes of its {} answer, then nothing before the "
                                              "deadline",
                                              connection_.peer_text(), got, total, request));
      }
      co_return Status::failure(Code::kafka_protocol_error,
                                fmt::format("{} cut its {} answer short: {} of {} bytes, then {}", connection_.peer_text(),
                                            request, got, total, status.message));
    }
  }

  const auto decoded = decode_response(response.payload, response_header_is_flexible(api_key, version), problem);
  if (!decoded) {
    co_return Status::failure(Code::kafka_protocol_error,
                              fmt::format("{} sent a malformed {} answer: {}", connection_.peer_text(), request, problem));
  }
  if (decoded->correlation_id != correlation_id) {
    co_return Status::failure(Code::kafka_protocol_error,
                              fmt::format("{} answered {} with correlation id {} instead of {}", connection_.peer_text(),
                                          request, decoded->correlation_id, correlation_id));
  }
  response.body_offset = response.payload.size() - decoded->body.size();
  co_return Status::success();
}

}  // namespace plprobe::probes::kafka
