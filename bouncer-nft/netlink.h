// SPDX-License-Identifier: Apache-2.0
// The netlink side of phalanx-nft: a NETLINK_NETFILTER socket (libmnl) and nf_tables batches.
//
// A Batch is one nf_tables transaction: BATCH_BEGIN, messages, BATCH_END, sent with one
// sendmsg. Every message asks for an acknowledgement and Socket::commit() reads one per message,
// so nothing the kernel refused goes unnoticed. The kernel applies a transaction whole or not
// at all; when it refuses an element it reports the offset of the element's attribute (extended
// ack), which the batch maps back to the caller's item number so errors can name the element.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

struct mnl_socket;

namespace phalanx::nft {

// nf_tables message types newer than Debian 12's linux-libc-dev (kernel 6.3+).
inline constexpr uint16_t kMsgDestroySetElem = 30;  // NFT_MSG_DESTROYSETELEM: delete, absent ok

class Batch {
 public:
  Batch();

  // Starts a message of nf_tables type `type` (NFT_MSG_*) for `family`; NLM_F_REQUEST|NLM_F_ACK
  // are added to `flags`. `what` names it in errors ("creating set inet phalanx ban4"). The
  // message has room for kMaxMessage bytes; fill it, then call end_message().
  nlmsghdr* begin_message(uint16_t type, uint16_t family, uint16_t flags, std::string what);
  void end_message(nlmsghdr* nlh);
  // Records that the attribute starting at the message's current end describes caller item
  // `item` (an element), so that a kernel error pointing into it names that item.
  void mark_item(const nlmsghdr* nlh, size_t item);

  // Closes the batch (BATCH_END); no messages may be added afterwards.
  void close();
  size_t messages() const { return messages_.size(); }
  size_t bytes() const { return used_; }
  bool empty() const { return messages_.empty(); }

  static constexpr size_t kMaxMessage = 96 * 1024;

 private:
  friend class Socket;
  struct Message {
    uint32_t seq = 0;
    std::string what;
    // Its elements: (attribute offset in the message, item), the items all of one list (the
    // high bits, kept once) so that a million elements cost 8 bytes each here.
    size_t item_high = 0;
    std::vector<std::pair<uint32_t, uint32_t>> items;
  };
  // The bytes go into blocks that never move: a million elements are ~30 MB, which a doubling
  // buffer would hold up to 1.5 times over while it copies. A message never straddles blocks;
  // the blocks are sent with one sendmsg (an iovec each), so the kernel still sees one batch.
  struct Block {
    std::unique_ptr<char[]> data;
    size_t size = 0;
    size_t used = 0;
  };
  static constexpr size_t kFirstBlock = 128 * 1024;
  static constexpr size_t kBlock = 4 * 1024 * 1024;
  char* reserve(size_t n);
  void commit_bytes(size_t n);
  const Message* find(uint32_t seq) const;

  std::vector<Block> blocks_;
  size_t used_ = 0;
  uint32_t seq_ = 0;
  uint32_t first_seq_ = 0;
  bool closed_ = false;
  std::vector<Message> messages_;
};

// One refusal by the kernel.
struct Rejection {
  std::string what;            // the message it came from
  std::optional<size_t> item;  // the element, when the kernel pointed at one
  int code = 0;                // errno
  std::string reason;          // strerror, plus the kernel's own text when it sent one
};

class Socket {
 public:
  // Opens and binds a NETLINK_NETFILTER socket with extended acks. Errors carry errno
  // (EPERM without CAP_NET_ADMIN, EPROTONOSUPPORT without nf_tables).
  static Result<Socket> open();
  Socket(Socket&&) noexcept;
  Socket& operator=(Socket&&) noexcept;
  ~Socket();

  // Sends a closed batch and reads one acknowledgement per message. Returns the refusals (empty
  // when the transaction committed); transport failures are an Error. When the list is not
  // empty the kernel applied nothing.
  Result<std::vector<Rejection>> commit(const Batch& batch);

  // Sends one GET request with NLM_F_DUMP (built by `build` into the buffer given) and calls
  // `on_message` for every reply message. Errors: transport, or the kernel's answer (ENOENT when
  // the object does not exist).
  Result<void> dump(const std::function<nlmsghdr*(char* buf, uint32_t seq)>& build,
                    const std::function<Result<void>(const nlmsghdr*)>& on_message);

  // Sends one request that is not part of a batch (GETTABLE without NLM_F_DUMP, ...), with
  // NLM_F_ACK, and calls on_message for a reply. Returns the kernel's errno as an Error.
  Result<void> request(const std::function<nlmsghdr*(char* buf, uint32_t seq)>& build,
                       const std::function<Result<void>(const nlmsghdr*)>& on_message);

  uint32_t portid() const;
  uint32_t next_seq() { return seq_++; }

 private:
  explicit Socket(mnl_socket* nl);
  mnl_socket* nl_ = nullptr;
  uint32_t seq_ = 0;
  size_t sndbuf_ = 0;
};

// "strerror(code)" plus the kernel's extended-ack text when present.
std::string errno_text(int code, const std::string& kernel_text);

}  // namespace phalanx::nft
