#include "probes/mongodb/mongodb_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>

#include <fmt/format.h>

namespace plprobe::probes::mongodb {
namespace {

// MongoDB error codes (error_codes.yml) a SASL conversation can end with.
constexpr std::int64_t kAuthenticationFailed = 18;
constexpr std::int64_t kMechanismUnavailable = 334;

// Rounds allowed in one conversation: SCRAM needs two, three for servers
// that want the empty final exchange; more means a peer that never says done.
constexpr int kMaxSaslRounds = 4;

Status refusal(const CommandError& error, std::string_view step, std::string_view mechanism) {
  const std::string detail = fmt::format("{} (code {}{})", error.message, error.code,
                                         error.code_name.empty() ? "" : " " + error.code_name);
  if (error.code == kMechanismUnavailable) {
    return Status::failure(Code::mongodb_auth_mechanism_unsupported,
                           fmt::format("the server does not offer {}: {}", mechanism, detail));
  }
  return Status::failure(Code::mongodb_auth_failed, fmt::format("{} with {} was refused: {}", step, mechanism, detail),
                         error.code == kAuthenticationFailed ? std::string() : std::string(info(Code::mongodb_auth_failed).hint));
}

}  // namespace

std::string mongodb_password(ScramHash hash, std::string_view user, std::string_view password) {
  if (hash == ScramHash::sha256) return std::string(password);
  // Driver Authentication spec, SCRAM-SHA-1: the password is replaced by
  // hex(MD5(username + ":mongo:" + password)), lower case.
  std::string input;
  input.reserve(user.size() + password.size() + 7);
  input.append(user).append(":mongo:").append(password);
  unsigned char md5[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  const bool hashed = EVP_Digest(input.data(), input.size(), md5, &length, EVP_md5(), nullptr) == 1;
  OPENSSL_cleanse(input.data(), input.size());
  if (!hashed) return {};
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned i = 0; i < length; ++i) hex += fmt::format("{:02x}", md5[i]);
  OPENSSL_cleanse(md5, sizeof md5);
  return hex;
}

std::optional<ScramHash> choose_mechanism(const std::vector<std::string>& offered, std::int64_t max_wire_version) {
  if (offered.empty()) return max_wire_version >= 7 ? ScramHash::sha256 : ScramHash::sha1;
  if (std::find(offered.begin(), offered.end(), "SCRAM-SHA-256") != offered.end()) return ScramHash::sha256;
  if (std::find(offered.begin(), offered.end(), "SCRAM-SHA-1") != offered.end()) return ScramHash::sha1;
  return std::nullopt;
}

awaitable<Status> authenticate(Channel& channel, ScramHash hash, std::string_view database, std::string_view user,
                               std::string_view password, AuthResult& out) {
  out = AuthResult{};
  out.mechanism = std::string(mechanism_name(hash));
  out.database = std::string(database);
  if (!is_valid_utf8(user) || user.empty()) {
    co_return Status::failure(Code::mongodb_auth_failed, "the user name is empty or not valid UTF-8");
  }
  ScramClient scram(hash, std::string(user), mongodb_password(hash, user, password));

  Builder start_fields;
  Builder options;
  options.boolean("skipEmptyExchange", true);
  start_fields.string("mechanism", out.mechanism)
      .binary("payload", scram.client_first())
      .int32("autoAuthorize", 1)
      .document("options", options);
  Document reply;
  Status status = co_await channel.run(command("saslStart", start_fields.finish().value_or(Document())), database, reply);
  ++out.round_trips;
  if (!status.ok()) co_return status;
  if (auto error = command_error(reply)) co_return refusal(*error, "saslStart", out.mechanism);

  const auto conversation = reply.integer("conversationId");
  const auto server_first = reply.binary("payload");
  if (!conversation || !server_first) {
    co_return Status::failure(Code::mongodb_protocol_error,
                              "the answer to saslStart lacks conversationId or payload");
  }
  std::string error;
  auto client_final = scram.client_final(*server_first, error);
  if (!client_final) co_return Status::failure(Code::mongodb_auth_failed, error);

  std::string payload = std::move(*client_final);
  bool verified = false;
  for (int round = 0; round < kMaxSaslRounds; ++round) {
    Builder next;
    next.int64("conversationId", *conversation).binary("payload", payload);
    status = co_await channel.run(command("saslContinue", next.finish().value_or(Document())), database, reply);
    ++out.round_trips;
    OPENSSL_cleanse(payload.data(), payload.size());
    if (!status.ok()) co_return status;
    if (auto refused = command_error(reply)) co_return refusal(*refused, "saslContinue", out.mechanism);
    const auto server_payload = reply.binary("payload").value_or("");
    if (!verified) {
      if (!scram.verify_server_final(server_payload, error)) {
        co_return Status::failure(Code::mongodb_auth_failed, error);
      }
      verified = true;
    }
    if (reply.boolean("done").value_or(false)) {
      out.authenticated = true;
      co_return Status::success();
    }
    payload.clear();  // the empty exchange of servers without skipEmptyExchange
  }
  co_return Status::failure(Code::mongodb_protocol_error,
                            fmt::format("the server did not finish the SASL conversation after {} rounds", kMaxSaslRounds));
}

}  // namespace plprobe::probes::mongodb
