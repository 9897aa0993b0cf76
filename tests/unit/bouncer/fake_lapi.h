// SPDX-License-Identifier: Apache-2.0
// A small LAPI for the stream client tests: serves GET /v1/decisions/stream on 127.0.0.1 from a
// queue of canned replies and records every request. Plain HTTP or TLS (httplib::SSLServer).
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bouncer/backend.h"

namespace phalanx::bouncer::test {

struct Reply {
  int status = 200;
  std::string body = R"({"new":null,"deleted":null})";
  std::string cursor;  // X-Phalanx-Cursor when not empty
  // When not 0: the body is sent chunked and the connection dropped after this many bytes (a
  // download that breaks midway).
  size_t break_after = 0;
};

struct Seen {
  std::multimap<std::string, std::string> params;
  std::string api_key;
  std::string user_agent;
  std::chrono::steady_clock::time_point at;
  bool has(const std::string& key) const { return params.count(key) != 0; }
  std::string param(const std::string& key) const {
    auto it = params.find(key);
    return it == params.end() ? "" : it->second;
  }
};

class FakeLapi {
 public:
  // port 0: any free port.
  explicit FakeLapi(int port = 0, std::unique_ptr<httplib::Server> server = nullptr)
      : server_(server ? std::move(server) : std::make_unique<httplib::Server>()) {
    server_->Get("/v1/decisions/stream", [this](const httplib::Request& req,
                                                httplib::Response& res) {
      Reply reply;
      {
        std::unique_lock lock(mu_);
        seen_.push_back(Seen{req.params, req.get_header_value("X-Api-Key"),
                             req.get_header_value("User-Agent"), std::chrono::steady_clock::now()});
        if (!replies_.empty()) {
          reply = replies_.front();
          replies_.pop_front();
        } else if (hold_cursor_) {
          closing_cv_.wait_for(lock, hold_, [this] { return closing_; });
          reply.cursor = *hold_cursor_;
        }
      }
      res.status = reply.status;
      if (!reply.cursor.empty()) res.set_header("X-Phalanx-Cursor", reply.cursor);
      if (reply.break_after == 0) {
        res.set_content(reply.body, "application/json");
        return;
      }
      auto body = std::make_shared<std::string>(reply.body.substr(0, reply.break_after));
      res.set_chunked_content_provider("application/json",
                                       [body](size_t offset, httplib::DataSink& sink) {
                                         if (offset >= body->size())
                                           return false;  // drops the connection, no last chunk
                                         sink.write(body->data() + offset, body->size() - offset);
                                         return true;
                                       });
    });
    server_->Post("/v1/usage-metrics", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      posts_.push_back(Seen{{},
                            req.get_header_value("X-Api-Key"),
                            req.get_header_value("User-Agent"),
                            std::chrono::steady_clock::now()});
      post_bodies_.push_back(req.body);
      res.status = 201;
    });
    if (port == 0) {
      port_ = server_->bind_to_any_port("127.0.0.1");
    } else {
      port_ = server_->bind_to_port("127.0.0.1", port) ? port : -1;
    }
    thread_ = std::thread([this] { server_->listen_after_bind(); });
  }
  ~FakeLapi() {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    closing_cv_.notify_all();
    server_->stop();
    thread_.join();
  }

  int port() const { return port_; }
  void push(Reply r) {
    std::lock_guard lock(mu_);
    replies_.push_back(std::move(r));
  }
  // Once the scripted replies are used up, holds each request for `hold` as a push LAPI with
  // nothing new does, then answers it empty with `cursor`. Without it, such requests get a
  // default Reply at once.
  void hold_when_empty(std::string cursor, std::chrono::milliseconds hold) {
    std::lock_guard lock(mu_);
    hold_cursor_ = std::move(cursor);
    hold_ = hold;
  }
  std::vector<std::string> post_bodies() {
    std::lock_guard lock(mu_);
    return post_bodies_;
  }
  std::vector<Seen> posts() {
    std::lock_guard lock(mu_);
    return posts_;
  }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  int port_ = -1;
  std::thread thread_;
  std::mutex mu_;
  std::deque<Reply> replies_;
  std::optional<std::string> hold_cursor_;
  std::chrono::milliseconds hold_{0};
  bool closing_ = false;
  std::condition_variable closing_cv_;
  std::vector<Seen> seen_;
  std::vector<Seen> posts_;
  std::vector<std::string> post_bodies_;
};

// Records what the client asks of it.
class RecordingBackend : public Backend {
 public:
  struct Call {
    bool resync = false;
    std::vector<std::string> added;    // values
    std::vector<std::string> deleted;  // values
  };
  Result<void> apply(const DecisionBatch& batch) override {
    Call c;
    for (const auto& d : batch.added)
      c.added.push_back(d.value);
    for (const auto& d : batch.deleted)
      c.deleted.push_back(d.value);
    std::lock_guard lock(mu_);
    calls_.push_back(std::move(c));
    return ok();
  }
  Result<void> begin_resync() override {
    std::lock_guard lock(mu_);
    session_ = Call{true, {}, {}};
    ++sessions_;
    return ok();
  }
  Result<void> resync_batch(std::span<const Decision> decisions) override {
    std::lock_guard lock(mu_);
    for (const auto& d : decisions)
      session_.added.push_back(d.value);
    ++batches_;
    if (fail_batches_ > 0) {
      --fail_batches_;
      return Error("backend refused");
    }
    return ok();
  }
  Result<void> commit_resync() override {
    std::lock_guard lock(mu_);
    calls_.push_back(std::move(session_));
    return ok();
  }
  void abort_resync() override {
    std::lock_guard lock(mu_);
    ++aborted_;
    session_ = {};
  }
  // The next n resync_batch calls fail.
  void fail_next_batches(int n) {
    std::lock_guard lock(mu_);
    fail_batches_ = n;
  }
  int sessions() {
    std::lock_guard lock(mu_);
    return sessions_;
  }
  int aborted() {
    std::lock_guard lock(mu_);
    return aborted_;
  }
  int batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }
  std::vector<Call> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  // Waits up to 10 s for at least n calls.
  bool wait_for(size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (calls().size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

 private:
  std::mutex mu_;
  std::vector<Call> calls_;  // deltas, and committed resyncs
  Call session_;
  int sessions_ = 0;
  int aborted_ = 0;
  int batches_ = 0;
  int fail_batches_ = 0;
};

}  // namespace phalanx::bouncer::test
