// SPDX-License-Identifier: Apache-2.0
// Attacking nginx actors. They work in bursts (a run of requests a fraction of a second to a
// few seconds apart) separated by long pauses, each with its own tool's user agent.
#include <string>
#include <string_view>

#include "catalog.h"
#include "nginx_common.h"

namespace phalanx::loggen::nginx {
namespace {

// What every attacker shares: its address, its user agent, and the burst/pause rhythm.
class Attacker : public Actor {
 public:
  Attacker(std::string addr, std::string_view agent, Millis gap_lo, Millis gap_hi,
           uint64_t burst_lo, uint64_t burst_hi)
      : addr_(std::move(addr)),
        agent_(agent),
        gap_lo_(gap_lo),
        gap_hi_(gap_hi),
        burst_lo_(burst_lo),
        burst_hi_(burst_hi) {}

  Millis act(Turn& t) final {
    if (left_ == 0) left_ = t.rng.between(burst_lo_, burst_hi_);
    Request r{.agent = agent_};
    fill(t, r);
    if (r.bytes == 0 && r.status != 304) r.bytes = error_page_bytes(r.status);
    access_line(t, addr_, r);
    if (--left_ > 0)
      return t.rng.between(static_cast<uint64_t>(gap_lo_), static_cast<uint64_t>(gap_hi_));
    return spread(t.rng, 10 * kMinute, 2 * kHour);
  }

 protected:
  // Chooses method, path, status and size of the next request.
  virtual void fill(Turn& t, Request& r) = 0;

  // 404 mostly, with a few of the other answers a scanned site gives.
  static uint64_t probe_status(Rng& rng) {
    const uint64_t roll = rng.below(100);
    return roll < 82 ? 404 : roll < 90 ? 403 : roll < 95 ? 301 : 200;
  }

 private:
  std::string addr_;
  std::string_view agent_;
  Millis gap_lo_, gap_hi_;
  uint64_t burst_lo_, burst_hi_;
  uint64_t left_ = 0;
};

// Directory and file guessing from a word list.
class Probe404 final : public Attacker {
 public:
  Probe404(std::string addr, Rng& rng)
      : Attacker(std::move(addr), rng.pick(catalog::kToolAgents), 50, 800, 30, 200) {}

 private:
  void fill(Turn& t, Request& r) override {
    r.path = t.rng.pick(catalog::kProbePaths);
    r.status = probe_status(t.rng);
    if (r.status == 200) r.bytes = t.rng.between(500, 9000);
    if (r.status == 301) r.bytes = 169;
  }
};

// Secrets and admin panels: .env, .git, backups, phpMyAdmin, wp-login.php, in order.
class SensitiveFiles final : public Attacker {
 public:
  SensitiveFiles(std::string addr, Rng& rng, uint64_t offset)
      : Attacker(std::move(addr), rng.pick(catalog::kToolAgents), 200, 2000, 10, 40),
        next_(offset) {}

 private:
  void fill(Turn& t, Request& r) override {
    r.path = catalog::kSensitivePaths[next_++ % catalog::kSensitivePaths.size()];
    r.status = r.path.starts_with("/.") && t.rng.chance(0.4) ? 403 : 404;
    if (r.path == "/wp-login.php") {
      r.status = 200;
      r.bytes = 4512;
    }
  }

  uint64_t next_;
};

// Directory traversal in its encoded variants.
class Traversal final : public Attacker {
 public:
  Traversal(std::string addr, Rng& rng)
      : Attacker(std::move(addr), rng.pick(catalog::kToolAgents), 300, 3000, 5, 30) {}

 private:
  void fill(Turn& t, Request& r) override {
    r.path = t.rng.pick(catalog::kTraversals);
    const uint64_t roll = t.rng.below(10);
    r.status = roll < 6 ? 400 : roll < 9 ? 404 : 200;
    if (r.status == 200) r.bytes = t.rng.between(800, 5000);
  }
};

// Known scanners (sqlmap, Nikto, masscan, ...) recognisable by their user agent alone.
class BadAgent final : public Attacker {
 public:
  BadAgent(std::string addr, Rng& rng)
      : Attacker(std::move(addr), rng.pick(catalog::kBadAgents), 50, 500, 50, 300) {}

 private:
  void fill(Turn& t, Request& r) override {
    const uint64_t roll = t.rng.below(10);
    if (roll < 3) {
      r.path = t.rng.pick(catalog::kInjections);
      r.status = t.rng.chance(0.5) ? 200 : 400;
      if (r.status == 200) r.bytes = t.rng.between(3000, 20000);
    } else if (roll < 5) {
      r.path = t.rng.pick(catalog::kPages);
      r.bytes = t.rng.between(3000, 40000);
    } else {
      r.path = t.rng.pick(catalog::kProbePaths);
      r.status = probe_status(t.rng);
      if (r.status == 200 || r.status == 301) r.bytes = t.rng.between(169, 9000);
    }
  }
};

// Password guessing against one login endpoint, which answers 200 (WordPress), 401 or 403.
class LoginBruteForce final : public Attacker {
 public:
  LoginBruteForce(std::string addr, Rng& rng)
      : Attacker(
            std::move(addr),
            rng.chance(0.5) ? rng.pick(catalog::kToolAgents) : rng.pick(catalog::kBrowserAgents),
            300, 3000, 20, 300),
        target_(rng.pick(catalog::kLoginTargets)) {}

 private:
  void fill(Turn& t, Request& r) override {
    r.method = "POST";
    r.path = target_.path;
    r.status = target_.status;
    r.bytes = target_.bytes + t.rng.below(40);
    r.referer_site = kSite;
    r.referer_path = target_.path;
  }

  catalog::LoginTarget target_;
};

}  // namespace

std::unique_ptr<Actor> make_attacker(std::string addr, uint64_t index, Rng& rng) {
  switch (index % 5) {
    case 0:
      return std::make_unique<Probe404>(std::move(addr), rng);
    case 1:
      return std::make_unique<SensitiveFiles>(std::move(addr), rng, index);
    case 2:
      return std::make_unique<Traversal>(std::move(addr), rng);
    case 3:
      return std::make_unique<BadAgent>(std::move(addr), rng);
    default:
      return std::make_unique<LoginBruteForce>(std::move(addr), rng);
  }
}

}  // namespace phalanx::loggen::nginx
