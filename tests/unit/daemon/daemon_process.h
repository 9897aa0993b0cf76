// SPDX-License-Identifier: Apache-2.0
// A phalanxd child process for tests: started with arguments, its stdout read line by line
// (phalanxd prints "listening on <addr>:<port>" and "agent running as <id>" there), its stderr
// kept in a log file, stopped with a signal.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace phalanx::test {

class DaemonProcess {
 public:
  DaemonProcess(std::string binary, std::string log_path)
      : binary_(std::move(binary)), log_path_(std::move(log_path)) {}
  ~DaemonProcess() { stop(SIGKILL); }

  bool start(const std::vector<std::string>& args) {
    int out[2];
    if (pipe(out) != 0) return false;
    pid_ = fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the test
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      const int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (log >= 0) dup2(log, 2);
      std::vector<char*> argv{const_cast<char*>(binary_.c_str())};
      for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(binary_.c_str(), argv.data());
      _exit(127);
    }
    close(out[1]);
    out_ = out[0];
    return true;
  }

  // The next stdout line starting with `prefix`, within `timeout`; "" if none.
  std::string wait_line(const std::string& prefix,
                        std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      for (size_t nl; (nl = buffer_.find('\n')) != std::string::npos;) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        if (line.rfind(prefix, 0) == 0) return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || out_ < 0) return "";
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
      char chunk[4096];
      const ssize_t n = read(out_, chunk, sizeof chunk);
      if (n <= 0) return "";
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  void signal(int sig) {
    if (pid_ > 0) kill(pid_, sig);
  }

  // Sends `sig` and reaps; the exit status, or -signal.
  int stop(int sig = SIGTERM) {
    if (pid_ <= 0) return 0;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
    if (out_ >= 0) close(out_);
    out_ = -1;
    buffer_.clear();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

  // Runs the binary to completion; returns its exit status and fills `output` with stdout.
  static int run(const std::string& binary, const std::vector<std::string>& args,
                 std::string& output) {
    std::string cmd = binary;
    for (const auto& a : args)
      cmd += " '" + a + "'";
    cmd += " 2>&1";
    FILE* f = popen(cmd.c_str(), "r");
    if (f == nullptr) return -1;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
      output.append(buf, n);
    const int status = pclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  std::string binary_, log_path_;
  pid_t pid_ = 0;
  int out_ = -1;
  std::string buffer_;
};

}  // namespace phalanx::test
