// SPDX-License-Identifier: Apache-2.0
// Local API figures against a running phalanxd (bench/run_lapi.sh drives it):
//   lapi_bench seed DB_URL N              N Ip decisions + bouncer "bench" + machine "bench";
//                                         prints the API key
//   lapi_bench startup PORT KEY REPS      stream startup time to last byte, median of REPS (ms)
//   lapi_bench post PORT SECONDS BATCH THREADS   POST /v1/alerts, BATCH alerts of one decision
//                                         per request; prints alerts/s
//   lapi_bench propagation PORT KEY N     POST one decision while a push client waits; p50/p99
//   lapi_bench idle PORT KEY PID N        N connections each holding a push wait; RSS per client
#include <fmt/format.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lapi/auth.h"
#include "lapi/decision_json.h"
#include "storage/store.h"

namespace {

using namespace phalanx;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "lapi_bench: %s\n", why.c_str());
  std::exit(1);
}

TimePoint now() {
  return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

std::string ip_of(uint32_t n) {
  return fmt::format("{}.{}.{}.{}", 10 + (n >> 24), (n >> 16) & 255, (n >> 8) & 255, n & 255);
}

int seed(const std::string& url, int n) {
  auto store = storage::open_store(url);
  if (!store) die(store.error().message());
  const std::string key = lapi::generate_api_key();
  storage::Bouncer b;
  b.name = "bench";
  b.api_key_hash = lapi::hash_api_key(key);
  if (!(*store)->add_bouncer(b)) die("adding the bouncer");
  storage::Machine m;
  m.machine_id = "bench";
  m.password_hash = lapi::hash_password("bench-password", 1000);
  m.is_validated = true;
  if (!(*store)->add_machine(m)) die("adding the machine");
  std::vector<storage::Decision> batch;
  for (int i = 0; i < n; ++i) {
    storage::Decision d;
    d.created_at = now();
    d.until = d.created_at + std::chrono::hours(24);
    d.scenario = "crowdsecurity/ssh-bf";
    d.type = "ban";
    d.scope = "Ip";
    d.value = ip_of(static_cast<uint32_t>(i));
    d.origin = "CAPI";
    batch.push_back(std::move(d));
    if (batch.size() == 20000 || i + 1 == n) {
      if (auto r = (*store)->insert_decisions(batch); !r) die(r.error().message());
      batch.clear();
    }
  }
  std::printf("%s\n", key.c_str());
  return 0;
}

std::string token_for(httplib::Client& c) {
  auto res = c.Post("/v1/watchers/login", {{"User-Agent", "crowdsec/bench"}},
                    R"({"machine_id":"bench","password":"bench-password"})", "application/json");
  if (!res || res->status != 200) die("login failed");
  return json::parse(res->body)["token"];
}

// A TCP connection to 127.0.0.1:port; dies when refused.
int connect_loopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    die("connect failed");
  return fd;
}

// One startup pull over a raw socket with Connection: close, read to the end: the time to last
// byte without an HTTP client's own decoding in the way. Returns the bytes read.
size_t pull_startup(int port, const std::string& key) {
  const int fd = connect_loopback(port);
  const std::string req = fmt::format(
      "GET /v1/decisions/stream?startup=true HTTP/1.1\r\nHost: b\r\nX-Api-Key: {}\r\n"
      "User-Agent: bench/1\r\nConnection: close\r\n\r\n",
      key);
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) die("write failed");
  static char buf[1 << 20];
  size_t total = 0;
  char head[16] = {};
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) {
    if (total == 0) std::memcpy(head, buf, std::min<size_t>(static_cast<size_t>(n), 12));
    total += static_cast<size_t>(n);
  }
  close(fd);
  if (std::memcmp(head, "HTTP/1.1 200", 12) != 0) die("startup pull failed");
  return total;
}

int startup(int port, const std::string& key, int reps) {
  std::vector<double> times;
  size_t bytes = 0;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    bytes = pull_startup(port, key);
    times.push_back(ms_since(t0));
  }
  std::printf("startup_ms_median %.1f bytes %zu reps %d\n", percentile(times, 0.5), bytes, reps);
  return 0;
}

// The source address of the n-th bench alert: 172.16.0.0/12, distinct for 2^20 alerts.
std::string bench_ip(uint32_t n) {
  return fmt::format("172.{}.{}.{}", 16 + ((n >> 16) & 15), (n >> 8) & 255, n & 255);
}

// One alert as an agent pushes it (an Ip source with a 4h ban of it, times `t`), appended to
// `out` as JSON.
void append_alert(std::string& out, const std::string& ip, const std::string& t) {
  fmt::format_to(std::back_inserter(out),
                 R"({{"capacity":5,"events_count":6,"leakspeed":"10s","message":"bench",)"
                 R"("scenario":"bench/scenario","scenario_hash":"h","scenario_version":"1",)"
                 R"("simulated":false,"source":{{"scope":"Ip","value":"{0}"}},)"
                 R"("start_at":"{1}","stop_at":"{1}","events":[],)"
                 R"("decisions":[{{"duration":"4h","origin":"cscli","scenario":"bench/scenario",)"
                 R"("scope":"Ip","type":"ban","value":"{0}"}}]}})",
                 ip, t);
}

// A keep-alive HTTP/1.1 connection on a blocking socket: each request goes out in one write,
// each response is read by its Content-Length. It spends about as little CPU per call as wrk,
// so that on a machine whose cores the client shares with the server the figure is the
// server's, not the client's (an HTTP client library with a JSON DOM per call took about a
// quarter of the two cores at 8k calls/s).
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(connect_loopback(port)) {
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~RawConnection() { close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Sends `request` whole and returns the response's status code; dies on a broken connection.
  int roundtrip(const std::string& request) {
    for (size_t at = 0; at < request.size();) {
      const ssize_t n = write(fd_, request.data() + at, request.size() - at);
      if (n <= 0) die("write failed");
      at += static_cast<size_t>(n);
    }
    size_t head_end = std::string::npos;
    while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos)
      fill();
    const size_t cl = find_header(std::string_view(buf_).substr(0, head_end), "content-length:");
    const size_t body = cl == std::string::npos ? 0 : std::strtoul(buf_.c_str() + cl, nullptr, 10);
    const size_t total = head_end + 4 + body;
    while (buf_.size() < total)
      fill();
    const int status = buf_.size() > 12 ? std::atoi(buf_.c_str() + 9) : 0;
    buf_.erase(0, total);
    return status;
  }

 private:
  void fill() {
    char chunk[4096];
    const ssize_t n = read(fd_, chunk, sizeof(chunk));
    if (n <= 0) die("the server closed the connection");
    buf_.append(chunk, static_cast<size_t>(n));
  }
  // Where the value of a header (lowercase `name` with its colon) starts, or npos.
  static size_t find_header(std::string_view head, std::string_view name) {
    for (size_t at = head.find("\r\n"); at != std::string_view::npos;
         at = head.find("\r\n", at + 2)) {
      const std::string_view line = head.substr(at + 2, name.size());
      if (line.size() == name.size() &&
          std::equal(line.begin(), line.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == b;
          }))
        return at + 2 + name.size();
    }
    return std::string_view::npos;
  }

  int fd_;
  std::string buf_;
};

int post(int port, int seconds, int batch, int threads) {
  httplib::Client login("127.0.0.1", port);
  const std::string token = token_for(login);
  std::atomic<uint64_t> alerts{0};
  std::atomic<uint32_t> next{0};
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      RawConnection c(port);
      std::string body;
      std::string request;
      while (Clock::now() < end) {
        const std::string t = lapi::format_time_rfc3339(now());
        body = "[";
        for (int i = 0; i < batch; ++i) {
          if (i > 0) body += ',';
          append_alert(body, bench_ip(next++), t);
        }
        body += ']';
        request.clear();
        fmt::format_to(std::back_inserter(request),
                       "POST /v1/alerts HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n"
                       "Authorization: Bearer {}\r\nUser-Agent: crowdsec/bench\r\n"
                       "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                       port, token, body.size());
        request += body;
        if (c.roundtrip(request) != 201) die("POST /v1/alerts failed");
        alerts += static_cast<uint64_t>(batch);
      }
    });
  }
  const auto t0 = Clock::now();
  for (auto& w : workers)
    w.join();
  const double secs = ms_since(t0) / 1000;
  std::printf("alerts_per_s %.0f batch %d threads %d alerts %llu\n",
              static_cast<double>(alerts.load()) / secs, batch, threads,
              static_cast<unsigned long long>(alerts.load()));
  return 0;
}

int propagation(int port, const std::string& key, int n) {
  httplib::Client login("127.0.0.1", port);
  const std::string token = token_for(login);
  httplib::Client stream("127.0.0.1", port);
  stream.set_read_timeout(60, 0);
  stream.set_tcp_nodelay(true);
  httplib::Client poster("127.0.0.1", port);
  poster.set_tcp_nodelay(true);
  const httplib::Headers kh{{"X-Api-Key", key}};
  auto res = stream.Get("/v1/decisions/stream?startup=true&scopes=ip", kh);
  if (!res) die("startup failed");
  std::string cursor = res->get_header_value("X-Phalanx-Cursor");
  std::vector<double> lat;
  for (int i = 0; i < n; ++i) {
    const std::string ip = fmt::format("192.168.{}.{}", (i >> 8) & 255, i & 255);
    Clock::time_point t0;
    std::thread t([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the wait is held by now
      std::string body = "[";
      append_alert(body, ip, lapi::format_time_rfc3339(now()));
      body += ']';
      t0 = Clock::now();
      auto r = poster.Post("/v1/alerts", {{"Authorization", "Bearer " + token}}, body,
                           "application/json");
      if (!r || r->status != 201) die("POST failed");
    });
    while (true) {
      auto r = stream.Get("/v1/decisions/stream?wait=30s&cursor=" + cursor, kh);
      if (!r || r->status != 200) die("stream failed");
      cursor = r->get_header_value("X-Phalanx-Cursor");
      if (r->body.find(ip) != std::string::npos) break;
    }
    lat.push_back(ms_since(t0));
    t.join();
  }
  std::printf("propagation_ms p50 %.2f p99 %.2f max %.2f n %d\n", percentile(lat, 0.5),
              percentile(lat, 0.99), percentile(lat, 1.0), n);
  return 0;
}

long rss_kb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

int idle(int port, const std::string& key, int pid, int n) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  httplib::Client c("127.0.0.1", port);
  auto res = c.Get("/v1/decisions/stream?startup=true&scopes=nothing", {{"X-Api-Key", key}});
  if (!res) die("startup failed");
  const std::string cursor = res->get_header_value("X-Phalanx-Cursor");
  const std::string req = fmt::format(
      "GET /v1/decisions/stream?scopes=nothing&wait=10m&cursor={} HTTP/1.1\r\nHost: b\r\n"
      "X-Api-Key: {}\r\nUser-Agent: bench/1\r\n\r\n",
      cursor, key);
  const long before = rss_kb(pid);
  std::vector<int> fds;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < n; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
      die(fmt::format("connection {} failed", i));
    if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) die("write failed");
    fds.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));
  auto metrics = c.Get("/metrics");
  long waiting = -1;
  if (metrics) {
    const auto at = metrics->body.find("\nphalanx_lapi_stream_clients_waiting ");
    if (at != std::string::npos) waiting = std::stol(metrics->body.substr(at + 37));
  }
  const long after = rss_kb(pid);
  std::printf(
      "idle_clients %d waiting %ld rss_before_kb %ld rss_after_kb %ld bytes_per_client %.0f\n", n,
      waiting, before, after, static_cast<double>(after - before) * 1024 / n);
  for (int fd : fds)
    close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 3 && a[0] == "seed") return seed(a[1], std::stoi(a[2]));
  if (a.size() == 4 && a[0] == "startup") return startup(std::stoi(a[1]), a[2], std::stoi(a[3]));
  if (a.size() == 5 && a[0] == "post")
    return post(std::stoi(a[1]), std::stoi(a[2]), std::stoi(a[3]), std::stoi(a[4]));
  if (a.size() == 4 && a[0] == "propagation")
    return propagation(std::stoi(a[1]), a[2], std::stoi(a[3]));
  if (a.size() == 5 && a[0] == "idle")
    return idle(std::stoi(a[1]), a[2], std::stoi(a[3]), std::stoi(a[4]));
  std::fprintf(stderr, "usage: see the header of bench/lapi/lapi_bench.cpp\n");
  return 2;
}
