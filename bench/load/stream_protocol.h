// The stream protocol between `plprobe bench throughput` and `plprobe
// serve` (version 1). Small on purpose, so a user can check it by eye; all
// integers big-endian; optionally inside TLS from the first byte.
//
//   client -> server  hello, 16 bytes:
//       "PLPB" | version u8 = 1 | direction u8 (1 up: the client sends,
//       2 down: the server sends) | reserved u16 = 0 | stream id u32 |
//       longest duration in ms u32 (the server ends a down stream by then
//       at the latest; 0: one hour)
//   server -> client  "PLOK" (4 bytes), or "PLNO" and close for a hello it
//       does not accept (wrong magic or version).
//   sender -> receiver  data frames: length u32 (1 .. 1 MiB) then that many
//       payload bytes; then the end frame: length 0 then the total payload
//       bytes sent, u64.
//   receiver -> sender  after the end frame: the total payload bytes it
//       received, u64. Both sides then close.
//   Down streams: the client asks the server to end by sending one byte
//   'S' (the server then sends the end frame).
//
// The two totals let both sides check that every byte arrived (`exact`).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace plprobe::bench::stream {

inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kHelloSize = 16;
inline constexpr std::uint32_t kMaxFrame = 1u << 20;
// Frames of 128 KiB: large enough that framing costs nothing next to the
// copy, the size iperf3 writes by default.
inline constexpr std::uint32_t kFrameSize = 128u * 1024u;
inline constexpr char kStopByte = 'S';

enum class Direction : std::uint8_t { up = 1, down = 2 };

struct Hello {
  Direction direction = Direction::up;
  std::uint32_t stream_id = 0;
  std::uint32_t max_duration_ms = 0;
};

inline void put_u32(std::uint8_t* out, std::uint32_t value) {
  out[0] = static_cast<std::uint8_t>(value >> 24);
  out[1] = static_cast<std::uint8_t>(value >> 16);
  out[2] = static_cast<std::uint8_t>(value >> 8);
  out[3] = static_cast<std::uint8_t>(value);
}
inline std::uint32_t get_u32(const std::uint8_t* in) {
  return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) | (std::uint32_t{in[2]} << 8) | in[3];
}
inline void put_u64(std::uint8_t* out, std::uint64_t value) {
  put_u32(out, static_cast<std::uint32_t>(value >> 32));
  put_u32(out + 4, static_cast<std::uint32_t>(value));
}
inline std::uint64_t get_u64(const std::uint8_t* in) { return (std::uint64_t{get_u32(in)} << 32) | get_u32(in + 4); }

inline std::array<std::uint8_t, kHelloSize> encode_hello(const Hello& hello) {
  std::array<std::uint8_t, kHelloSize> out{'P', 'L', 'P', 'B', kVersion, static_cast<std::uint8_t>(hello.direction)};
  put_u32(out.data() + 8, hello.stream_id);
  put_u32(out.data() + 12, hello.max_duration_ms);
  return out;
}

inline std::optional<Hello> decode_hello(const std::uint8_t* in) {
  if (in[0] != 'P' || in[1] != 'L' || in[2] != 'P' || in[3] != 'B' || in[4] != kVersion) return std::nullopt;
  if (in[5] != static_cast<std::uint8_t>(Direction::up) && in[5] != static_cast<std::uint8_t>(Direction::down)) {
    return std::nullopt;
  }
  return Hello{static_cast<Direction>(in[5]), get_u32(in + 8), get_u32(in + 12)};
}

// Parses a received byte stream of frames incrementally (no copies): feed
// whatever arrived; it counts payload bytes and stops at the end frame.
class FrameReader {
 public:
  enum class State { more, done, bad };

  // Consumes up to `size` bytes; `used` says how many (less than `size`
  // only once done or bad). `payload` gets the payload bytes among them.
  State feed(const std::uint8_t* data, std::size_t size, std::size_t& used, std::uint64_t& payload) {
    used = 0;
    payload = 0;
    while (used < size && state_ == State::more) {
      if (remaining_ > 0) {
        const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, size - used));
        remaining_ -= take;
        used += take;
        payload += take;
        received_ += take;
        continue;
      }
      header_[have_++] = data[used++];
      if (!in_trailer_ && have_ == 4) {
        const auto length = get_u32(header_.data());
        have_ = 0;
        if (length == 0) {
          in_trailer_ = true;
        } else if (length > kMaxFrame) {
          state_ = State::bad;
        } else {
          remaining_ = length;
        }
      } else if (in_trailer_ && have_ == 8) {
        sender_total_ = get_u64(header_.data());
        state_ = State::done;
      }
    }
    return state_;
  }
  std::uint64_t received() const { return received_; }
  std::uint64_t sender_total() const { return sender_total_; }

 private:
  State state_ = State::more;
  std::array<std::uint8_t, 8> header_{};
  std::size_t have_ = 0;
  bool in_trailer_ = false;
  std::uint64_t remaining_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t sender_total_ = 0;
};

}  // namespace plprobe::bench::stream
