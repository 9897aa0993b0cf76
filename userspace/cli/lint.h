// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "cli/content.h"

namespace phalanx::cli {

struct LintOptions {
  std::vector<std::string> paths;  // scenario files or directories; empty: the whole content
  ContentOptions content;
};

// `phalanx scenarios lint`: loads scenarios (and, without paths, the parsers and postoverflows
// of the content too) and prints every problem at once, errors and warnings, with file, line
// and item. Exit status 1 when there is an error.
int run_lint(const LintOptions& opts);

}  // namespace phalanx::cli
