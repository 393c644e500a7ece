#include "probes/transport/tls.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>

#include <boost/asio/ssl/error.hpp>
#include <fmt/format.h>

namespace plprobe::probes {
namespace {

namespace ssl = boost::asio::ssl;

// Where a connection's TlsDetails lives while OpenSSL verifies its chain.
int details_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Records every verification error and lets verification go on (return 1),
// so the report lists all of them; judge() enforces the policy afterwards.
int record_verify_error(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok) return 1;
  auto* ssl_object = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* details = ssl_object ? static_cast<TlsDetails*>(SSL_get_ex_data(ssl_object, details_index())) : nullptr;
  if (details == nullptr) return 1;
  const int error = X509_STORE_CTX_get_error(store);
  if (std::find(details->verify_error_codes.begin(), details->verify_error_codes.end(), error) ==
      details->verify_error_codes.end()) {
    details->verify_error_codes.push_back(error);
    details->verify_errors.emplace_back(X509_verify_cert_error_string(error));
  }
  return 1;
}

std::string name_text(const X509_NAME* name) {
  if (name == nullptr) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return {};
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<std::size_t>(std::max(0L, length)));
  BIO_free(bio);
  return text;
}

std::string time_text(const ASN1_TIME* time) {
  std::tm parts{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) return {};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                     parts.tm_hour, parts.tm_min, parts.tm_sec);
}

std::vector<std::string> subject_alt_names(X509* certificate) {
  std::vector<std::string> names;
  auto* general = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (general == nullptr) return names;
  for (int i = 0; i < sk_GENERAL_NAME_num(general); ++i) {
    const GENERAL_NAME* entry = sk_GENERAL_NAME_value(general, i);
    if (entry->type == GEN_DNS) {
      const auto* text = entry->d.dNSName;
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                         static_cast<std::size_t>(ASN1_STRING_length(text)));
    } else if (entry->type == GEN_IPADD) {
      const auto* raw = entry->d.iPAddress;
      const auto* bytes = ASN1_STRING_get0_data(raw);
      if (ASN1_STRING_length(raw) == 4) {
        names.push_back(fmt::format("{}.{}.{}.{}", bytes[0], bytes[1], bytes[2], bytes[3]));
      } else if (ASN1_STRING_length(raw) == 16) {
        boost::asio::ip::address_v6::bytes_type v6{};
        std::copy(bytes, bytes + 16, v6.begin());
        names.push_back(boost::asio::ip::address_v6(v6).to_string());
      }
    }
  }
  GENERAL_NAMES_free(general);
  return names;
}

bool is_ip_literal(std::string_view name) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(std::string(name), ec);
  return !ec;
}

}  // namespace

TlsClientContext::TlsClientContext(const TlsOptions& options)
    : options_(options), context_(ssl::context::tls_client) {}

std::shared_ptr<TlsClientContext> TlsClientContext::create(const TlsOptions& options, std::string& error) {
  std::shared_ptr<TlsClientContext> result(new TlsClientContext(options));
  SSL_CTX* native = result->context_.native_handle();
  // ClickPipes and every current server speak TLS 1.2+; an older server
  // fails with tls_protocol_too_old instead of a silent downgrade.
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_verify(native, SSL_VERIFY_NONE, &record_verify_error);
  if (options.ca_file.empty()) {
    SSL_CTX_set_default_verify_paths(native);
  } else if (SSL_CTX_load_verify_locations(native, options.ca_file.c_str(), nullptr) != 1) {
    unsigned long code = ERR_get_error();
    error = fmt::format("cannot load CA file '{}': {}", options.ca_file,
                        code ? ERR_reason_error_string(code) : "unreadable or not PEM");
    ERR_clear_error();
    return nullptr;
  }
  if (!options.alpn.empty()) {
    std::string wire;  // RFC 7301 §3.1: length-prefixed protocol names
    for (const auto& protocol : options.alpn) {
      if (protocol.empty() || protocol.size() > 255) {
        error = fmt::format("ALPN protocol '{}' must be 1 to 255 bytes", protocol);
        return nullptr;
      }
      wire.push_back(static_cast<char>(protocol.size()));
      wire += protocol;
    }
    SSL_CTX_set_alpn_protos(native, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned>(wire.size()));
  }
  return result;
}

bool TlsClientContext::prepare(SSL* ssl_object, std::string_view server_name, TlsDetails& details) const {
  details.insecure = options_.insecure;
  SSL_set_ex_data(ssl_object, details_index(), &details);
  std::string name(server_name);
  if (is_ip_literal(name)) {
    details.sni.clear();
    return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_object), name.c_str()) == 1;
  }
  details.sni = name;
  return SSL_set_tlsext_host_name(ssl_object, name.c_str()) == 1 && SSL_set1_host(ssl_object, name.c_str()) == 1;
}

void read_session_details(SSL* ssl_object, TlsDetails& details) {
  details.version = SSL_get_version(ssl_object);
  if (const char* cipher = SSL_get_cipher_name(ssl_object)) details.cipher = cipher;
  const unsigned char* alpn = nullptr;
  unsigned alpn_length = 0;
  SSL_get0_alpn_selected(ssl_object, &alpn, &alpn_length);
  if (alpn != nullptr) details.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_length);
  if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_object)) details.chain_length = sk_X509_num(chain);
  if (X509* certificate = SSL_get1_peer_certificate(ssl_object)) {
    details.subject = name_text(X509_get_subject_name(certificate));
    details.issuer = name_text(X509_get_issuer_name(certificate));
    details.not_before = time_text(X509_get0_notBefore(certificate));
    details.not_after = time_text(X509_get0_notAfter(certificate));
    details.sans = subject_alt_names(certificate);
    X509_free(certificate);
  } else {
    details.verify_errors.emplace_back("the server sent no certificate");
    details.verify_error_codes.push_back(X509_V_ERR_UNSPECIFIED);
  }
  SSL_set_ex_data(ssl_object, details_index(), nullptr);
  details.verified = details.verify_errors.empty();
}

Status judge(const TlsDetails& details, std::string_view server_name) {
  if (details.verified || details.insecure) return Status::success();
  auto has = [&details](std::initializer_list<int> errors) {
    return std::any_of(details.verify_error_codes.begin(), details.verify_error_codes.end(), [&](int code) {
      return std::find(errors.begin(), errors.end(), code) != errors.end();
    });
  };
  std::string reasons;
  for (const auto& reason : details.verify_errors) reasons += (reasons.empty() ? "" : "; ") + reason;
  if (has({X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
           X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
           X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_CERT_UNTRUSTED, X509_V_ERR_CERT_REJECTED,
           X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_UNSPECIFIED})) {
    return Status::failure(Code::tls_cert_untrusted,
                           fmt::format("certificate of {} is not trusted ({}), issued by {}", server_name, reasons,
                                       details.issuer.empty() ? "an unknown issuer" : details.issuer));
  }
  if (has({X509_V_ERR_CERT_HAS_EXPIRED})) {
    return Status::failure(Code::tls_cert_expired,
                           fmt::format("certificate of {} expired on {}", server_name, details.not_after));
  }
  if (has({X509_V_ERR_CERT_NOT_YET_VALID})) {
    return Status::failure(Code::tls_cert_not_yet_valid,
                           fmt::format("certificate of {} is valid only from {}", server_name, details.not_before));
  }
  if (has({X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH})) {
    std::string names;
    for (const auto& san : details.sans) names += (names.empty() ? "" : ", ") + san;
    if (names.empty()) names = details.subject;
    const std::string first = details.sans.empty() ? std::string("NAME") : details.sans.front();
    return Status::failure(
        Code::tls_hostname_mismatch,
        fmt::format("certificate does not name {}; it names {}", server_name, names),
        fmt::format("Connect with one of the certificate's names: --sni {} (keep the address you connect to), or use a "
                    "DNS name that the certificate lists. Do not disable verification.",
                    first));
  }
  return Status::failure(Code::tls_handshake_failed,
                         fmt::format("certificate of {} was rejected: {}", server_name, reasons));
}

Status handshake_failure(const boost::system::error_code& ec, std::string_view peer) {
  if (ec == boost::asio::error::connection_reset) {
    return Status::failure(Code::tcp_reset, fmt::format("{} reset the connection during the TLS handshake", peer));
  }
  if (ec == boost::asio::error::eof || ec == ssl::error::stream_truncated) {
    return Status::failure(Code::tls_handshake_failed,
                           fmt::format("{} closed the connection during the TLS handshake", peer),
                           "The server ended the handshake without an alert: check that this port speaks TLS, that "
                           "the server has a certificate configured, and the server's TLS logs.");
  }
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    const auto reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
    switch (reason) {
      case SSL_R_UNSUPPORTED_PROTOCOL:
      case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
      case SSL_R_NO_PROTOCOLS_AVAILABLE:
      case SSL_R_VERSION_TOO_LOW:
        return Status::failure(Code::tls_protocol_too_old,
                               fmt::format("{} offers no TLS version of 1.2 or newer ({})", peer, ec.message()));
      case SSL_R_WRONG_VERSION_NUMBER:
      case SSL_R_PACKET_LENGTH_TOO_LONG:
      case SSL_R_HTTP_REQUEST:
        return Status::failure(Code::tls_handshake_failed,
                               fmt::format("{} did not answer with TLS ({}): the port probably speaks plaintext", peer,
                                           ec.message()),
                               "Use the plaintext scheme for this port, or the port where the server speaks TLS.");
      default:
        break;
    }
  }
  return Status::failure(Code::tls_handshake_failed, fmt::format("TLS handshake with {} failed: {}", peer, ec.message()));
}

}  // namespace plprobe::probes
