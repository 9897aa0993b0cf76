// SPDX-License-Identifier: Apache-2.0
// An agent's identity at a remote Local API: CrowdSec's local_api_credentials.yaml
// (`url`, `login`, `password`, or `ca_cert_path`/`cert_path`/`key_path` for client
// certificates), and the generation of a new machine id and password (spec §1.5 point 7).
//
// All functions are thread-safe.
#pragma once

#include <string>

#include "core/result.h"

namespace phalanx::agent {

struct Credentials {
  std::string url;
  std::string login;
  std::string password;
  std::string ca_cert_path;  // optional: CA of the LAPI's certificate
  std::string cert_path;     // optional: client certificate (mTLS, then no password)
  std::string key_path;
};

// Reads a credentials file. Errors: "credentials FILE: ..." for an unreadable or malformed file,
// a missing url, or neither login+password nor cert_path+key_path.
Result<Credentials> load_credentials(const std::string& path);

// Writes a credentials file with mode 0600 (an existing file is replaced atomically; empty
// fields are left out). Errors: "credentials FILE: cause" with the errno.
Result<void> save_credentials(const std::string& path, const Credentials& credentials);

// `n` random characters from [A-Za-z0-9], from getrandom(2). Errors: getrandom's.
Result<std::string> random_alphanumeric(size_t n);

// A machine id as CrowdSec makes one: the first 32 characters of `machine_id_file` with dashes
// removed, then 16 random alphanumerics; 48 random alphanumerics when the file is missing or
// too short.
Result<std::string> generate_machine_id(const std::string& machine_id_file = "/etc/machine-id");

// A new machine password: 64 random alphanumerics.
Result<std::string> generate_password();

}  // namespace phalanx::agent
