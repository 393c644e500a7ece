// Fuzz target: every decoder a Kafka peer's bytes reach, plus the SCRAM
// server-message parser. Input layout: byte 0 picks the decoder, byte 1 the
// protocol version, the rest is the answer's body. Besides "no crash, no
// out-of-bounds read, no unbounded allocation" (the sanitizers and
// libFuzzer's -rss_limit_mb check those), a decoded answer must survive
// encode -> decode unchanged: the encoders feed the test peers, so a
// disagreement between the two directions is a bug too.
#include <cstddef>
#include <cstdint>
#include <string>

#include "probes/kafka/kafka_codec.h"
#include "probes/kafka/kafka_sasl.h"

namespace kafka = plprobe::probes::kafka;

namespace {

template <typename Decoded, typename Decode, typename Encode>
void round_trip(const Decoded& decoded, std::int16_t version, Decode decode, Encode encode) {
  std::string error;
  const auto again = decode(encode(version, decoded), version, error);
  if (!again || !(*again == decoded)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t which = data[0] % 8;
  const auto version_byte = static_cast<std::int16_t>(data[1]);
  const kafka::ByteView body(data + 2, size - 2);
  std::string error;
  switch (which) {
    case 0: {
      const auto version = static_cast<std::int16_t>(version_byte % (kafka::kApiVersionsMax + 1));
      if (auto decoded = kafka::decode_api_versions_response(body, version, error)) {
        round_trip(*decoded, version, kafka::decode_api_versions_response, kafka::encode_api_versions_response);
      }
      break;
    }
    case 1: {
      const auto version = static_cast<std::int16_t>(
          kafka::kMetadataMin + version_byte % (kafka::kMetadataMax - kafka::kMetadataMin + 1));
      if (auto decoded = kafka::decode_metadata_response(body, version, error)) {
        round_trip(*decoded, version, kafka::decode_metadata_response, kafka::encode_metadata_response);
      }
      break;
    }
    case 2: {
      if (auto decoded = kafka::decode_sasl_handshake_response(body, 1, error)) {
        round_trip(*decoded, 1, kafka::decode_sasl_handshake_response, kafka::encode_sasl_handshake_response);
      }
      break;
    }
    case 3: {
      const auto version = static_cast<std::int16_t>(version_byte % (kafka::kSaslAuthenticateMax + 1));
      if (auto decoded = kafka::decode_sasl_authenticate_response(body, version, error)) {
        round_trip(*decoded, version, kafka::decode_sasl_authenticate_response,
                   kafka::encode_sasl_authenticate_response);
      }
      break;
    }
    case 4: {
      // A whole frame as it arrives: size prefix, then the response header.
      if (body.size() >= 4 && kafka::check_frame_size(body.first(4), error)) {
        (void)kafka::decode_response(body.subspan(4), (version_byte & 1) != 0, error);
      }
      break;
    }
    case 5: {
      // What the test peers decode: a request header and a Metadata request.
      if (auto request = kafka::decode_request(body, error)) {
        const auto version = static_cast<std::int16_t>(
            kafka::kMetadataMin + version_byte % (kafka::kMetadataMax - kafka::kMetadataMin + 1));
        (void)kafka::decode_metadata_request(request->body, version, error);
        (void)kafka::decode_sasl_authenticate_request(request->body, version_byte % 3, error);
        (void)kafka::decode_sasl_handshake_request(request->body, 1, error);
      }
      break;
    }
    case 6: {
      // A SCRAM server-first then server-final message, split at the first NUL.
      const std::string text(reinterpret_cast<const char*>(body.data()), body.size());
      const auto split = text.find('\0');
      kafka::ScramClient client(kafka::ScramHash::sha256, "user", "pencil", "fuzznonce");
      if (client.client_final(text.substr(0, split), error) && split != std::string::npos) {
        (void)client.verify_server_final(text.substr(split + 1), error);
      }
      break;
    }
    default:
      (void)kafka::base64_decode(std::string(reinterpret_cast<const char*>(body.data()), body.size()));
      break;
  }
  return 0;
}
