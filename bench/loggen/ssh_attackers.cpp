// SPDX-License-Identifier: Apache-2.0
// Attacking ssh actors. Each writes one line per turn and keeps its place in a small script.
#include <string>
#include <string_view>

#include "catalog.h"
#include "ssh_common.h"

namespace phalanx::loggen::ssh {
namespace {

// Fast dictionary attack on a few privileged names: connections of six password attempts
// (PAM logs the first failure too), closed by "maximum authentication attempts exceeded",
// several connections back to back, then a pause of minutes to an hour.
class BruteForce final : public Actor {
 public:
  BruteForce(ServerPtr srv, std::string addr) : srv_(std::move(srv)) {
    conn_.addr = std::move(addr);
  }

  Millis act(Turn& t) override {
    if (step_ == 0) start_connection(t);
    conn_.sshd(t, *srv_);
    const bool invalid = user_ != "root";
    if (step_ == 0 && !invalid) {
      t.out.put("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ");
      t.out.put("ruser= rhost=").put(conn_.addr).put("  user=").put(user_);
    } else if (step_ <= 6) {
      t.out.put("Failed password for ").put(invalid ? "invalid user " : "").put(user_);
      t.out.put(" from ");
      conn_.peer(t);
      t.out.put(" ssh2");
    } else if (step_ == 7) {
      t.out.put("error: maximum authentication attempts exceeded for ");
      t.out.put(invalid ? "invalid user " : "").put(user_).put(" from ");
      conn_.peer(t);
      t.out.put(" ssh2 [preauth]");
    } else {
      t.out.put("Disconnecting ").put(invalid ? "invalid" : "authenticating").put(" user ");
      t.out.put(user_).put(' ');
      conn_.peer(t);
      t.out.put(": Too many authentication failures [preauth]");
      step_ = 0;
      if (--connections_left_ > 0) return t.rng.between(200, 1500);
      return spread(t.rng, kMinute, 20 * kMinute);
    }
    ++step_;
    return step_ == 1 ? t.rng.between(1, 20) : t.rng.between(1500, 4000);
  }

 private:
  void start_connection(Turn& t) {
    conn_.renew(t, *srv_);
    user_ = t.rng.pick(catalog::kBruteForceUsers);
    if (connections_left_ <= 0) connections_left_ = static_cast<int>(t.rng.between(3, 10));
    if (user_ != "root") step_ = 1;  // no PAM line for an unknown user
  }

  ServerPtr srv_;
  Conn conn_;
  std::string_view user_;
  int step_ = 0;
  int connections_left_ = 0;
};

// Low and slow: one password per connection, a new user name each time, half a minute to a
// few minutes apart, to stay under rate limits.
class SlowBruteForce final : public Actor {
 public:
  SlowBruteForce(ServerPtr srv, std::string addr, uint64_t offset)
      : srv_(std::move(srv)), next_user_(offset) {
    conn_.addr = std::move(addr);
  }

  Millis act(Turn& t) override {
    if (!closing_) {
      conn_.renew(t, *srv_);
      user_ = catalog::kEnumUsers[next_user_++ % catalog::kEnumUsers.size()];
      conn_.sshd(t, *srv_);
      t.out.put("Failed password for invalid user ").put(user_).put(" from ");
      conn_.peer(t);
      t.out.put(" ssh2");
    } else {
      conn_.sshd(t, *srv_);
      t.out.put("Connection closed by invalid user ").put(user_).put(' ');
      conn_.peer(t);
      t.out.put(" [preauth]");
    }
    closing_ = !closing_;
    return closing_ ? t.rng.between(20, 400) : spread(t.rng, 30 * kSecond, 5 * kMinute);
  }

 private:
  ServerPtr srv_;
  Conn conn_;
  std::string_view user_;
  uint64_t next_user_;
  bool closing_ = false;
};

// User enumeration: "Invalid user X" for one name after another, each connection dropped at
// once, a name every second or so; a run of 20-80 names, then a long pause.
class UserEnum final : public Actor {
 public:
  UserEnum(ServerPtr srv, std::string addr, uint64_t offset)
      : srv_(std::move(srv)), next_user_(offset) {
    conn_.addr = std::move(addr);
  }

  Millis act(Turn& t) override {
    if (!closing_) conn_.renew(t, *srv_);
    conn_.sshd(t, *srv_);
    if (!closing_) {
      user_ = catalog::kEnumUsers[next_user_++ % catalog::kEnumUsers.size()];
      t.out.put("Invalid user ").put(user_).put(" from ");
      conn_.peer(t);
    } else {
      t.out.put(t.rng.chance(0.5) ? "Connection closed by invalid user "
                                  : "Disconnected from invalid user ");
      t.out.put(user_).put(' ');
      conn_.peer(t);
      t.out.put(" [preauth]");
    }
    closing_ = !closing_;
    if (closing_) return t.rng.between(50, 600);
    if (run_left_ <= 0) run_left_ = static_cast<int>(t.rng.between(20, 80));
    if (--run_left_ > 0) return t.rng.between(300, 3000);
    return spread(t.rng, 2 * kMinute, 30 * kMinute);
  }

 private:
  ServerPtr srv_;
  Conn conn_;
  std::string_view user_;
  uint64_t next_user_;
  int run_left_ = 0;
  bool closing_ = false;
};

// Protocol scanning: HTTP on the ssh port, legacy key exchange offers, connect-and-drop.
class Scanner final : public Actor {
 public:
  Scanner(ServerPtr srv, std::string addr) : srv_(std::move(srv)) { conn_.addr = std::move(addr); }

  Millis act(Turn& t) override {
    if (pending_banner_) {
      pending_banner_ = false;
      conn_.sshd(t, *srv_);
      t.out.put("banner exchange: Connection from ");
      conn_.peer(t);
      t.out.put(": invalid format");
      return spread(t.rng, 30 * kSecond, 20 * kMinute);
    }
    conn_.renew(t, *srv_);
    conn_.sshd(t, *srv_);
    switch (t.rng.below(3)) {
      case 0:
        t.out.put("error: kex_exchange_identification: client sent invalid protocol identifier ");
        t.out.put("\"GET / HTTP/1.1\"");
        pending_banner_ = true;
        return t.rng.between(1, 5);
      case 1:
        t.out.put("Unable to negotiate with ");
        conn_.peer(t);
        t.out.put(": no matching key exchange method found. Their offer: ");
        t.out.put(t.rng.pick(catalog::kKexOffers)).put(" [preauth]");
        break;
      default:
        t.out.put("Connection closed by ");
        conn_.peer(t);
        t.out.put(" [preauth]");
    }
    return spread(t.rng, 30 * kSecond, 20 * kMinute);
  }

 private:
  ServerPtr srv_;
  Conn conn_;
  bool pending_banner_ = false;
};

}  // namespace

std::unique_ptr<Actor> make_attacker(ServerPtr srv, std::string addr, uint64_t index) {
  switch (index % 4) {
    case 0:
      return std::make_unique<BruteForce>(std::move(srv), std::move(addr));
    case 1:
      return std::make_unique<SlowBruteForce>(std::move(srv), std::move(addr), index);
    case 2:
      return std::make_unique<UserEnum>(std::move(srv), std::move(addr), index * 7);
    default:
      return std::make_unique<Scanner>(std::move(srv), std::move(addr));
  }
}

}  // namespace phalanx::loggen::ssh
