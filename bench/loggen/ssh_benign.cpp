// SPDX-License-Identifier: Apache-2.0
// Benign ssh actors: users, a load-balancer health check, cron/systemd background.
#include <string>
#include <string_view>

#include "ssh_common.h"

namespace phalanx::loggen::ssh {
namespace {

std::string fingerprint(Rng& rng) {
  static constexpr std::string_view kB64 =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string fp = "SHA256:";
  for (int i = 0; i < 43; ++i)
    fp.push_back(kB64[rng.below(kB64.size())]);
  return fp;
}

// A legitimate user: logs in (with a key, or a password that is sometimes mistyped first),
// works for a while, logs out, comes back later. One line per turn, in this order:
// [Failed password], Accepted, session opened, logind New session, Received disconnect,
// Disconnected, session closed.
class User final : public Actor {
 public:
  User(ServerPtr srv, std::string addr, std::string user, uint64_t uid, Rng& rng)
      : srv_(std::move(srv)),
        user_(std::move(user)),
        uid_(uid),
        key_(fingerprint(rng)),
        uses_key_(rng.chance(0.7)) {
    conn_.addr = std::move(addr);
  }

  Millis act(Turn& t) override {
    switch (step_++) {
      case 0:
        return connect(t);
      case 1:
        return accept(t);
      case 2:
        return session_opened(t);
      case 3:
        return new_session(t);
      case 4:
        return received_disconnect(t);
      case 5:
        return disconnected(t);
      default:
        return session_closed(t);
    }
  }

 private:
  Millis connect(Turn& t) {
    conn_.renew(t, *srv_);
    if (uses_key_ || !t.rng.chance(0.1)) return accept(t);
    conn_.sshd(t, *srv_);
    t.out.put("Failed password for ").put(user_).put(" from ");
    conn_.peer(t);
    t.out.put(" ssh2");
    return t.rng.between(2 * kSecond, 6 * kSecond);
  }

  Millis accept(Turn& t) {
    step_ = 2;
    conn_.sshd(t, *srv_);
    t.out.put(uses_key_ ? "Accepted publickey for " : "Accepted password for ").put(user_);
    t.out.put(" from ");
    conn_.peer(t);
    t.out.put(" ssh2");
    if (uses_key_) t.out.put(": ED25519 ").put(key_);
    return t.rng.between(5, 40);
  }

  Millis session_opened(Turn& t) {
    conn_.sshd(t, *srv_);
    t.out.put("pam_unix(sshd:session): session opened for user ").put(user_).put("(uid=");
    t.out.put_uint(uid_).put(") by (uid=0)");
    return t.rng.between(2, 30);
  }

  Millis new_session(Turn& t) {
    prefix(t, *srv_, "systemd-logind", 612);
    t.out.put("New session ").put_uint(++srv_->next_session).put(" of user ").put(user_);
    t.out.put('.');
    return spread(t.rng, 20 * kSecond, 40 * kMinute);  // the session itself
  }

  Millis received_disconnect(Turn& t) {
    conn_.sshd(t, *srv_);
    t.out.put("Received disconnect from ");
    conn_.peer(t);
    t.out.put(":11: disconnected by user");
    return t.rng.between(1, 3);
  }

  Millis disconnected(Turn& t) {
    conn_.sshd(t, *srv_);
    t.out.put("Disconnected from user ").put(user_).put(' ');
    conn_.peer(t);
    return t.rng.between(1, 5);
  }

  Millis session_closed(Turn& t) {
    step_ = 0;
    conn_.sshd(t, *srv_);
    t.out.put("pam_unix(sshd:session): session closed for user ").put(user_);
    return spread(t.rng, kMinute, 3 * kHour);
  }

  ServerPtr srv_;
  std::string user_;
  uint64_t uid_;
  std::string key_;
  bool uses_key_;
  Conn conn_;
  int step_ = 0;
};

// An internal load balancer checking that the port answers: connect, close, no banner.
class HealthCheck final : public Actor {
 public:
  HealthCheck(ServerPtr srv, std::string addr) : srv_(std::move(srv)) {
    conn_.addr = std::move(addr);
  }

  Millis act(Turn& t) override {
    closing_ = !closing_;
    if (closing_) {
      conn_.renew(t, *srv_);
      conn_.sshd(t, *srv_);
      t.out.put("error: kex_exchange_identification: Connection closed by remote host");
      return 1;
    }
    conn_.sshd(t, *srv_);
    t.out.put("Connection closed by ");
    conn_.peer(t);
    return jitter(t.rng, kMinute);
  }

 private:
  ServerPtr srv_;
  Conn conn_;
  bool closing_ = false;
};

// cron and systemd lines that share auth.log with sshd.
class Background final : public Actor {
 public:
  explicit Background(ServerPtr srv) : srv_(std::move(srv)) {}

  Millis act(Turn& t) override {
    const int step = step_;
    step_ = (step_ + 1) % 3;
    if (step == 0) {
      pid_ = srv_->new_pid(t.rng);
      prefix(t, *srv_, "CRON", pid_);
      t.out.put("pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)");
      return t.rng.between(50, 900);
    }
    if (step == 1) {
      prefix(t, *srv_, "CRON", pid_);
      t.out.put("pam_unix(cron:session): session closed for user root");
      return jitter(t.rng, 2 * kMinute);
    }
    prefix(t, *srv_, "systemd", 1);
    t.out.put("Started session-").put_uint(srv_->next_session).put(".scope - Session ");
    t.out.put_uint(srv_->next_session).put(" of User root.");
    return jitter(t.rng, 2 * kMinute);
  }

 private:
  ServerPtr srv_;
  uint64_t pid_ = 0;
  int step_ = 0;
};

}  // namespace

std::unique_ptr<Actor> make_user(ServerPtr srv, std::string addr, std::string user, uint64_t uid,
                                 Rng& rng) {
  return std::make_unique<User>(std::move(srv), std::move(addr), std::move(user), uid, rng);
}

std::unique_ptr<Actor> make_health_check(ServerPtr srv, std::string addr) {
  return std::make_unique<HealthCheck>(std::move(srv), std::move(addr));
}

std::unique_ptr<Actor> make_background(ServerPtr srv) {
  return std::make_unique<Background>(std::move(srv));
}

}  // namespace phalanx::loggen::ssh
