// SPDX-License-Identifier: Apache-2.0
// A bounded multi-producer, multi-consumer queue: push() blocks while it is full (backpressure),
// consumers take items in batches (one lock per batch), and close() ends it — pushes fail from
// then on while consumers still get every item already queued.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

namespace phalanx {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Blocks while full. False once closed (the item was not taken).
  bool push(T&& item) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_ || closed_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }
  // False when full or closed (the item was not taken and is left as it was).
  bool try_push(T& item) {
    std::lock_guard lock(mu_);
    if (closed_ || items_.size() >= capacity_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }
  // Blocks for the next item; nullopt once the queue is closed and empty.
  std::optional<T> pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !items_.empty() || closed_; });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }
  // Moves up to `max` items into `out` (appended), waiting up to `timeout` for the first one.
  // Returns false when the queue is closed and empty (nothing more will come).
  bool pop_batch(std::vector<T>& out, size_t max, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!not_empty_.wait_for(lock, timeout, [&] { return !items_.empty() || closed_; }))
      return true;
    if (items_.empty()) return false;
    const size_t n = std::min(max, items_.size());
    for (size_t i = 0; i < n; ++i) {
      out.push_back(std::move(items_.front()));
      items_.pop_front();
    }
    if (n > 1) {
      not_full_.notify_all();
    } else {
      not_full_.notify_one();
    }
    if (!items_.empty()) not_empty_.notify_one();
    return true;
  }
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> items_;
  size_t capacity_;
  bool closed_ = false;
};

}  // namespace phalanx
