// SPDX-License-Identifier: Apache-2.0
// The journald source (source: journalctl): reads the systemd journal through libsystemd's
// sd_journal (no journalctl process), and hands each entry to the sink formatted as
// `journalctl -o short` prints it, "Mmm dd hh:mm:ss HOST IDENT[PID]: MESSAGE", with module and
// src "journalctl", so that `labels.type: syslog` parsers read it. Lines longer than
// max_buffer_size are cut to it.
//
//   tail mode: resumes after the cursor saved in state_dir/journald-<name>.cursor (written
//              atomically about once a second while entries flow, and on stop: the last entry
//              the sink took), else starts at the end of the journal (only new entries).
//   cat mode:  reads every matching entry from the head, then finishes (lines are marked
//              time_machine).
// journal_directory (a Phalanx extension) reads that directory's journal files instead of the
// system journal. One thread per source; stop() wakes it through an eventfd.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "acquisition/source.h"

namespace phalanx::acquisition {

// One sd_journal match term: a FIELD=value match or a disjunction ("+").
struct JournalMatch {
  bool disjunction = false;
  std::string match;  // FIELD=value, empty for a disjunction
};

// Translates journalctl_filter (journalctl's arguments) into sd_journal matches:
//   FIELD=value             a match (FIELD: upper-case letters, digits, '_', not starting
//                           with a digit)
//   +                       a disjunction
//   -u X, -uX, --unit=X, --unit X (X alone in the next entry also works)
//                           _SYSTEMD_UNIT=X, ".service" appended when X has no unit suffix
//   -t X, --identifier=X    SYSLOG_IDENTIFIER=X
//   -k, --dmesg             _TRANSPORT=kernel
// Errors: any other option or form (with the entry and what is supported), unit patterns.
Result<std::vector<JournalMatch>> translate_journalctl_filter(
    const std::vector<std::string>& filter);

// The fields of one entry that `journalctl -o short` prints.
struct JournalEntry {
  uint64_t realtime_us = 0;  // _SOURCE_REALTIME_TIMESTAMP when valid, else the entry's own
  std::string hostname;      // _HOSTNAME
  std::string identifier;    // SYSLOG_IDENTIFIER, else _COMM
  std::string pid;           // _PID, else SYSLOG_PID
  std::string message;       // MESSAGE
};

// "Mmm dd hh:mm:ss HOST IDENT[PID]: MESSAGE" in local time, as journalctl -o short (HOST,
// IDENT and [PID] are left out when absent). Newlines inside the message become spaces and
// trailing ones are dropped: one entry is one line.
std::string format_journal_short(const JournalEntry& entry);

// "journald-<name>.cursor", the name reduced to [A-Za-z0-9._-] (others become '_').
std::string journald_cursor_file(const SourceConfig& config);

class JournaldSource final : public Source {
 public:
  // Checks the config (mode, filters); the journal opens in start().
  static Result<std::unique_ptr<JournaldSource>> create(const SourceConfig& config,
                                                        const SourceOptions& options);
  ~JournaldSource() override;

  // Opens the journal, applies the matches, positions it (cursor, tail or head) and starts the
  // thread. Errors: the journal or directory cannot be opened, a match is refused.
  Result<void> start(Sink& sink) override;
  // Wakes the thread, joins it, saves the cursor (tail mode) and closes the journal; start()
  // may be called again. A push blocked in the sink finishes first. Idempotent.
  void stop() override;
  const SourceConfig& config() const override { return config_; }
  const SourceStats& stats() const override { return stats_; }
  std::string describe() const override;

  // cat mode: true once every entry was handed to the sink (or the sink stopped).
  bool finished() const { return finished_.load(); }

 private:
  struct Reader;
  JournaldSource(const SourceConfig& config, const SourceOptions& options,
                 std::vector<JournalMatch> matches);

  SourceConfig config_;
  SourceOptions options_;
  std::vector<JournalMatch> matches_;
  SourceStats stats_;
  std::atomic<bool> finished_{false};
  std::unique_ptr<Reader> reader_;
  std::thread thread_;
};

}  // namespace phalanx::acquisition
