// The connection loop of the round-trip modes (mysql, mongodb): each
// connection logs in once, then sends one request at a time (closed loop,
// or on its Schedule in open loop) until the run ends; after a failure that
// leaves the connection unusable it pauses kReconnectPause and connects
// again. Every step has its own deadline: the timeout, but never past the
// window's end (a request the window's end cuts off is not counted).
//
// A mode supplies a Client, one per connection:
//   awaitable<Code> open(Deadline&);          connect and log in: ok, or why not
//   awaitable<RoundTrip> request(Deadline&);  one request and its answer
//   void cancel();                            make a pending wait end at once
// and a factory `make(executor)` that returns one by value.
//
// Threading: everything on the calling thread (its ThreadLoop).
#pragma once

#include <algorithm>
#include <cstdint>

#include "bench/protocols/protocol_load.h"
#include "bench/protocols/thread_loop.h"

namespace plprobe::bench {

struct RoundTrip {
  Code code = Code::ok;    // ok: answered
  bool fatal = false;      // the connection is unusable: count once, connect again
  std::uint64_t bytes = 0;  // on the wire, both ways
};

namespace detail {

inline Clock::time_point step_deadline(const ThreadLoop& loop, const LoadShape& shape) {
  return std::min(Clock::now() + shape.timeout, loop.window().end);
}

template <typename MakeClient>
awaitable<void> round_trip_connection(ThreadLoop& loop, Recorder& recorder, const LoadShape& shape, std::size_t slot,
                                      std::size_t index, MakeClient& make) {
  Schedule schedule(shape, index, loop.window().start);
  auto& state = loop.slots()[slot];
  while (!loop.stopping()) {
    Code failure = Code::ok;
    {
      auto client = make(loop.executor());
      state.cancel = [&client] { client.cancel(); };
      Code opened = Code::ok;
      {
        Deadline deadline(loop.executor(), step_deadline(loop, shape));
        opened = co_await client.open(deadline);
      }
      if (opened != Code::ok) {
        if (!loop.stopping()) failure = opened;
      } else {
        while (!loop.stopping()) {
          Clock::time_point start = Clock::now();
          if (schedule.open_loop()) {
            start = schedule.next();
            const bool due = co_await loop.sleep_until(start);
            if (!due) break;
          }
          Deadline deadline(loop.executor(), step_deadline(loop, shape));
          const RoundTrip answer = co_await client.request(deadline);
          if (loop.stopping()) break;  // cut off by the window's end: not counted
          if (answer.code == Code::ok) {
            recorder.success(start, Clock::now(), answer.bytes);
          } else if (!answer.fatal) {
            recorder.failure(start, name(answer.code));
          } else {
            failure = answer.code;
            break;
          }
        }
      }
      state.cancel = nullptr;
    }  // the client closes its connection here, before any pause
    if (failure != Code::ok && !loop.stopping()) {
      recorder.failure(Clock::now(), name(failure));
      co_await loop.sleep_until(Clock::now() + kReconnectPause);
    }
  }
  loop.finished();
}

}  // namespace detail

// Runs thread `index`'s share of `shape`'s connections until `window` ends.
template <typename MakeClient>
void run_round_trips(const LoadShape& shape, Recorder& recorder, const RunWindow& window, std::size_t index,
                     MakeClient make) {
  const auto [first, count] = share(shape, index);
  ThreadLoop loop(window, shape.timeout);
  loop.resize(count);
  loop.run([&](std::size_t slot) {
    return detail::round_trip_connection(loop, recorder, shape, slot, first + slot, make);
  });
}

}  // namespace plprobe::bench
