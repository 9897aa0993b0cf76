// SPDX-License-Identifier: Apache-2.0
// Random (version 4) UUIDs, as the LAPI gives every alert and decision.
#pragma once

#include <string>

namespace phalanx {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lowercase, from the kernel's random pool.
std::string uuid_v4();

}  // namespace phalanx
