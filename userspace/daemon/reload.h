// SPDX-License-Identifier: Apache-2.0
// What phalanxd's SIGHUP can change while it runs, and what takes a restart.
//
// On SIGHUP phalanxd reads its configuration file again (with the same command-line overrides)
// and applies, each only when it loads without error: the LAPI's profiles and allow list, the
// agent's content and acquisition (live buckets of unchanged scenarios carried over), and the
// log level. Listeners, the database, the state directory and which halves run stay as they
// started; a change to them is logged as needing a restart.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "daemon/config.h"
#include "lapi/lapi.h"

namespace phalanx::daemon {

// The profiles file `config` names (or the default) and its allow list, loaded.
// Errors: the profiles file's (with file and line), "allow_list: ...".
Result<lapi::AlertPolicy> load_alert_policy(const Config& config);

// The settings that differ between the running configuration and a reloaded one and that only
// a restart applies, by their configuration key ("lapi.listen", "db", ...).
std::vector<std::string> restart_only_changes(const Config& running, const Config& reloaded);

}  // namespace phalanx::daemon
