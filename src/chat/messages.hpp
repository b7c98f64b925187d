#pragma once
// Messages: send (idempotent by clientMsgId, rate limited per user), history
// pages, read watermarks (throttled per user), soft delete. One path whether a
// message comes over REST or the socket: both end in the same append, which
// acknowledges only after the commit and after the new_message delivery was
// released in seq order (DeliverySequencer) onto the bus.
//
// Store failures are values: a read that failed answers its error
// (unavailable → 503 / an {ok:false} ack), never "not found".
//
// Thread-safety: methods may be called concurrently from any thread. The
// blocking ones (send, page, page_json, mark_read*, remove) read the store:
// worker threads only. send_async and cached_page_json never block and may run
// on an IO thread. Ownership: borrows everything it is given; owns the
// sequencer.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chat/conversations.hpp"
#include "chat/delivery_sequencer.hpp"
#include "chat/member_cache.hpp"
#include "chat/notifications.hpp"
#include "chat/offload.hpp"
#include "chat/page_cache.hpp"
#include "chat/send_lanes.hpp"
#include "chat/username_cache.hpp"
#include "cluster/bus.hpp"
#include "cluster/rate_limiter.hpp"
#include "common/result.hpp"
#include "common/trace_context.hpp"
#include "store/store.hpp"

namespace parley::chat {

struct SendInput {
  std::string conversation_id;
  std::string body;  // may be empty only when attachment_ids is not
  std::string client_msg_id;
  // Uploads of the sender into this conversation, not attached yet
  // (docs/media.md): at most AttachmentLimits::max_per_message (10); a repeated
  // id counts once. One that is not available: conflict "attachment_unavailable",
  // and nothing is stored.
  std::vector<std::string> attachment_ids = {};
  // The message this one replies to (docs/features.md): a message id of the
  // same conversation, deleted or not; empty: none. Unknown or of another
  // conversation: conflict "reply_unavailable", nothing stored.
  std::string reply_to_id = {};
  // The send's trace (a socket event's traceparent field, an HTTP request's
  // header); when invalid, the send takes the calling thread's current trace,
  // else starts one. Its id is in the debug lines of the commit and the
  // fan-out, and in the slow-send line, with the stages' timings.
  trace::TraceContext trace = {};
  trace::StageTimer timer = {};  // started by Messages when not started by the caller
};

struct MessagePage {
  std::vector<store::MessageRow> messages;  // ascending seq
  std::optional<store::Seq> next_cursor;    // pass as before= (backward) or after= (forward)
};

// A page of the conversation's change sequence (docs/features.md): the
// messages changed (sent, edited, reacted to, deleted) after a change_seq.
struct ChangePage {
  std::vector<store::MessageRow> messages;  // ascending change_seq
  std::optional<store::Seq> next_cursor;    // pass as changedAfter= for the rest; none: caught up
};

struct PageQuery {
  std::optional<std::string> before;
  std::optional<std::string> after;
  std::optional<std::string> limit;
};

// What a send produced: the message (new or stored before) and its rendering
// (message_json), shared with the new_message delivery.
struct Sent {
  store::MessageRow message;
  bool created = false;  // false: a repeat of (conversation, sender, clientMsgId); nothing new
  std::shared_ptr<const std::string> json;
};

struct MessagesDeps {
  store::Store* store = nullptr;
  Conversations* conversations = nullptr;
  MemberCache* members = nullptr;
  PageCache* pages = nullptr;
  IdGenerator* ids = nullptr;
  const Clock* clock = nullptr;
  cluster::Bus* bus = nullptr;
  cluster::RateLimiter* send_limits = nullptr;  // one token per send attempt
  cluster::RateLimiter* read_limits = nullptr;  // one token per read receipt
  // Told of every new message once its new_message was released (optional;
  // chat/notifications.hpp). Must not block.
  SendObserver* send_observer = nullptr;
  Offload offload;                              // where a member-list miss is loaded
  // 0: one process; the bus voids the caches synchronously and they are
  // trusted until voided. > 0: cluster mode; invalidations may come late or
  // never, so history pages are checked against the conversation's last_seq
  // before use and none older than this is served (nor a member list:
  // MemberCache's max_age). See page_json and docs/replicas.md.
  std::chrono::milliseconds cache_max_age{0};
};

class Messages {
 public:
  static constexpr int kDefaultPage = 50;
  static constexpr int kMaxPage = 100;

  explicit Messages(MessagesDeps deps);

  using SendDone = std::function<void(Result<Sent>)>;

  // Blocks until the ack is due (worker threads only). rate_limited with
  // retry_after_ms when the sender is over the limit.
  Result<Sent> send(Id sender, const SendInput& input);
  // The same without blocking: safe on an IO thread. `done` runs exactly once,
  // on whatever thread decides: at once for invalid input or a refusal by a
  // local limiter; after the member list was loaded on a worker on a cache
  // miss (or the users of @names not yet known were, see docs/features.md,
  // "Mentions"); after the commit and the release of new_message otherwise.
  // The send observer is told of a new message right after its release,
  // before `done`.
  // A conversation's asynchronous sends reach the store in the order of their
  // calls, whichever step finishes first (send_lanes.hpp).
  void send_async(Id sender, SendInput input, SendDone done);

  Result<MessagePage> page(Id caller, std::string_view conversation_id, const PageQuery& query);
  // The same page rendered (message_page_json), through the page cache; the
  // membership comes from MemberCache (loaded from the store on a miss, and
  // read again when the cached list lacks the caller). In cluster mode
  // (cache_max_age > 0) a cached page is used only if it cannot lack a
  // committed message: its tag equals the conversation's last_seq, read from
  // the store now, or the page lies wholly before its tag; and only while
  // younger than cache_max_age.
  Result<PageCache::Page> page_json(Id caller, std::string_view conversation_id, const PageQuery& query);
  // The rendered page from memory only: the member list from MemberCache::peek
  // and the page from the page cache. Null on any miss, and for a non-member or
  // an invalid query (page_json, on a worker, then answers or refuses). Never
  // reads the store: safe on an IO thread. In cluster mode only a page that
  // can gain no message (wholly before its tag) and is young enough.
  PageCache::Page cached_page_json(Id caller, std::string_view conversation_id, const PageQuery& query) const;
  // Moves the caller's watermark to the message's seq (never backwards).
  Result<store::ReadState> mark_read(Id caller, std::string_view message_id);
  // Same, addressed by conversation and message (the socket event's shape).
  Result<store::ReadState> mark_read_in(Id caller, std::string_view conversation_id, std::string_view message_id);
  Result<store::MessageRow> remove(Id caller, std::string_view message_id);

  // ---- conversation features (docs/features.md); worker threads only.
  // The sender edits their own live message: the body is checked as a send's,
  // mentions resolved again; forbidden for anyone else, conflict
  // "message_deleted" for a deleted one. Publishes message_updated (members)
  // and voids the history pages. Editing to the same body changes nothing
  // and publishes nothing (the stored message is returned).
  Result<store::MessageRow> edit(Id caller, std::string_view message_id, std::string_view body);
  // A member adds (on) or removes an emoji reaction (validation.hpp:
  // check_emoji; at most kMaxDistinctReactions distinct emoji per message).
  // Publishes reaction_updated when something changed.
  Result<store::ReactionChange> react(Id caller, std::string_view message_id, std::string_view emoji, bool on);
  // GET /api/messages/:conversationId?changedAfter=C[&limit=N]: members only.
  Result<ChangePage> changes(Id caller, std::string_view conversation_id, std::string_view changed_after,
                             std::optional<std::string_view> limit);

 private:
  struct Checked {
    Id conversation = 0;
    std::vector<Id> attachments;  // distinct, in the order sent
    std::optional<Id> reply_to;   // parsed; the store checks it in its transaction
    std::vector<Id> mentions;     // resolved before the append (mention_names empty: none)
  };
  static Result<Checked> check(const SendInput& input);
  // After the limit: the member list (cached, or loaded on a worker), then append.
  void send_allowed(Id sender, Checked checked, SendLanes::Place place, SendInput input, SendDone done);
  void append(Id sender, const Checked& checked, SendInput input, const MemberList& members, SendDone done);
  Result<store::MessageRow> visible_message(Id user, std::string_view message_id);
  // The members `body` mentions (validation.hpp), `names` its mention_names.
  // From memory only: nullopt when a name is not in the username cache.
  std::optional<std::vector<Id>> cached_mentions(std::string_view body, const std::vector<std::string>& names,
                                                 const MemberList& members) const;
  // The same, reading the store for the names not cached (worker threads only).
  Result<std::vector<Id>> load_mentions(Id conversation, std::string_view body, const std::vector<std::string>& names,
                                        const MemberList& members);
  // Publishes `event` with `payload` to the conversation's members.
  void announce(Id conversation, const MemberList& members, const char* event, std::string payload);
  static Result<PageKey> page_key(const PageQuery& query);
  // `last_seq`: the conversation's, when the caller has just read it.
  Result<MessagePage> read_page(Id conversation, const PageKey& key, std::optional<store::Seq> last_seq = {});
  Result<PageCache::Page> page_json_validated(Id conversation, const PageKey& key);
  bool cluster_mode() const { return deps_.cache_max_age.count() > 0; }
  bool young(const PageTag& tag) const;
  Result<store::ReadState> mark_read_message(Id caller, const store::MessageRow& message);

  MessagesDeps deps_;
  store::Store& store_;
  MemberCache& members_;
  PageCache& pages_;
  UsernameCache usernames_;       // for @mentions
  SendLanes lanes_;               // arrival order → append order
  DeliverySequencer sequencer_;  // commit order → delivery order
};

// The refusal for a limit: ErrorKind::rate_limited with the decision's wait.
Error rate_limited(std::string message, std::int64_t retry_after_ms);

// Waits for a limiter's decision (worker threads only: a networked limiter
// answers from its own thread).
cluster::RateDecision acquire_blocking(cluster::RateLimiter& limiter, Id key);

}  // namespace parley::chat
