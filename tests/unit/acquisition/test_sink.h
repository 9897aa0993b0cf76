// SPDX-License-Identifier: Apache-2.0
// A Sink for the acquisition tests: holds what it took, up to `capacity` lines at once (push
// blocks beyond, try_push refuses), until the test takes them or closes it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "acquisition/source.h"

namespace phalanx::acquisition::testing {

class TestSink : public Sink {
 public:
  explicit TestSink(size_t capacity = SIZE_MAX) : capacity_(capacity) {}

  bool push(Line line) override {
    std::unique_lock lock(mu_);
    if (!closed_ && held_.size() >= capacity_) {
      ++blocked_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return closed_ || held_.size() < capacity_; });
      --blocked_;
    }
    if (closed_) return false;
    held_.push_back(std::move(line));
    cv_.notify_all();
    return true;
  }
  bool try_push(Line& line) override {
    std::lock_guard lock(mu_);
    if (closed_ || held_.size() >= capacity_) return false;
    held_.push_back(std::move(line));
    cv_.notify_all();
    return true;
  }

  // Waits until the sink holds at least n lines (true) or the timeout passes (false).
  bool wait_for(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return held_.size() >= n; });
  }
  // Waits until a push is blocked on a full sink.
  bool wait_blocked(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return blocked_ > 0; });
  }
  // Removes and returns what the sink holds, making room for blocked pushes.
  std::vector<Line> take() {
    std::lock_guard lock(mu_);
    std::vector<Line> out;
    out.swap(held_);
    cv_.notify_all();
    return out;
  }
  std::vector<std::string> raws() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& l : held_)
      out.push_back(l.raw);
    return out;
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return held_.size();
  }
  void set_capacity(size_t capacity) {
    std::lock_guard lock(mu_);
    capacity_ = capacity;
    cv_.notify_all();
  }
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Line> held_;
  size_t capacity_;
  int blocked_ = 0;
  bool closed_ = false;
};

// Polls `pred` until it holds or the deadline passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace phalanx::acquisition::testing
