// SPDX-License-Identifier: Apache-2.0
// Acquisition: the data sources that feed log lines to the parsers (spec §4.9). A source runs
// its own thread(s) and hands each line to a Sink. The sink is bounded: push() blocks while the
// pipeline is behind, so a source slows down instead of dropping lines or growing memory
// (unless its config allows dropping, in which case it counts what it dropped).
//
// Sources that read files remember where they are (Positions): the offset of the last line
// handed to the sink, saved in the state directory, so a restart neither loses nor repeats
// lines.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "core/result.h"
#include "core/time.h"

namespace phalanx::acquisition {

// One line of log, as the parsers get it (parser::Line is built from it).
struct Line {
  std::string raw;     // without the trailing newline (and \r)
  std::string src;     // file path, "journalctl", "syslog", ...
  std::string module;  // "file", "journalctl", "syslog"
  std::shared_ptr<const std::map<std::string, std::string>> labels;  // the source's labels
  TimePoint read_at{};        // when the source read it (wall clock)
  bool time_machine = false;  // cat mode: replayed, timestamps come from the line
};

// Where lines go. Implementations are thread-safe (several sources push at once).
class Sink {
 public:
  virtual ~Sink() = default;
  // Blocks while the pipeline is full. Returns false once the pipeline is stopping; the source
  // must then stop too (the line was not taken, and the source's position must not pass it).
  virtual bool push(Line line) = 0;
  // Non-blocking variant for sources allowed to drop (UDP syslog under pressure): false when
  // full or stopping; the line was not taken.
  virtual bool try_push(Line& line) = 0;
};

// One acquisition item, from acquis.yaml or acquis.d/*.yaml (one YAML document each).
struct SourceConfig {
  std::string file;  // where it was declared, for messages ("acquis.yaml:12")
  int line = 0;
  std::string source;                         // "file", "journalctl", "syslog"
  std::string mode = "tail";                  // "tail", "cat" (file), "server" (syslog)
  std::string name;                           // unique name; derived from the source when not given
  std::map<std::string, std::string> labels;  // labels.type selects the parser family
  // file
  std::vector<std::string> filenames;        // globs
  std::vector<std::string> exclude_regexps;  // RE2, matched against the full path
  bool force_inotify = false;
  bool poll_without_inotify = false;
  std::chrono::milliseconds poll_interval{1000};  // polling fallback
  std::chrono::seconds discovery_interval{30};    // globs re-checked for new files
  size_t max_buffer_size = 1 << 20;               // longest line kept; longer ones are cut
  // journalctl
  std::vector<std::string> journalctl_filter;  // "_SYSTEMD_UNIT=ssh.service", ...
  // Phalanx extension: read the journal files of this directory (as journalctl -D) instead of
  // the system journal. Empty: the local system journal.
  std::string journal_directory;
  // syslog
  std::string listen_addr = "127.0.0.1";
  int listen_port = 514;
  std::string protocol = "udp";  // "udp", "tcp", or "udp+tcp"
  size_t max_message_len = 2048;
  bool disable_rfc_parser = false;
  // common
  // A warning and a metric when a source produced nothing for this long (0: never).
  std::chrono::seconds idle_warning{0};
  bool allow_drop = false;  // lines may be dropped (and counted) when the pipeline is full
};

// Reads acquis.yaml and every acquis.d/*.yaml (sorted), each possibly multi-document. Every
// problem is collected in `diag` with its file and line; items with errors are left out.
// A missing file or directory is not an error (empty path: skipped).
std::vector<SourceConfig> load_acquis(const std::string& file, const std::string& dir,
                                      Diagnostics& diag);
std::vector<SourceConfig> parse_acquis(std::string_view text, const std::string& name,
                                       Diagnostics& diag);

// Counters of one source, read by /metrics and `phalanxd --check`.
struct SourceStats {
  std::atomic<uint64_t> lines{0};  // lines handed to the sink
  std::atomic<uint64_t> bytes{0};
  // Lines lost or damaged: refused under allow_drop, lost by the kernel (UDP overflow), or cut
  // to max_buffer_size (file). A cut syslog message is delivered and not counted here.
  std::atomic<uint64_t> dropped{0};
  std::atomic<uint64_t> errors{0};       // read errors, invalid or refused messages
  std::atomic<int64_t> last_line_ns{0};  // wall clock of the last line, for idle warnings
  std::atomic<bool> idle{false};         // idle for longer than idle_warning
};

struct SourceOptions {
  std::string state_dir;  // positions and cursors live here; empty: nothing is saved
};

class Source {
 public:
  virtual ~Source() = default;
  // Starts the source's thread(s). Errors: the address cannot be bound, journald cannot be
  // opened, ... (a file glob that matches nothing yet is not an error).
  virtual Result<void> start(Sink& sink) = 0;
  // Stops reading and saves the position of the last line the sink took. Idempotent.
  virtual void stop() = 0;
  virtual const SourceConfig& config() const = 0;
  virtual const SourceStats& stats() const = 0;
  // Human-readable state for logs ("following 3 files", "listening on 127.0.0.1:5514/udp").
  virtual std::string describe() const = 0;
  // True once a source with a finite input (cat mode) has handed over everything it will ever
  // read; replay mode waits for every source to finish. Following sources never finish.
  virtual bool finished() const { return false; }
};

Result<std::unique_ptr<Source>> make_source(const SourceConfig& config,
                                            const SourceOptions& options);

}  // namespace phalanx::acquisition
