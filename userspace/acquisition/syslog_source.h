// SPDX-License-Identifier: Apache-2.0
// The syslog server source (source: syslog): receives messages over UDP, TCP or both on
// listen_addr:listen_port, re-serialises each as a classic syslog line (syslog_message.h) and
// hands it to the sink with src = the sender's IP address and module "syslog".
//
// One thread serves every socket (epoll; an eventfd stops it).
//   UDP: one datagram is one message; a large SO_RCVBUF absorbs bursts, and the kernel's
//        drop counter (SO_RXQ_OVFL) is added to stats().dropped.
//   TCP: many clients; each frame is either octet-counted (RFC 6587 "LEN SP MSG") or ends at
//        a newline, decided frame by frame. A client's buffer never exceeds max_message_len:
//        longer messages are cut, the rest of them skipped. Connections beyond the limit are
//        closed at once, clients silent for long are disconnected.
// Messages longer than max_message_len are cut to it; messages that do not parse count in
// stats().errors and are not pushed. Sink::push blocks the thread (backpressure: TCP senders
// wait, UDP datagrams pile up in the kernel and overflow there, counted); with allow_drop,
// try_push is used and refused lines count in stats().dropped.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>

#include "acquisition/source.h"

namespace phalanx::acquisition {

// Tuning knobs not exposed in acquis.yaml (tests shrink them).
struct SyslogLimits {
  size_t max_connections = 256;  // concurrent TCP clients; more are closed at once
  // A TCP client silent for this long is disconnected, so idle ones cannot hold every slot.
  std::chrono::milliseconds client_idle_timeout{std::chrono::minutes(10)};
  int udp_rcvbuf = 8 * 1024 * 1024;  // bytes asked for the UDP receive buffer
};

class SyslogSource final : public Source {
 public:
  // Checks the config (protocol, port, address, max_message_len); sockets open in start().
  static Result<std::unique_ptr<SyslogSource>> create(const SourceConfig& config,
                                                      SyslogLimits limits = {});
  ~SyslogSource() override;

  // Binds the sockets and starts the thread. Errors: bind/listen failures (address in use,
  // permission), or already started.
  Result<void> start(Sink& sink) override;
  // Wakes the thread, joins it and closes the sockets (the port is free again; start() may be
  // called again). A push blocked in the sink finishes first (the sink takes the line or
  // stops). Idempotent.
  void stop() override;
  const SourceConfig& config() const override { return config_; }
  const SourceStats& stats() const override { return stats_; }
  std::string describe() const override;

  // The ports actually bound (useful with listen_port 0), 0 when the protocol is not served
  // or before start().
  uint16_t udp_port() const { return udp_port_; }
  uint16_t tcp_port() const { return tcp_port_; }

 private:
  struct Server;
  SyslogSource(const SourceConfig& config, SyslogLimits limits);

  SourceConfig config_;
  SyslogLimits limits_;
  SourceStats stats_;
  bool udp_ = false;
  bool tcp_ = false;
  uint16_t udp_port_ = 0;
  uint16_t tcp_port_ = 0;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

}  // namespace phalanx::acquisition
