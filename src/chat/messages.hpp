#pragma once
// Messages: send (idempotent by clientMsgId), history pages, read watermarks,
// soft delete. One path whether a message comes over REST or the socket: both
// call send(), which acknowledges only after the commit and then publishes.
//
// Thread-safety: methods may be called concurrently from worker threads; they
// block on the store (except send_async and cached_page_json, which never do). Ownership: borrows everything it is given.

#include <optional>
#include <string>
#include <vector>

#include "chat/conversations.hpp"
#include "chat/events.hpp"
#include "chat/member_cache.hpp"
#include "chat/page_cache.hpp"
#include <functional>
#include "common/result.hpp"
#include "store/store.hpp"

namespace parley::chat {

struct SendInput {
  std::string conversation_id;
  std::string body;
  std::string client_msg_id;
};

struct MessagePage {
  std::vector<store::MessageRow> messages;  // ascending seq
  std::optional<store::Seq> next_cursor;    // pass as before= (backward) or after= (forward)
};

struct PageQuery {
  std::optional<std::string> before;
  std::optional<std::string> after;
  std::optional<std::string> limit;
};

class Messages {
 public:
  static constexpr int kDefaultPage = 50;
  static constexpr int kMaxPage = 100;

  Messages(store::Store& store, Conversations& conversations, MemberCache& members, IdGenerator& ids,
           const Clock& clock, EventSink& events);

  // `json` is the stored message as rendered for the new_message broadcast
  // (message_json), empty on failure: the ack reuses it instead of rendering again.
  using SendDone = std::function<void(Result<store::AppendResult>, const std::string& json)>;

  // created = false for a repeat of (caller, clientMsgId): nothing new stored
  // or broadcast. Blocks until the commit (worker threads only).
  Result<store::AppendResult> send(const store::UserRow& caller, const SendInput& input);
  // The same without blocking: `members` is the conversation's member list
  // (MemberCache). `done` runs after the commit on the store's completion thread, in
  // commit order, right after new_message was published, so that every
  // connection sees messages in seq order. Invalid input calls `done` at once,
  // on the calling thread. Never reads the store: safe on an IO thread.
  void send_async(Id sender, const SendInput& input, MemberList members, SendDone done);
  Result<MessagePage> page(const store::UserRow& caller, std::string_view conversation_id, const PageQuery& query);
  // The same page rendered (message_page_json), through the page cache; the
  // membership comes from MemberCache (loaded from the store on a miss).
  Result<PageCache::Page> page_json(Id caller, std::string_view conversation_id, const PageQuery& query);
  // The rendered page from memory only: the member list from MemberCache::peek
  // and the page from the page cache. Null on any miss, and for a non-member or
  // an invalid query (page_json, on a worker, then answers or refuses). Never
  // reads the store: safe on an IO thread.
  PageCache::Page cached_page_json(Id caller, std::string_view conversation_id, const PageQuery& query) const;
  // Moves the caller's watermark to the message's seq (never backwards).
  Result<store::ReadState> mark_read(const store::UserRow& caller, std::string_view message_id);
  // Same, addressed by conversation and message (the socket event's shape).
  Result<store::ReadState> mark_read_in(const store::UserRow& caller, std::string_view conversation_id,
                                        std::string_view message_id);
  Result<store::MessageRow> remove(const store::UserRow& caller, std::string_view message_id);

 private:
  Result<store::MessageRow> visible_message(Id user, std::string_view message_id);
  static Result<PageKey> page_key(const PageQuery& query);
  MessagePage read_page(Id conversation, const PageKey& key);
  void publish_to_members(const char* name, Id conversation, std::string json);

  store::Store& store_;
  Conversations& conversations_;
  MemberCache& members_;
  IdGenerator& ids_;
  const Clock& clock_;
  EventSink& events_;
  PageCache pages_;
};

}  // namespace parley::chat
