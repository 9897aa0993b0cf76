// SPDX-License-Identifier: Apache-2.0
#include "agent/credentials.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cctype>
#include <fstream>

#include "core/yaml.h"

namespace phalanx::agent {

Result<Credentials> load_credentials(const std::string& path) {
  const auto ctx = [&](const Error& e) { return e.context("credentials " + path); };
  auto docs = yaml::load_file(path);
  if (!docs) return ctx(docs.error());
  if (docs->empty() || !(*docs)[0].root.IsMap())
    return Error("credentials " + path + ": expected a mapping");
  const YAML::Node& root = (*docs)[0].root;
  Credentials c;
  const std::pair<const char*, std::string*> fields[] = {{"url", &c.url},
                                                         {"login", &c.login},
                                                         {"password", &c.password},
                                                         {"ca_cert_path", &c.ca_cert_path},
                                                         {"cert_path", &c.cert_path},
                                                         {"key_path", &c.key_path}};
  for (const auto& [key, out] : fields) {
    auto v = yaml::get_string(root, key, path);
    if (!v) return v.error();
    *out = std::move(*v);
  }
  if (c.url.empty()) return Error("credentials " + path + ": url is required");
  const bool password = !c.login.empty() && !c.password.empty();
  const bool cert = !c.cert_path.empty() && !c.key_path.empty();
  if (!password && !cert)
    return Error("credentials " + path + ": need login and password, or cert_path and key_path");
  return c;
}

Result<void> save_credentials(const std::string& path, const Credentials& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  const std::pair<const char*, const std::string*> fields[] = {{"url", &c.url},
                                                               {"login", &c.login},
                                                               {"password", &c.password},
                                                               {"ca_cert_path", &c.ca_cert_path},
                                                               {"cert_path", &c.cert_path},
                                                               {"key_path", &c.key_path}};
  for (const auto& [key, value] : fields) {
    if (!value->empty()) out << YAML::Key << key << YAML::Value << *value;
  }
  out << YAML::EndMap;
  std::string text = out.c_str();
  text += '\n';

  // Written beside the target and renamed over it, so a reader never sees half a file and the
  // password never sits in a file readable by others, even for a moment.
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error::from_errno("credentials " + path + ": creating " + tmp);
  size_t done = 0;
  int err = 0;
  if (::fchmod(fd, 0600) != 0) err = errno;
  while (err == 0 && done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    if (n > 0) done += static_cast<size_t>(n);
  }
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  ::close(fd);
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return Error::from_errno("credentials " + path + ": writing", err);
  }
  return ok();
}

Result<std::string> random_alphanumeric(size_t n) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  // 62 * 4 = 248: bytes at or above it are rejected, so every character is equally likely.
  static constexpr unsigned kLimit = 248;
  std::string out;
  out.reserve(n);
  std::array<unsigned char, 128> buf{};
  while (out.size() < n) {
    const ssize_t got = ::getrandom(buf.data(), buf.size(), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error::from_errno("getrandom");
    for (ssize_t i = 0; i < got && out.size() < n; ++i) {
      if (buf[static_cast<size_t>(i)] < kLimit)
        out += kAlphabet[buf[static_cast<size_t>(i)] % kAlphabet.size()];
    }
  }
  return out;
}

Result<std::string> generate_machine_id(const std::string& machine_id_file) {
  std::string prefix;
  if (std::ifstream in(machine_id_file); in) {
    char ch = 0;
    while (prefix.size() < 32 && in.get(ch)) {
      if (std::isalnum(static_cast<unsigned char>(ch))) prefix += ch;
    }
  }
  if (prefix.size() < 32) {
    PHALANX_TRY(std::string id, random_alphanumeric(48));
    return id;
  }
  PHALANX_TRY(std::string suffix, random_alphanumeric(16));
  return prefix + suffix;
}

Result<std::string> generate_password() {
  return random_alphanumeric(64);
}

}  // namespace phalanx::agent
