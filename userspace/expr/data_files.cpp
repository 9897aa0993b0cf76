// SPDX-License-Identifier: Apache-2.0
#include "expr/data_files.h"

#include <re2/set.h>

#include <fstream>
#include <unordered_map>

#include "expr/json.h"
#include "expr/re2_util.h"

namespace phalanx::expr {
namespace {

RE2::Options regexp_options() {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(256 << 20);  // one automaton for a whole file can be large
  return options;
}

// Lines as Go's bufio.Scanner yields them (a trailing '\r' dropped), minus comments ('#...')
// and empty lines, as CrowdSec's FileInit skips them.
Result<std::vector<std::string>> read_lines(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error::from_errno("loading data file " + path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    lines.push_back(std::move(line));
  }
  if (in.bad()) return Error::from_errno("reading data file " + path);
  return lines;
}

std::vector<std::string> drop_comments(std::vector<std::string> lines) {
  std::vector<std::string> out;
  for (auto& line : lines) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace

StringFile::StringFile(std::vector<std::string> lines) : lines_(std::move(lines)) {
  Array items;
  items.reserve(lines_.size());
  // Views into lines_, which never changes after construction: File() hands out no copies.
  for (const std::string& line : lines_)
    items.push_back(Value::view(line));
  array_ = Value::array(std::move(items));
}

struct RegexpFile::Impl {
  explicit Impl(const RE2::Options& options) : set(options, RE2::UNANCHORED) {}
  RE2::Set set;
};

RegexpFile::~RegexpFile() = default;

Result<std::shared_ptr<const RegexpFile>> RegexpFile::compile(std::string_view name,
                                                              std::vector<std::string> lines) {
  std::shared_ptr<RegexpFile> file(new RegexpFile());
  file->lines_ = drop_comments(std::move(lines));
  file->impl_ = std::make_unique<Impl>(regexp_options());
  for (size_t i = 0; i < file->lines_.size(); ++i) {
    std::string error;
    if (file->impl_->set.Add(detail::piece(file->lines_[i]), &error) < 0) {
      return Error("compiling regexp line " + std::to_string(i + 1) + " of " + std::string(name) +
                   ": " + error);
    }
  }
  if (!file->impl_->set.Compile()) {
    return Error("compiling regexps of " + std::string(name) + ": out of memory");
  }
  return std::shared_ptr<const RegexpFile>(std::move(file));
}

bool RegexpFile::matches(std::string_view text) const {
  if (lines_.empty()) return false;
  return impl_->set.Match(detail::piece(text), nullptr);
}

struct ViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct MapFile::Impl {
  std::unordered_map<std::string, size_t, ViewHash, std::equal_to<>>
      equals;                     // pattern → row (the last row wins, as Go)
  std::unique_ptr<RE2> contains;  // alternation of the contains literals
  std::vector<size_t> contains_rows;
  std::vector<std::unique_ptr<RE2>> regexes;
  std::vector<size_t> regex_rows;
};

MapFile::~MapFile() = default;

Result<std::shared_ptr<const MapFile>> MapFile::compile(std::string_view name,
                                                        std::vector<std::string> lines) {
  std::shared_ptr<MapFile> file(new MapFile());
  file->impl_ = std::make_unique<Impl>();
  Array rows;
  std::string alternation;
  for (const std::string& line : drop_comments(std::move(lines))) {
    auto parsed = parse_json(line);
    if (!parsed || !parsed->is_map()) {
      return Error("parsing map line of " + std::string(name) + ": " + line);
    }
    Row row;
    const Map& m = parsed->as_map();
    for (auto [field, out] : {std::pair{"pattern", &row.pattern}, std::pair{"tag", &row.tag},
                              std::pair{"type", &row.type}}) {
      const Value* v = m.find(field);
      if (v == nullptr || !v->is_string() || v->as_string().empty()) {
        return Error("missing mandatory '" + std::string(field) + "' field in " +
                     std::string(name) + ": " + line);
      }
      *out = std::string(v->as_string());
    }
    size_t index = file->rows_.size();
    if (row.type == "equals") {
      file->impl_->equals[row.pattern] = index;
    } else if (row.type == "contains") {
      if (!alternation.empty()) alternation += '|';
      alternation += RE2::QuoteMeta(detail::piece(row.pattern));
      file->impl_->contains_rows.push_back(index);
    } else if (row.type == "regex") {
      auto re = std::make_unique<RE2>(detail::piece(row.pattern), regexp_options());
      if (!re->ok()) {
        return Error("invalid regex pattern '" + row.pattern + "' in " + std::string(name) + ": " +
                     re->error());
      }
      file->impl_->regexes.push_back(std::move(re));
      file->impl_->regex_rows.push_back(index);
    } else {
      return Error("unknown entry type '" + row.type + "' in " + std::string(name) + ": " + line);
    }
    auto row_map = std::make_shared<Map>(true);
    for (const auto& [k, v] : m.entries()) {
      if (v.is_string()) row_map->set(k, v);
    }
    rows.push_back(Value::map(std::move(row_map)));
    file->rows_.push_back(std::move(row));
  }
  if (!alternation.empty()) {
    file->impl_->contains = std::make_unique<RE2>(alternation, regexp_options());
    if (!file->impl_->contains->ok()) {
      return Error("compiling contains patterns of " + std::string(name) + ": " +
                   file->impl_->contains->error());
    }
  }
  file->array_ = Value::array(std::move(rows));
  return std::shared_ptr<const MapFile>(std::move(file));
}

std::string_view MapFile::lookup(std::string_view haystack) const {
  if (auto it = impl_->equals.find(haystack); it != impl_->equals.end()) {
    return rows_[it->second].tag;
  }
  re2::StringPiece match;
  if (impl_->contains && impl_->contains->Match(detail::piece(haystack), 0, haystack.size(),
                                                RE2::UNANCHORED, &match, 1)) {
    // Leftmost-first: at the leftmost match position, the first pattern in file order that
    // starts there wins (what an Aho-Corasick LeftMostFirst automaton reports).
    std::string_view rest = haystack.substr(static_cast<size_t>(match.data() - haystack.data()));
    for (size_t row : impl_->contains_rows) {
      if (rest.starts_with(rows_[row].pattern)) return rows_[row].tag;
    }
  }
  for (size_t i = 0; i < impl_->regexes.size(); ++i) {
    if (RE2::PartialMatch(detail::piece(haystack), *impl_->regexes[i])) {
      return rows_[impl_->regex_rows[i]].tag;
    }
  }
  return {};
}

Result<DataFileType> parse_data_file_type(std::string_view type) {
  if (type == "string") return DataFileType::kString;
  if (type == "regexp" || type == "regex") return DataFileType::kRegexp;
  if (type == "map") return DataFileType::kMap;
  return Error("unknown data type '" + std::string(type) + "'");
}

DataFiles::DataFiles(std::string data_dir) : data_dir_(std::move(data_dir)) {}

Result<void> DataFiles::load(const DataSourceSpec& spec) {
  if (spec.type.empty()) return ok();  // CrowdSec ignores entries without a type
  auto type = parse_data_file_type(spec.type);
  if (!type) return Error(type.error().message() + " for " + spec.dest_file);
  auto loaded = load(spec.dest_file, *type);
  if (loaded || spec.source_url.empty()) return loaded;
  // A hub data directory may hold the file under the name it is published as (the last part
  // of source_url) rather than under dest_file; expressions still name it by dest_file.
  const std::string_view url = spec.source_url;
  const std::string published(url.substr(url.find_last_of('/') + 1));
  if (published.empty() || published == spec.dest_file || data_dir_.empty()) return loaded;
  auto lines = read_lines(data_dir_ + "/" + published);
  if (!lines) return loaded;
  Result<void> added =
      *type == DataFileType::kString   ? add_strings(spec.dest_file, std::move(*lines))
      : *type == DataFileType::kRegexp ? add_regexps(spec.dest_file, std::move(*lines))
                                       : add_map(spec.dest_file, std::move(*lines));
  if (!added) return added.error().context("loading data file " + data_dir_ + "/" + published);
  return ok();
}

Result<void> DataFiles::load(std::string_view dest_file, DataFileType type) {
  std::string name(dest_file);
  bool loaded = (type == DataFileType::kString && strings_.count(name)) ||
                (type == DataFileType::kRegexp && regexps_.count(name)) ||
                (type == DataFileType::kMap && maps_.count(name));
  if (loaded) return ok();
  std::string path = data_dir_.empty() ? name : data_dir_ + "/" + name;
  auto lines = read_lines(path);
  if (!lines) return std::move(lines).error();
  Result<void> added = type == DataFileType::kString   ? add_strings(name, std::move(*lines))
                       : type == DataFileType::kRegexp ? add_regexps(name, std::move(*lines))
                                                       : add_map(name, std::move(*lines));
  if (!added) return added.error().context("loading data file " + path);
  return ok();
}

Result<void> DataFiles::add_strings(std::string_view name, std::vector<std::string> lines) {
  strings_[std::string(name)] = std::make_shared<const StringFile>(drop_comments(std::move(lines)));
  return ok();
}

Result<void> DataFiles::add_regexps(std::string_view name, std::vector<std::string> lines) {
  PHALANX_TRY(auto file, RegexpFile::compile(name, std::move(lines)));
  regexps_[std::string(name)] = std::move(file);
  return ok();
}

Result<void> DataFiles::add_map(std::string_view name, std::vector<std::string> json_lines) {
  PHALANX_TRY(auto file, MapFile::compile(name, std::move(json_lines)));
  maps_[std::string(name)] = std::move(file);
  return ok();
}

template <class T>
static std::shared_ptr<const T> find_in(
    const std::unordered_map<std::string, std::shared_ptr<const T>>& table, std::string_view name) {
  auto it = table.find(std::string(name));
  return it == table.end() ? nullptr : it->second;
}

std::shared_ptr<const StringFile> DataFiles::strings(std::string_view name) const {
  return find_in(strings_, name);
}
std::shared_ptr<const RegexpFile> DataFiles::regexps(std::string_view name) const {
  return find_in(regexps_, name);
}
std::shared_ptr<const MapFile> DataFiles::map(std::string_view name) const {
  return find_in(maps_, name);
}

}  // namespace phalanx::expr
