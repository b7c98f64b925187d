#pragma once
// User directory: search and online status.
//
// Store failures are values (unavailable → 503), never "not found".
//
// Thread-safety: methods may be called concurrently from worker threads (they
// read the store). Ownership: borrows the store and the presence service.

#include <optional>
#include <string_view>
#include <vector>

#include "cluster/presence.hpp"
#include "common/result.hpp"
#include "store/store.hpp"

namespace parley::chat {

struct UserStatus {
  Id user_id = 0;
  bool online = false;
  std::optional<TimeMs> last_seen_at;
};

class Users {
 public:
  Users(store::Store& store, const cluster::PresenceService& presence);

  // q: 1–64 bytes; limit 1–50 (default 20). Never the caller.
  Result<std::vector<store::UserRow>> search(Id caller, std::string_view query,
                                             std::optional<std::string_view> limit);
  Result<UserStatus> status(std::string_view user_id);

 private:
  store::Store& store_;
  const cluster::PresenceService& presence_;
};

}  // namespace parley::chat
