#include "tests/integration/kafka/metadata_proxy.h"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "probes/kafka/kafka_codec.h"

namespace plprobe::testing {
namespace {

namespace kafka = probes::kafka;

// One size-prefixed frame (throws boost::system::system_error when the
// stream ends, which ends the connection quietly).
awaitable<kafka::Bytes> read_frame(tcp::socket& socket) {
  std::uint8_t size_bytes[4];
  co_await asio::async_read(socket, asio::buffer(size_bytes), asio::use_awaitable);
  const std::uint32_t size = (std::uint32_t{size_bytes[0]} << 24) | (std::uint32_t{size_bytes[1]} << 16) |
                             (std::uint32_t{size_bytes[2]} << 8) | size_bytes[3];
  if (size > (16u << 20)) throw boost::system::system_error(asio::error::message_size);
  kafka::Bytes frame(size_bytes, size_bytes + 4);
  frame.resize(4 + size);
  co_await asio::async_read(socket, asio::buffer(frame.data() + 4, size), asio::use_awaitable);
  co_return frame;
}

}  // namespace

MetadataRewritingProxy::MetadataRewritingProxy(tcp::endpoint upstream, std::map<std::int32_t, std::string> hosts)
    : upstream_(std::move(upstream)),
      hosts_(std::move(hosts)),
      rewritten_(std::make_shared<std::atomic<std::uint64_t>>(0)) {
  listener_ = std::make_unique<ScriptedListener>([this](tcp::socket& client) -> awaitable<void> {
    tcp::socket server(client.get_executor());
    co_await server.async_connect(upstream_, asio::use_awaitable);
    for (;;) {
      const kafka::Bytes request = co_await read_frame(client);
      std::string error;
      const auto decoded = kafka::decode_request(kafka::ByteView(request).subspan(4), error);
      if (!decoded) co_return;
      co_await asio::async_write(server, asio::buffer(request), asio::use_awaitable);
      kafka::Bytes response = co_await read_frame(server);
      const auto& header = decoded->header;
      if (header.api_key == kafka::api::metadata) {
        const bool flexible = kafka::response_header_is_flexible(header.api_key, header.api_version);
        auto answer = kafka::decode_response(kafka::ByteView(response).subspan(4), flexible, error);
        if (!answer) co_return;
        auto metadata = kafka::decode_metadata_response(answer->body, header.api_version, error);
        if (!metadata) co_return;
        for (auto& broker : metadata->brokers) {
          if (auto host = hosts_.find(broker.node_id); host != hosts_.end()) broker.host = host->second;
        }
        response = kafka::encode_response(answer->correlation_id, flexible,
                                          kafka::encode_metadata_response(header.api_version, *metadata));
        ++*rewritten_;
      }
      co_await asio::async_write(client, asio::buffer(response), asio::use_awaitable);
    }
  });
}

}  // namespace plprobe::testing
