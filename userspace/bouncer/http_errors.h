// SPDX-License-Identifier: Apache-2.0
// Shared by the LAPI clients (the bouncers' stream client, the agent's alert client): turning
// cpp-httplib transport errors and LAPI error bodies into our error messages and codes.
// Header-only, so a client needs no more than cpp-httplib and nlohmann-json to use it.
#pragma once

#include <httplib.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <string>

namespace phalanx::http {

// errno-style code for a transport error, so callers can tell "down" from "broken".
inline int code_of(httplib::Error err) {
  switch (err) {
    case httplib::Error::Connection:
      return ECONNREFUSED;
    case httplib::Error::Canceled:
      return ECANCELED;
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification:
      return EPROTO;
    case httplib::Error::ConnectionTimeout:
      return ETIMEDOUT;
    default:
      return EIO;  // read, write and the rest
  }
}

// The LAPI's error text: {"message": "..."} when it sent one, else the raw body (cut short).
inline std::string error_text(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string())
    return j["message"].get<std::string>();
  return body.substr(0, 200);
}

}  // namespace phalanx::http
