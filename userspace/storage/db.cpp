// SPDX-License-Identifier: Apache-2.0
// The Conn defaults shared by both connections.
#include "storage/db.h"

namespace phalanx::storage {
namespace {

// Collects one row's parameters as Values (copies), for connections that batch statements.
class ValueBinder final : public Conn::Binder {
 public:
  explicit ValueBinder(std::vector<Value>& out) : out_(out) {}
  void null(int idx) override { at(idx) = nullptr; }
  void i64(int idx, int64_t v) override { at(idx) = v; }
  void boolean(int idx, bool v) override { at(idx) = v; }
  void text(int idx, std::string_view v) override { at(idx) = std::string(v); }
  void blob(int idx, std::span<const uint8_t> v) override { at(idx) = Blob(v.begin(), v.end()); }

 private:
  Value& at(int idx) {
    const auto i = static_cast<size_t>(idx);
    if (out_.size() <= i) out_.resize(i + 1);
    return out_[i];
  }
  std::vector<Value>& out_;
};

}  // namespace

Result<void> Conn::run_each(std::string_view sql, size_t n, const BindFn& bind,
                            const EachRowFn& on_row) {
  std::vector<Statement> batch;
  batch.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Statement s{sql, {}, {}};
    ValueBinder binder(s.params);
    bind(i, binder);
    if (on_row) s.on_row = [&on_row, i](const Row& r) { on_row(i, r); };
    batch.push_back(std::move(s));
  }
  return run_batch(batch);
}

}  // namespace phalanx::storage
