// SPDX-License-Identifier: Apache-2.0
// DataFiles: the data files that parser and scenario `data:` entries name
// ({source_url, dest_file, type: string|regexp|map}), loaded from a data directory and looked
// up by dest_file from File(), RegexpInFile(), LookupFile() and FileMap().
//
// Lines starting with '#' and empty lines are skipped, as CrowdSec does. A regexp file is
// compiled into ONE RE2::Set, so RegexpInFile costs one automaton pass, not a loop. A map file
// holds JSON lines {"pattern", "tag", "type": equals|contains|regex}; LookupFile checks equals
// entries by hash, contains entries by one automaton pass, then the regexes, in that order.
//
// Files are immutable once loaded and held by shared_ptr, so compiled programs may keep them
// (they do, for the any(File(...), ...) index). Thread-safety: load()/add_*() must not run
// concurrently with anything else; the const lookups and the file objects are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "expr/value.h"

namespace phalanx::expr {

enum class DataFileType { kString, kRegexp, kMap };

// A `data:` entry. source_url is informational (Phalanx never downloads at load time).
struct DataSourceSpec {
  std::string source_url;
  std::string dest_file;
  std::string type;  // "string", "regexp" (or "regex"), "map"; empty: ignored, as CrowdSec
};

// Lines of a type: string file, exposed as an expr array of (borrowed) strings.
class StringFile {
 public:
  explicit StringFile(std::vector<std::string> lines);
  StringFile(const StringFile&) = delete;  // the array views the lines
  StringFile& operator=(const StringFile&) = delete;
  const std::vector<std::string>& lines() const { return lines_; }
  // The lines as an array value; shared, so File(x) does not copy.
  const Value& array() const { return array_; }

 private:
  std::vector<std::string> lines_;
  Value array_;
};

// Regexes of a type: regexp file, compiled into one RE2::Set.
class RegexpFile {
 public:
  // Errors: "compiling regexp line N of <name>: <cause>".
  static Result<std::shared_ptr<const RegexpFile>> compile(std::string_view name,
                                                           std::vector<std::string> lines);
  ~RegexpFile();
  // True when any line's regex matches somewhere in text (unanchored, as Go MatchString).
  bool matches(std::string_view text) const;
  size_t size() const { return lines_.size(); }

 private:
  RegexpFile() = default;
  struct Impl;
  std::vector<std::string> lines_;
  std::unique_ptr<Impl> impl_;
};

// Rows of a type: map file.
class MapFile {
 public:
  struct Row {
    std::string pattern;
    std::string tag;
    std::string type;  // equals | contains | regex
  };
  // Errors: bad JSON, a missing pattern/tag/type, an unknown type, an invalid regex.
  static Result<std::shared_ptr<const MapFile>> compile(std::string_view name,
                                                        std::vector<std::string> lines);
  ~MapFile();
  // The tag of the first matching row: equals rows first, then the leftmost-first contains
  // match, then the first matching regex; "" when nothing matches.
  std::string_view lookup(std::string_view haystack) const;
  const std::vector<Row>& rows() const { return rows_; }
  // The rows as an array of string-valued maps (FileMap()).
  const Value& array() const { return array_; }

 private:
  MapFile() = default;
  struct Impl;
  std::vector<Row> rows_;
  Value array_;
  std::unique_ptr<Impl> impl_;
};

class DataFiles {
 public:
  // data_dir: where dest_file names are resolved (CrowdSec's config_paths.data_dir).
  explicit DataFiles(std::string data_dir = {});

  const std::string& data_dir() const { return data_dir_; }

  // Loads a `data:` entry from data_dir/dest_file. Loading a name already loaded with the same
  // type is a no-op. Errors: "loading data file <path>: <cause>" (missing file, bad regex,
  // bad map line), "unknown data type '<t>' for <dest_file>".
  Result<void> load(const DataSourceSpec& spec);
  Result<void> load(std::string_view dest_file, DataFileType type);

  // In-memory registration (tests, generated content). Same errors as load().
  Result<void> add_strings(std::string_view name, std::vector<std::string> lines);
  Result<void> add_regexps(std::string_view name, std::vector<std::string> lines);
  Result<void> add_map(std::string_view name, std::vector<std::string> json_lines);

  // Lookups by dest_file; nullptr when not loaded with that type.
  std::shared_ptr<const StringFile> strings(std::string_view name) const;
  std::shared_ptr<const RegexpFile> regexps(std::string_view name) const;
  std::shared_ptr<const MapFile> map(std::string_view name) const;

 private:
  template <class T>
  using Table = std::unordered_map<std::string, std::shared_ptr<const T>>;

  std::string data_dir_;
  Table<StringFile> strings_;
  Table<RegexpFile> regexps_;
  Table<MapFile> maps_;
};

// Parses a data type name: "string", "regexp"/"regex", "map". Errors on anything else.
Result<DataFileType> parse_data_file_type(std::string_view type);

}  // namespace phalanx::expr
