// SPDX-License-Identifier: Apache-2.0
#include "lapi/gzip.h"

#include <zlib.h>

#include <cerrno>

namespace phalanx::lapi {

Result<std::string> gunzip(std::string_view data, size_t limit) {
  z_stream zs{};
  // 15 + 32: window of 32 KiB, gzip or zlib header detected automatically.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return Error("gzip: cannot initialise zlib");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  char buf[64 * 1024];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      const std::string why = zs.msg != nullptr ? zs.msg : "truncated stream";
      inflateEnd(&zs);
      return Error("gzip: " + why);
    }
    const size_t produced = sizeof(buf) - zs.avail_out;
    if (out.size() + produced > limit) {
      inflateEnd(&zs);
      return Error("http: request body too large", E2BIG);
    }
    out.append(buf, produced);
    if (rc != Z_STREAM_END && produced == 0 && zs.avail_in == 0) {
      inflateEnd(&zs);
      return Error("gzip: unexpected EOF");
    }
  }
  inflateEnd(&zs);
  return out;
}

}  // namespace phalanx::lapi
