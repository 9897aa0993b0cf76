// SPDX-License-Identifier: Apache-2.0
// NftBackend's resync sessions (nft_backend.h): a snapshot fed in batches while it downloads,
// with a writer thread sending IPv4 host writes meanwhile on a new table, or the sets replaced in
// one transaction at the commit on a table an earlier run left.
#include <condition_variable>
#include <deque>
#include <optional>
#include <thread>

#include "bouncer-nft/nft_backend.h"
#include "core/log.h"

namespace phalanx::nft {
namespace {

// Once per resync: the registry lookup costs nothing that matters here.
std::shared_ptr<spdlog::logger> logger() {
  return log::get("nft");
}

}  // namespace

// An open resync: the plan the batches built so far and, on a new table, the writer thread
// that sends IPv4 host writes while the snapshot is still arriving.
struct NftBackend::Session {
  int64_t now = 0;       // the snapshot's durations count from here
  bool replace = false;  // the table existed: flush + add everything in the commit
  bool paused = false;   // notifications paused for a bulk write (on_bulk_)
  size_t decisions = 0;
  size_t streamed = 0;  // IPv4 host writes the writer sent
  Plan plan;            // what is left to write

  // Writer: pieces of IPv4 host writes, at most kQueued waiting (the download waits meanwhile,
  // so a fast LAPI cannot pile a whole snapshot up in memory).
  static constexpr size_t kQueued = 4;
  std::thread writer;
  std::mutex qmu;
  std::condition_variable qcv;
  std::deque<std::vector<Host4>> queue;
  bool done = false;
  std::optional<Error> failure;
};

// The constructor and destructor are here, beside Session, whose size unique_ptr needs.
NftBackend::NftBackend(BackendOptions options, Socket socket)
    : options_(std::move(options)), socket_(std::move(socket)) {}

NftBackend::~NftBackend() {
  if (session_) abort_resync();
}

Result<void> NftBackend::begin_resync() {
  std::lock_guard lock(mu_);
  if (session_) return Error("nft: a resync is already open");
  session_ = std::make_unique<Session>();
  Session& s = *session_;
  s.now = monotonic_ms();
  s.replace = replace_on_resync_;
  mirror_.begin_resync();
  if (s.replace) return ok();
  s.plan.add4.reserve(options_.chunk);
  // The writer sends pieces of host adds under sock_mu_ only; the stream thread takes mu_ to
  // update the mirror and waits for queue space without it. So the kernel's inserts overlap the
  // download, the parse and the mirror updates.
  s.writer = std::thread([this, &s] {
    while (true) {
      std::vector<Host4> piece;
      {
        std::unique_lock q(s.qmu);
        s.qcv.wait(q, [&] { return s.done || !s.queue.empty(); });
        if (s.queue.empty()) return;
        piece = std::move(s.queue.front());
        s.queue.pop_front();
        if (s.failure) continue;  // drain after a failure; the session reports it
      }
      s.qcv.notify_all();
      Plan p;
      p.add4 = std::move(piece);
      const size_t n = p.add4.size();
      // Host adds only: this touches the socket and the stats (under sock_mu_), never the
      // mirror or the range segments, so the stream thread keeps updating the mirror meanwhile.
      auto r = write_unhooked_locked(p, false);
      std::lock_guard q(s.qmu);
      if (r) {
        s.streamed += n;
      } else {
        s.failure = r.error();
      }
    }
  });
  return ok();
}

Result<void> NftBackend::resync_batch(std::span<const bouncer::Decision> decisions) {
  Session* s = nullptr;
  std::vector<Host4> piece;
  {
    std::lock_guard lock(mu_);
    if (!session_) return Error("nft: resync batch without an open resync");
    s = session_.get();
    mirror_.resync_step(decisions, s->now, s->plan);
    // New origins get their counters before any element names them (the writer thread's
    // pieces too).
    if (auto r = ensure_origin_counters_locked(); !r) return r.error().context("nft: resync");
    if (s->replace) {
      // The commit writes the whole mirror: keep no host writes meanwhile (16 bytes each).
      s->plan.add4.clear();
      s->plan.add6.clear();
    }
    s->decisions += decisions.size();
    if (!s->paused && on_bulk_ && s->decisions > kBulkElements) {
      on_bulk_(true);
      s->paused = true;
    }
    if (!s->replace && s->plan.add4.size() >= options_.chunk) {
      piece = std::move(s->plan.add4);
      s->plan.add4 = {};
      s->plan.add4.reserve(options_.chunk);
    }
  }
  std::unique_lock q(s->qmu);
  if (!piece.empty()) {
    s->qcv.wait(q, [&] { return s->queue.size() < Session::kQueued || s->failure; });
    s->queue.push_back(std::move(piece));
    q.unlock();
    s->qcv.notify_all();
    q.lock();
  }
  if (s->failure) return *s->failure;
  return ok();
}

Result<void> NftBackend::stop_writer(Session& s) {
  if (!s.writer.joinable()) return ok();
  {
    std::lock_guard q(s.qmu);
    s.done = true;
  }
  s.qcv.notify_all();
  s.writer.join();
  if (s.failure) return *s.failure;
  return ok();
}

void NftBackend::end_session_locked() {
  if (session_->paused && on_bulk_) on_bulk_(false);
  session_.reset();
}

Result<void> NftBackend::commit_resync() {
  Session* s = nullptr;
  {
    std::lock_guard lock(mu_);
    if (!session_) return Error("nft: commit without an open resync");
    s = session_.get();
  }
  auto streamed = stop_writer(*s);
  std::lock_guard lock(mu_);
  if (!streamed) {
    // The kernel may now lag the mirror (write_unhooked_locked asked for a full rewrite at the
    // next resync); lift nothing.
    end_session_locked();
    return streamed.error().context("nft: resync");
  }
  Plan& plan = s->plan;
  mirror_.end_resync(plan);
  Result<void> written = ok();
  if (s->replace) {
    // The sets hold whatever an earlier run (or a failed write) left: replace their contents
    // with the mirror in one transaction, so what stays banned never leaves the set.
    const size_t skipped = plan.skipped;
    plan = mirror_.everything();
    plan.skipped = skipped;
    written = s->paused ? write_unhooked_locked(plan, true) : write_locked(plan, true);
    if (written) replace_on_resync_ = false;
  } else {
    written = s->paused ? write_unhooked_locked(plan, false) : write_locked(plan, false);
  }
  if (written) log_resync(plan, s->streamed);
  end_session_locked();
  return written;
}

void NftBackend::abort_resync() {
  Session* s = nullptr;
  {
    std::lock_guard lock(mu_);
    if (!session_) return;
    s = session_.get();
  }
  auto streamed = stop_writer(*s);
  std::lock_guard lock(mu_);
  // Nothing is lifted. What the batches brought is in the mirror: write it too, so the mirror
  // and the kernel agree (a replaced table keeps its old elements; the next resync flushes it).
  Result<void> written = streamed;
  if (streamed) {
    Plan plan = s->replace ? mirror_.everything() : std::move(s->plan);
    if (!plan.empty())
      written = s->paused ? write_unhooked_locked(plan, false) : write_locked(plan, false);
  }
  if (!written) {
    logger()->error("nft: resync aborted, and writing what it brought failed: {}",
                    written.error().message());
  }
  logger()->warn("nft: resync aborted after {} decisions; nothing lifted", s->decisions);
  end_session_locked();
}

void NftBackend::log_resync(const Plan& plan, size_t streamed) const {
  logger()->info("nft: resync: {} addresses and {} ranges in force ({} written, {} deleted)",
                 mirror_.hosts(), mirror_.ranges(),
                 streamed + plan.add4.size() + plan.add6.size() + plan.mirror4 + plan.mirror6,
                 plan.del4.size() + plan.del6.size());
}

}  // namespace phalanx::nft
