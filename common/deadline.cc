#include "common/deadline.h"

#include <algorithm>

namespace plprobe {

struct Deadline::State {
  explicit State(asio::any_io_executor executor) : timer(std::move(executor)) {}
  asio::steady_timer timer;
  bool expired = false;
  std::uint64_t next_id = 1;
  std::vector<std::pair<std::uint64_t, std::function<void()>>> actions;

  void fire() {
    expired = true;
    // An action may destroy guards (and so edit `actions`) re-entrantly only
    // through posted handlers, never synchronously: cancel() on an Asio
    // object queues its completion. Moving the list out keeps this safe anyway.
    auto pending = std::move(actions);
    actions.clear();
    for (auto& [id, action] : pending) action();
  }
};

Deadline::Deadline(asio::any_io_executor executor, Clock::time_point at)
    : at_(at), state_(std::make_shared<State>(std::move(executor))) {
  state_->timer.expires_at(at);
  // The handler holds a weak reference: if the probe finishes first and the
  // timer's completion is already queued, it finds the state gone and does
  // nothing instead of touching destroyed sockets.
  state_->timer.async_wait([weak = std::weak_ptr<State>(state_)](const error_code& ec) {
    if (ec) return;
    if (auto state = weak.lock()) state->fire();
  });
}

Deadline::~Deadline() { state_->timer.cancel(); }

bool Deadline::expired() const { return state_->expired || Clock::now() >= at_; }

Clock::duration Deadline::remaining() const {
  auto left = at_ - Clock::now();
  return std::max(left, Clock::duration::zero());
}

Deadline::Guard Deadline::on_expiry(std::function<void()> cancel) {
  // The timer has fired already: nothing would ever run the action. Callers
  // check expired() before they start a wait, so they never get here waiting.
  if (state_->expired) return {};
  auto id = state_->next_id++;
  state_->actions.emplace_back(id, std::move(cancel));
  return Guard(state_, id);
}

Deadline::Guard::Guard(Guard&& other) noexcept
    : state_(std::move(other.state_)), id_(std::exchange(other.id_, 0)) {}

Deadline::Guard& Deadline::Guard::operator=(Guard&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

Deadline::Guard::~Guard() { release(); }

void Deadline::Guard::release() {
  if (id_ == 0) return;
  if (auto state = state_.lock()) {
    auto& actions = state->actions;
    actions.erase(std::remove_if(actions.begin(), actions.end(), [this](const auto& entry) { return entry.first == id_; }),
                  actions.end());
  }
  id_ = 0;
}

}  // namespace plprobe
