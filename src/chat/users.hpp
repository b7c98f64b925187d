#pragma once
// User directory: search and online status.
//
// Thread-safety: methods may be called concurrently from worker threads.

#include <string_view>
#include <vector>

#include "chat/presence.hpp"
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
  Users(store::Store& store, Presence& presence);

  // q: 1–64 bytes; limit 1–50 (default 20). Never the caller.
  Result<std::vector<store::UserRow>> search(const store::UserRow& caller, std::string_view query,
                                             std::optional<std::string_view> limit);
  Result<UserStatus> status(std::string_view user_id);

 private:
  store::Store& store_;
  Presence& presence_;
};

}  // namespace parley::chat
