// SPDX-License-Identifier: Apache-2.0
#include "acquisition/source.h"

#include "acquisition/sources.h"

namespace phalanx::acquisition {

Result<std::unique_ptr<Source>> make_source(const SourceConfig& config,
                                            const SourceOptions& options) {
  if (config.source == "file") return make_file_source(config, options);
  if (config.source == "syslog") return make_syslog_source(config, options);
  if (config.source == "journalctl") return make_journald_source(config, options);
  return Error("acquisition: " + config.file + ":" + std::to_string(config.line) + ": source '" +
               config.source + "' is not supported (file, journalctl, syslog)");
}

}  // namespace phalanx::acquisition
