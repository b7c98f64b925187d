#pragma once
// Conversations: create (direct or group), list, read, change. Enforces the
// membership rules: only members see a conversation (others get not_found, as
// if it did not exist), only group admins rename or add, anyone may leave, a
// direct conversation's members never change.
//
// Store failures are values: a read that failed answers its error (unavailable
// → 503), never "not found". A membership change is announced on the bus
// (conversation_updated) and invalidates the member lists everywhere (a bus
// Invalidation), never a cache of this process directly.
//
// Thread-safety: methods may be called concurrently from worker threads; they
// block on the store. Ownership: borrows everything it is given.

#include <optional>
#include <string_view>
#include <utility>
#include <string>
#include <vector>

#include "cluster/bus.hpp"
#include "common/clock.hpp"
#include "common/ids.hpp"
#include "common/result.hpp"
#include "store/store.hpp"

namespace parley::chat {

struct ConversationDetail {
  store::ConversationSummary summary;
  std::vector<store::MemberView> members;
};

struct CreateConversationInput {
  std::string type;                   // "direct" | "group"
  std::vector<std::string> member_ids;
  std::optional<std::string> title;
};

struct ConversationPage {
  std::vector<ConversationDetail> conversations;
  std::optional<std::string> next_cursor;
};

struct UpdateConversationInput {
  std::optional<std::string> title;
  std::vector<std::string> add_member_ids;
  std::vector<std::string> remove_member_ids;
};

class Conversations {
 public:
  Conversations(store::Store& store, IdGenerator& ids, const Clock& clock, cluster::Bus& bus, int max_group_size);

  // created = false when an existing direct conversation is returned.
  Result<std::pair<ConversationDetail, bool>> create(Id caller, CreateConversationInput input);
  Result<ConversationPage> list(Id caller, std::optional<std::string_view> cursor, int limit);
  Result<ConversationDetail> get(Id caller, std::string_view conversation_id);
  Result<ConversationDetail> update(Id caller, std::string_view conversation_id,
                                    UpdateConversationInput input);

  // The caller mutes or unmutes the conversation for themselves
  // (docs/features.md); members only (not_found otherwise). Returns the
  // detail as get() does. Announces nothing: mute is the caller's own setting.
  Result<ConversationDetail> set_muted(Id caller, std::string_view conversation_id, bool muted);

  // The caller's membership, or not_found for a missing conversation or a
  // non-member (the same answer, so existence does not leak).
  Result<store::MemberRow> require_member(Id user, std::string_view conversation_id);

  // Builds the detail (summary + members) for `user`; nullopt when `user` is
  // not a member (or the conversation is gone).
  Result<std::optional<ConversationDetail>> detail(Id conversation, Id user);

 private:
  Result<std::vector<Id>> resolve_users(const std::vector<std::string>& ids, Id caller, bool allow_caller);
  Result<cluster::Delivery> update_delivery(Id conversation, const std::vector<Id>& extra_recipients);
  void announce_update(Id conversation, const std::vector<Id>& extra_recipients);

  store::Store& store_;
  IdGenerator& ids_;
  const Clock& clock_;
  cluster::Bus& bus_;
  int max_group_size_;
};

}  // namespace parley::chat
