// SPDX-License-Identifier: Apache-2.0
// PostgreSQL connection over libpq: `?` placeholders become `$n`, statements are prepared once
// (named s0, s1, …) and cached by SQL text; parameters go as text except blobs (bytea, binary);
// results come back as text.
#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <unordered_map>

#include "storage/db.h"

namespace phalanx::storage {
namespace {

// A libpq message ends with a newline; our messages do not.
std::string pq_error(const PGconn* conn) {
  std::string msg = PQerrorMessage(conn);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
    msg.pop_back();
  return msg;
}

std::string result_error(const PGresult* res) {
  std::string msg = PQresultErrorMessage(res);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
    msg.pop_back();
  return msg;
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// "SELECT ? , ?" -> "SELECT $1 , $2". Our SQL never has `?` inside literals.
std::string number_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  for (char c : sql) {
    if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

class PgRow final : public Row {
 public:
  PgRow(const PGresult* res, int row) : res_(res), row_(row) {}
  bool is_null(int col) const override { return PQgetisnull(res_, row_, col) != 0; }
  int64_t i64(int col) const override {
    std::string_view t = text(col);
    int64_t v = 0;
    std::from_chars(t.data(), t.data() + t.size(), v);
    return v;
  }
  double f64(int col) const override {
    std::string t(text(col));
    return t.empty() ? 0.0 : std::strtod(t.c_str(), nullptr);
  }
  std::string_view text(int col) const override {
    return {PQgetvalue(res_, row_, col), static_cast<size_t>(PQgetlength(res_, row_, col))};
  }
  bool boolean(int col) const override {
    std::string_view t = text(col);
    return !t.empty() && (t[0] == 't' || t[0] == '1');
  }

 private:
  const PGresult* res_;
  int row_;
};

// Parameters as libpq wants them: text for numbers and strings, binary for blobs.
struct Bound {
  explicit Bound(std::span<const Value> params)
      : texts(params.size()),
        values(params.size()),
        lengths(params.size()),
        formats(params.size()) {
    for (size_t i = 0; i < params.size(); ++i) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
              values[i] = nullptr;
            } else if constexpr (std::is_same_v<T, int64_t>) {
              texts[i] = std::to_string(v);
              values[i] = texts[i].c_str();
            } else if constexpr (std::is_same_v<T, double>) {
              texts[i] = fmt::format("{}", v);
              values[i] = texts[i].c_str();
            } else if constexpr (std::is_same_v<T, std::string>) {
              values[i] = v.c_str();
              lengths[i] = static_cast<int>(v.size());
            } else if constexpr (std::is_same_v<T, Blob>) {
              values[i] = reinterpret_cast<const char*>(v.data());
              lengths[i] = static_cast<int>(v.size());
              formats[i] = 1;
            } else {
              values[i] = v ? "t" : "f";
            }
          },
          params[i]);
    }
  }
  int count() const { return static_cast<int>(values.size()); }

  std::vector<std::string> texts;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

// Statements per pipeline sync: results of a chunk are read before the next is sent, so neither
// side's socket buffer fills while the other waits (libpq's blocking mode could deadlock).
constexpr size_t kPipelineChunk = 256;

class PgConn final : public Conn {
 public:
  explicit PgConn(PGconn* conn) : conn_(conn) {}
  ~PgConn() override { PQfinish(conn_); }

  Dialect dialect() const override { return Dialect::kPostgres; }
  bool broken() const override { return PQstatus(conn_) == CONNECTION_BAD; }

  Result<void> exec(std::string_view sql) override {
    std::string text(sql);
    PgResult res(PQexec(conn_, text.c_str()));
    auto st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      return Error(res ? result_error(res.get()) : pq_error(conn_));
    }
    return ok();
  }

  Result<int64_t> run(std::string_view sql, std::span<const Value> params,
                      const RowFn& on_row) override {
    PHALANX_TRY(const std::string* name, prepare(sql));
    Bound b(params);
    PgResult res(PQexecPrepared(conn_, name->c_str(), b.count(), b.values.data(), b.lengths.data(),
                                b.formats.data(), 0));
    auto st = PQresultStatus(res.get());
    if (st == PGRES_TUPLES_OK) {
      int n = PQntuples(res.get());
      if (on_row) {
        for (int r = 0; r < n; ++r)
          on_row(PgRow(res.get(), r));
      }
      // INSERT … RETURNING reports rows inserted; a SELECT, rows returned.
      return static_cast<int64_t>(n);
    }
    if (st == PGRES_COMMAND_OK) {
      const char* affected = PQcmdTuples(res.get());
      return static_cast<int64_t>(affected[0] != '\0' ? std::atoll(affected) : 0);
    }
    if (PQstatus(conn_) == CONNECTION_BAD) {
      // The server went away: prepared statements are gone with the session.
      cache_.clear();
    }
    return Error(res ? result_error(res.get()) : pq_error(conn_));
  }

  Result<void> run_batch(std::span<Statement> batch) override {
    for (size_t start = 0; start < batch.size(); start += kPipelineChunk) {
      PHALANX_CHECK(
          run_pipeline(batch.subspan(start, std::min(kPipelineChunk, batch.size() - start))));
    }
    return ok();
  }

  Result<void> start_watch() override {
    std::string sql = fmt::format("LISTEN {}", kDecisionChannel);
    return exec(sql);
  }

  Result<bool> wait_change(std::chrono::milliseconds timeout) override {
    if (drain_notifications()) return true;
    pollfd pfd{PQsocket(conn_), POLLIN, 0};
    if (pfd.fd < 0) return Error("waiting for notifications: no connection");
    int rc = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (rc < 0) {
      if (errno == EINTR) return false;
      return Error::from_errno("waiting for notifications");
    }
    if (rc == 0) return false;
    if (PQconsumeInput(conn_) == 0) {
      return Error(fmt::format("reading notifications: {}", pq_error(conn_)));
    }
    return drain_notifications();
  }

 private:
  Result<void> run_pipeline(std::span<Statement> chunk) {
    std::vector<const std::string*> names;
    for (auto& st : chunk) {
      PHALANX_TRY(const std::string* name, prepare(st.sql));
      names.push_back(name);
    }
    if (PQenterPipelineMode(conn_) != 1) {
      return Error(fmt::format("entering pipeline mode: {}", pq_error(conn_)));
    }
    std::optional<Error> err;
    size_t sent = 0;
    for (; sent < chunk.size(); ++sent) {
      Bound b(chunk[sent].params);
      if (PQsendQueryPrepared(conn_, names[sent]->c_str(), b.count(), b.values.data(),
                              b.lengths.data(), b.formats.data(), 0) != 1) {
        err = Error(pq_error(conn_));
        break;
      }
    }
    if (PQpipelineSync(conn_) != 1 && !err) err = Error(pq_error(conn_));
    // Each statement's results end with a null result; after a failure the rest report
    // PIPELINE_ABORTED; the sync point comes last.
    for (size_t i = 0; i < sent; ++i) {
      while (PGresult* raw = PQgetResult(conn_)) {
        PgResult res(raw);
        auto st = PQresultStatus(raw);
        if (st == PGRES_TUPLES_OK) {
          if (chunk[i].on_row) {
            for (int r = 0; r < PQntuples(raw); ++r)
              chunk[i].on_row(PgRow(raw, r));
          }
        } else if (st == PGRES_PIPELINE_ABORTED) {
          if (!err) err = Error("pipeline aborted");
        } else if (st != PGRES_COMMAND_OK && !err) {
          err = Error(result_error(raw));
        }
      }
    }
    while (PGresult* raw = PQgetResult(conn_)) {
      PgResult res(raw);
      if (PQresultStatus(raw) == PGRES_PIPELINE_SYNC) break;
    }
    PQexitPipelineMode(conn_);
    if (err) return *err;
    return ok();
  }

  bool drain_notifications() {
    bool any = false;
    while (PGnotify* n = PQnotifies(conn_)) {
      any = true;
      PQfreemem(n);
    }
    return any;
  }

  Result<const std::string*> prepare(std::string_view sql) {
    std::string key(sql);
    if (auto it = cache_.find(key); it != cache_.end()) return &it->second;
    std::string name = fmt::format("s{}", next_statement_++);
    std::string numbered = number_placeholders(sql);
    PgResult res(PQprepare(conn_, name.c_str(), numbered.c_str(), 0, nullptr));
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      return Error(
          fmt::format("preparing statement: {}", res ? result_error(res.get()) : pq_error(conn_)));
    }
    auto [it, inserted] = cache_.emplace(std::move(key), std::move(name));
    return &it->second;
  }

  PGconn* conn_;
  std::unordered_map<std::string, std::string> cache_;
  uint64_t next_statement_ = 0;
};

}  // namespace

std::string redact_url(std::string_view url) {
  // scheme://user:password@host -> scheme://user:***@host
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  size_t auth_start = scheme + 3;
  size_t at = url.find('@', auth_start);
  size_t slash = url.find('/', auth_start);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) {
    return std::string(url);
  }
  size_t colon = url.find(':', auth_start);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  std::string out(url.substr(0, colon + 1));
  out += "***";
  out += url.substr(at);
  return out;
}

Result<std::unique_ptr<Conn>> open_postgres(const std::string& url) {
  // connect_timeout comes first so that a value in the URL overrides it.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"5", "phalanx", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  if (conn == nullptr) return Error("connecting to postgresql: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = pq_error(conn);
    PQfinish(conn);
    return Error(fmt::format("connecting to {}: {}", redact_url(url), msg));
  }
  auto pg = std::make_unique<PgConn>(conn);
  // Notices (e.g. "relation already exists, skipping") are not errors; keep them off stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  PHALANX_CHECK(pg->exec("SET client_min_messages TO warning"));
  return std::unique_ptr<Conn>(std::move(pg));
}

}  // namespace phalanx::storage
