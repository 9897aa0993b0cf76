// SPDX-License-Identifier: Apache-2.0
#include "acquisition/file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>

namespace phalanx::acquisition {

Result<std::unique_ptr<FileReader>> open_reader(const std::string& path, size_t max_line) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Error::from_errno("opening " + path);
  auto r = std::make_unique<FileReader>(max_line);
  r->fd = fd;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error::from_errno("stat " + path);
  if (!S_ISREG(st.st_mode)) return Error("opening " + path + ": not a regular file");
  r->dev = st.st_dev;
  r->ino = st.st_ino;
  char head[kHeadBytes];
  const ssize_t n = ::pread(fd, head, sizeof head, 0);
  if (n > 0) r->note_read(0, head, static_cast<size_t>(n));
  return r;
}

uint64_t end_of_last_line(int fd, uint64_t size) {
  char buf[4096];
  const uint64_t from = size > sizeof buf ? size - sizeof buf : 0;
  const ssize_t n = ::pread(fd, buf, static_cast<size_t>(size - from), static_cast<off_t>(from));
  if (n <= 0) return size;
  for (ssize_t i = n; i > 0; --i)
    if (buf[i - 1] == '\n') return from + static_cast<uint64_t>(i);
  return size;  // no newline near the end: too long a line to be worth waiting for
}

uint64_t file_size(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace phalanx::acquisition
