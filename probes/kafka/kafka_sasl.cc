#include "probes/kafka/kafka_sasl.h"

namespace plprobe::probes::kafka {

std::optional<ScramHash> scram_hash_for(std::string_view mechanism) {
  const auto hash = sasl::scram_hash_for(mechanism);
  if (hash == ScramHash::sha1) return std::nullopt;
  return hash;
}

std::string plain_initial_response(std::string_view user, std::string_view password) {
  std::string message;
  message.reserve(user.size() + password.size() + 2);
  message.push_back('\0');
  message.append(user);
  message.push_back('\0');
  message.append(password);
  return message;
}

}  // namespace plprobe::probes::kafka
