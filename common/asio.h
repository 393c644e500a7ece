// The one place plprobe includes Boost.Asio.
//
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>;
// g++ 12 then fails to compile it. Including <utility> first here means no
// other file has to remember that.
#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace plprobe {
namespace asio = boost::asio;
using error_code = boost::system::error_code;
using tcp = asio::ip::tcp;
template <typename T = void>
using awaitable = asio::awaitable<T>;
}  // namespace plprobe
