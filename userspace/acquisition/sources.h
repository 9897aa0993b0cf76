// SPDX-License-Identifier: Apache-2.0
// Internal to userspace/acquisition: one factory per source type, called by make_source().
#pragma once

#include "acquisition/source.h"

namespace phalanx::acquisition {

Result<std::unique_ptr<Source>> make_file_source(const SourceConfig& config,
                                                 const SourceOptions& options);
Result<std::unique_ptr<Source>> make_syslog_source(const SourceConfig& config,
                                                   const SourceOptions& options);
Result<std::unique_ptr<Source>> make_journald_source(const SourceConfig& config,
                                                     const SourceOptions& options);

}  // namespace phalanx::acquisition
