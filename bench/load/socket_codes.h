// Socket errors -> stable outcome codes, the same mapping the probes'
// transport reports (probes/transport/connection.cc), for load loops that
// only need the code and not the message.
#pragma once

#include "common/asio.h"
#include "common/codes.h"

namespace plprobe::bench {

inline Code connect_failure_code(const error_code& ec) {
  if (ec == asio::error::timed_out) return Code::tcp_timeout;
  if (ec == asio::error::connection_refused) return Code::tcp_refused;
  if (ec == asio::error::connection_reset) return Code::tcp_reset;
  if (ec == asio::error::host_unreachable || ec == asio::error::network_unreachable) return Code::tcp_unreachable;
  return Code::tcp_error;
}

// Errors while streaming bytes on an established connection.
inline Code stream_failure_code(const error_code& ec) {
  if (ec == asio::error::eof) return Code::protocol_closed;
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe) return Code::tcp_reset;
  if (ec == asio::error::timed_out) return Code::protocol_timeout;
  return Code::tcp_error;
}

}  // namespace plprobe::bench
