// `plprobe bench mysql`: round trips on N logged-in connections.
//
// Each connection logs in once through MariaDB Connector/C (the session the
// mysql probe uses for its authenticated checks, probes/mysql/mysql_client.h),
// then sends COM_PING (mysql_ping) in a closed or open loop (LoadShape); a
// request is one COM_PING and its OK packet. Every ping has its own deadline
// (the timeout, cut at the window's end). A broken connection logs in again
// after kReconnectPause.
//
// Outcome codes: login failures as the mysql probe classifies them
// (tcp_refused, mysql_auth_failed, mysql_too_many_connections, ...); a ping
// without an answer within the timeout: protocol_timeout; a connection lost
// mid-ping: protocol_closed. Bytes per request: the COM_PING packet and the
// OK packet (kPingBytes).
//
// Secrets: the password goes to Connector/C only.
#pragma once

#include <cstdint>
#include <string>

#include "bench/protocols/protocol_load.h"

namespace plprobe::bench {

// COM_PING is a 5-byte packet (4-byte header, command 0x0e); the answer is
// a 7-byte OK packet plus its 4-byte header (MySQL protocol, COM_PING,
// OK_Packet): 16 bytes on the wire per round trip without TLS.
inline constexpr std::uint64_t kPingBytes = 16;

struct MysqlLoadOptions {
  LoadShape shape;
  std::string host;  // IP literal
  std::uint16_t port = 3306;
  std::string user;
  std::string password;  // secret; empty: none
  bool tls = false;      // require TLS (encryption only, as --tls require)
};

class MysqlLoad final : public ProtocolLoad {
 public:
  explicit MysqlLoad(MysqlLoadOptions options);
  std::size_t threads() const override { return options_.shape.threads; }
  void run(std::size_t index, Recorder& recorder, const RunWindow& window) override;

 private:
  MysqlLoadOptions options_;
};

}  // namespace plprobe::bench
