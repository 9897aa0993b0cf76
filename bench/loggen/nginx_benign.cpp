// SPDX-License-Identifier: Apache-2.0
// Benign nginx actors: people browsing, search-engine crawlers, an internal health check.
#include <string>
#include <string_view>

#include "catalog.h"
#include "nginx_common.h"

namespace phalanx::loggen::nginx {
namespace {

// A person browsing: a page, then its assets (304 when the browser has them cached), a pause,
// the next page; after a few pages, gone for a while.
class Visitor final : public Actor {
 public:
  Visitor(std::string addr, Rng& rng)
      : addr_(std::move(addr)),
        agent_(rng.pick(catalog::kBrowserAgents)),
        version_(rng.chance(0.4) ? "HTTP/2.0" : "HTTP/1.1") {}

  Millis act(Turn& t) override {
    if (assets_left_ > 0) return asset(t);
    return page(t);
  }

 private:
  Millis page(Turn& t) {
    const bool landing = pages_left_ == 0;
    if (landing) pages_left_ = static_cast<int>(t.rng.between(1, 8));
    page_ = t.rng.pick(catalog::kPages);
    Request r{.path = page_, .version = version_, .agent = agent_};
    if (landing) {
      r.referer_path = t.rng.chance(0.5) ? t.rng.pick(catalog::kReferrers) : "-";
    } else {
      r.referer_site = kSite;
      r.referer_path = previous_;
    }
    if (t.rng.chance(0.02)) {
      r.path = t.rng.pick(catalog::kMissing);
      r.status = 404;
    } else if (page_ == "/contact" && t.rng.chance(0.2)) {
      r.method = "POST";
    }
    r.bytes = r.status == 200 ? t.rng.between(3000, 40000) : error_page_bytes(r.status);
    access_line(t, addr_, r);
    previous_ = page_;
    --pages_left_;
    assets_left_ = static_cast<int>(t.rng.between(0, cached_ ? 3 : 7));
    return assets_left_ > 0 ? t.rng.between(30, 250) : pause(t);
  }

  Millis asset(Turn& t) {
    Request r{.path = t.rng.pick(catalog::kAssets),
              .version = version_,
              .referer_site = kSite,
              .referer_path = page_,
              .agent = agent_};
    if (t.rng.chance(0.03)) {
      r.path = t.rng.pick(catalog::kMissing);
      r.status = 404;
    } else if (cached_ && t.rng.chance(0.7)) {
      r.status = 304;
    }
    r.bytes = r.status == 200 ? t.rng.between(2000, 250000) : error_page_bytes(r.status);
    access_line(t, addr_, r);
    return --assets_left_ > 0 ? t.rng.between(5, 150) : pause(t);
  }

  // Reading time between pages, or the gap until the next visit.
  Millis pause(Turn& t) {
    if (pages_left_ > 0) return spread(t.rng, 2 * kSecond, 90 * kSecond);
    cached_ = true;
    return spread(t.rng, 5 * kMinute, 3 * kHour);
  }

  std::string addr_;
  std::string_view agent_;
  std::string_view version_;
  std::string_view page_ = "/";
  std::string_view previous_ = "/";
  int pages_left_ = 0;
  int assets_left_ = 0;
  bool cached_ = false;
};

// A search-engine crawler: robots.txt now and then, pages otherwise, at a steady pace.
class Crawler final : public Actor {
 public:
  Crawler(std::string addr, Rng& rng)
      : addr_(std::move(addr)), agent_(rng.pick(catalog::kCrawlerAgents)) {}

  Millis act(Turn& t) override {
    Request r{.agent = agent_};
    const uint64_t roll = t.rng.below(100);
    if (roll < 5) {
      r.path = "/robots.txt";
      r.bytes = 68;
    } else if (roll < 9) {
      r.path = t.rng.pick(catalog::kMissing);
      r.status = 404;
      r.bytes = error_page_bytes(404);
    } else {
      r.path = t.rng.pick(catalog::kPages);
      r.bytes = t.rng.between(3000, 40000);
    }
    access_line(t, addr_, r);
    return spread(t.rng, kSecond, 40 * kSecond);
  }

 private:
  std::string addr_;
  std::string_view agent_;
};

// The orchestrator's liveness probe from the internal network.
class HealthCheck final : public Actor {
 public:
  explicit HealthCheck(std::string addr) : addr_(std::move(addr)) {}

  Millis act(Turn& t) override {
    access_line(t, addr_, Request{.path = "/healthz", .bytes = 2, .agent = "kube-probe/1.29"});
    return jitter(t.rng, 10 * kSecond);
  }

 private:
  std::string addr_;
};

}  // namespace

std::unique_ptr<Actor> make_visitor(std::string addr, Rng& rng) {
  return std::make_unique<Visitor>(std::move(addr), rng);
}

std::unique_ptr<Actor> make_crawler(std::string addr, Rng& rng) {
  return std::make_unique<Crawler>(std::move(addr), rng);
}

std::unique_ptr<Actor> make_health_check(std::string addr) {
  return std::make_unique<HealthCheck>(std::move(addr));
}

}  // namespace phalanx::loggen::nginx
