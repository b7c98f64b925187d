#include "chat/messages.hpp"

#include <boost/json/serialize.hpp>
#include <algorithm>
#include <future>

#include "chat/validation.hpp"
#include "chat/views.hpp"
#include <spdlog/spdlog.h>

namespace parley::chat {

namespace {

Result<std::optional<store::Seq>> parse_seq(const std::optional<std::string>& text, const char* name) {
  if (!text) return std::optional<store::Seq>();
  if (text->empty() || text->size() > 18 || text->find_first_not_of("0123456789") != std::string::npos)
    return Error::bad_request("invalid_cursor", std::string(name) + " must be a non-negative integer");
  return std::optional<store::Seq>(std::stoll(*text));
}

Error conversation_not_found() { return Error::not_found("conversation not found"); }

Error attachment_unavailable() {
  return Error::conflict("attachment_unavailable",
                         "an attachment is not an unattached upload of yours in this conversation");
}

Error reply_unavailable() {
  return Error::conflict("reply_unavailable", "replyToId is not a message of this conversation");
}

// Gives a send a trace and a start time if its caller did not.
void ensure_traced(SendInput& input) {
  if (!input.trace.valid()) {
    if (const auto* current = trace::current_trace()) {
      input.trace.trace_id = *current;
      input.trace.span_id = trace::new_span_id();
    } else {
      input.trace = trace::continue_or_start(std::nullopt);
    }
  }
  if (!input.timer.started()) input.timer = trace::StageTimer::start();
}

// The end of a send: one warn line when it was slow, with its stages.
void finish_send(const trace::StageTimer& timer, const trace::TraceId& trace_id, Id conversation, store::Seq seq,
                 const char* outcome) {
  if (!timer.slow()) return;
  trace::TraceScope scope(trace_id);
  spdlog::warn("slow send: conversation={} seq={} {}: {}", conversation, seq, outcome, timer.describe());
}

}  // namespace

Error rate_limited(std::string message, std::int64_t retry_after_ms) {
  Error error{ErrorKind::rate_limited, "rate_limited", std::move(message)};
  error.retry_after_ms = retry_after_ms;
  return error;
}

cluster::RateDecision acquire_blocking(cluster::RateLimiter& limiter, Id key) {
  std::promise<cluster::RateDecision> promise;
  auto decided = promise.get_future();
  limiter.acquire(key, [&promise](cluster::RateDecision decision) { promise.set_value(decision); });
  return decided.get();
}

Messages::Messages(MessagesDeps deps)
    : deps_(std::move(deps)),
      store_(*deps_.store),
      members_(*deps_.members),
      pages_(*deps_.pages),
      sequencer_([bus = deps_.bus](cluster::Delivery delivery) {
        if (delivery.trace_id.valid() && spdlog::should_log(spdlog::level::debug)) {
          trace::TraceScope scope(delivery.trace_id);
          spdlog::debug("released {} conversation={} seq={} to the bus", delivery.event, delivery.conversation_id,
                        delivery.seq);
        }
        bus->publish(std::move(delivery));
      }) {}

// ---- sending

Result<Messages::Checked> Messages::check(const SendInput& input) {
  // An empty body is a message of attachments only; a body that is there
  // follows the usual rules.
  if (!input.body.empty() || input.attachment_ids.empty())
    if (auto status = check_message_body(input.body); !status) return status.error();
  if (auto status = check_client_msg_id(input.client_msg_id); !status) return status.error();
  if (input.attachment_ids.size() > kMaxAttachmentsPerMessage)
    return Error::bad_request("too_many_attachments",
                              "a message has at most " + std::to_string(kMaxAttachmentsPerMessage) + " attachments");
  auto conversation = parse_id(input.conversation_id);
  if (!conversation) return conversation_not_found();
  Checked checked{*conversation, {}, std::nullopt, {}};
  checked.attachments.reserve(input.attachment_ids.size());
  for (const auto& text : input.attachment_ids) {
    // A malformed id names no upload of the sender: the same answer as a foreign one.
    auto id = parse_id(text);
    if (!id) return attachment_unavailable();
    if (std::find(checked.attachments.begin(), checked.attachments.end(), *id) == checked.attachments.end())
      checked.attachments.push_back(*id);
  }
  if (!input.reply_to_id.empty()) {
    // A malformed id names no message of this conversation: the store's answer for a foreign one.
    auto reply_to = parse_id(input.reply_to_id);
    if (!reply_to) return reply_unavailable();
    checked.reply_to = *reply_to;
  }
  return checked;
}

void Messages::send_async(Id sender, SendInput input, SendDone done) {
  ensure_traced(input);
  auto checked = check(input);
  if (!checked) return done(checked.error());
  const Id conversation = checked->conversation;
  // Its place in the conversation's lane, taken here where it arrived: the
  // steps below may finish out of order, the appends may not (send_lanes.hpp).
  const SendLanes::Place place = lanes_.enter(conversation);
  // The limit counts attempts with a well-formed input, whatever their outcome.
  deps_.send_limits->acquire(
      sender, [this, sender, checked = std::move(*checked), place, input = std::move(input),
               done = std::move(done)](cluster::RateDecision decision) mutable {
        input.timer.mark("rate_limit");
        if (!decision.allowed) {
          lanes_.pass(checked.conversation, place, {});
          finish_send(input.timer, input.trace.trace_id, checked.conversation, 0, "rate limited");
          return done(rate_limited("too many messages; slow down", decision.retry_after_ms));
        }
        send_allowed(sender, std::move(checked), place, std::move(input), std::move(done));
      });
}

void Messages::send_allowed(Id sender, Checked checked, SendLanes::Place place, SendInput input, SendDone done) {
  const Id conversation = checked.conversation;
  // The member list decides who gets the delivery; when it is cached the send
  // goes on from this thread, else the list is loaded on a worker. A cached
  // list that lacks the sender is read again on the worker: the sender may
  // have been added on another node whose invalidation is late. A body with
  // "@name" tokens needs their users too: from memory when every name is
  // known, else on the worker.
  auto go = [this, sender, conversation, place](Checked& checked, SendInput& input, SendDone& done,
                                                Result<MemberList> members) {
    input.timer.mark("members");
    if (!members) {
      lanes_.pass(conversation, place, {});
      finish_send(input.timer, input.trace.trace_id, conversation, 0, "failed (member list)");
      return done(members.error());
    }
    lanes_.pass(conversation, place,
                [this, sender, checked = std::move(checked), members = std::move(*members), input = std::move(input),
                 done = std::move(done)]() mutable {
                  input.timer.mark("lane");
                  append(sender, checked, std::move(input), members, std::move(done));
                });
  };
  auto names = mention_names(input.body);  // one scan; empty without '@'
  if (auto members = members_.peek(conversation); members && members->contains(sender)) {
    if (names.empty()) return go(checked, input, done, std::move(*members));
    if (auto mentions = cached_mentions(input.body, names, *members)) {
      checked.mentions = std::move(*mentions);
      return go(checked, input, done, std::move(*members));
    }
  }
  deps_.offload([this, sender, conversation, go, names = std::move(names), checked = std::move(checked),
                 input = std::move(input), done = std::move(done)]() mutable {
    auto members = members_.get_with(conversation, sender);
    if (members && !names.empty() && members->contains(sender)) {
      auto mentions = load_mentions(conversation, input.body, names, *members);
      if (!mentions) return go(checked, input, done, mentions.error());
      checked.mentions = std::move(*mentions);
    }
    go(checked, input, done, std::move(members));
  });
}

void Messages::append(Id sender, const Checked& checked, SendInput input, const MemberList& members, SendDone done) {
  const Id conversation = checked.conversation;
  if (!members.contains(sender)) return done(conversation_not_found());
  store::MessageRow draft;
  draft.attachments.resize(checked.attachments.size());
  for (std::size_t i = 0; i < checked.attachments.size(); ++i) draft.attachments[i].id = checked.attachments[i];
  draft.id = deps_.ids->next();
  draft.conversation_id = conversation;
  draft.sender_id = sender;
  draft.body = std::move(input.body);
  draft.client_msg_id = std::move(input.client_msg_id);
  draft.created_at = deps_.clock->now_ms();
  draft.reply_to_id = checked.reply_to;
  draft.mentions = checked.mentions;
  sequencer_.begin(conversation);
  store_.append_message_async(
      std::move(draft), [this, conversation, members, done = std::move(done), trace_id = input.trace.trace_id,
                         timer = input.timer](Result<store::AppendResult> appended) mutable {
        // The store's queue wait and its commit.
        timer.mark("commit");
        if (!appended) {
          sequencer_.complete(conversation, std::nullopt);
          finish_send(timer, trace_id, conversation, 0, "failed (store)");
          if (appended.error().kind == ErrorKind::not_found) return done(conversation_not_found());
          return done(appended.error());
        }
        // Rendered once: the delivery and the ack share it.
        auto sent = std::make_shared<Sent>(
            Sent{std::move(appended->message), appended->created, nullptr});
        sent->json = std::make_shared<const std::string>(message_json(sent->message));
        if (spdlog::should_log(spdlog::level::debug)) {
          trace::TraceScope scope(trace_id);
          spdlog::debug("committed message {} conversation={} seq={}{}", sent->message.id, conversation,
                        sent->message.seq, sent->created ? "" : " (a repeat: stored before)");
        }
        if (!sent->created) {
          sequencer_.complete(conversation, std::nullopt);
          finish_send(timer, trace_id, conversation, sent->message.seq, "repeat");
          return done(std::move(*sent));
        }
        // Before the ack, so that the sender's next history read sees the message.
        deps_.bus->invalidate({cluster::Invalidation::Cache::history_pages, conversation});
        DeliverySequencer::Completion completion;
        completion.delivery.event = "new_message";
        completion.delivery.payload = sent->json;
        completion.delivery.audience = cluster::Delivery::Audience::members;
        completion.delivery.conversation_id = conversation;
        completion.delivery.seq = sent->message.seq;
        completion.delivery.user_ids = members.ids;
        completion.delivery.members_digest = members.digest;
        completion.delivery.committed_at = std::chrono::steady_clock::now();
        completion.delivery.trace_id = trace_id;
        completion.after = [this, sent, member_ids = members.ids, done = std::move(done), trace_id, timer,
                            conversation]() mutable {
          // Waited for the earlier seqs of the conversation and published.
          timer.mark("release");
          // Queues and returns (notifications.hpp): the ack does not wait for it.
          if (deps_.send_observer && member_ids) deps_.send_observer->message_sent(sent->message, *member_ids);
          const auto seq = sent->message.seq;
          // Logged before the ack goes out, so the line is there when the sender hears back.
          finish_send(timer, trace_id, conversation, seq, "sent");
          done(std::move(*sent));
        };
        sequencer_.complete(conversation, std::move(completion));
      });
}

Result<Sent> Messages::send(Id sender, const SendInput& input) {
  auto checked = check(input);
  if (!checked) return checked.error();
  SendInput traced = input;
  ensure_traced(traced);
  const auto decision = acquire_blocking(*deps_.send_limits, sender);
  traced.timer.mark("rate_limit");
  if (!decision.allowed) {
    finish_send(traced.timer, traced.trace.trace_id, checked->conversation, 0, "rate limited");
    return rate_limited("too many messages; slow down", decision.retry_after_ms);
  }
  // On a worker already: the member list is loaded here, not offloaded. No
  // lane: waiting on a worker for sends whose member lists are queued for the
  // workers could wait forever, and concurrent requests have no order anyway.
  auto members = members_.get_with(checked->conversation, sender);
  if (members && members->contains(sender)) {
    if (auto names = mention_names(traced.body); !names.empty()) {
      auto mentions = load_mentions(checked->conversation, traced.body, names, *members);
      if (!mentions) members = mentions.error();
      else checked->mentions = std::move(*mentions);
    }
  }
  traced.timer.mark("members");
  if (!members) {
    finish_send(traced.timer, traced.trace.trace_id, checked->conversation, 0, "failed (member list)");
    return members.error();
  }
  std::promise<Result<Sent>> promise;
  auto future = promise.get_future();
  append(sender, *checked, std::move(traced), *members,
         [&promise](Result<Sent> result) { promise.set_value(std::move(result)); });
  return future.get();
}

// ---- history

Result<PageKey> Messages::page_key(const PageQuery& query) {
  auto before = parse_seq(query.before, "before");
  if (!before) return before.error();
  auto after = parse_seq(query.after, "after");
  if (!after) return after.error();
  PageKey key;
  key.before = before->value_or(-1);
  key.after = after->value_or(-1);
  key.limit = kDefaultPage;
  if (query.limit) {
    auto parsed = parse_seq(query.limit, "limit");
    if (!parsed || !*parsed || **parsed < 1 || **parsed > kMaxPage)
      return Error::bad_request("invalid_limit", "limit must be between 1 and 100");
    key.limit = static_cast<int>(**parsed);
  }
  return key;
}

Result<MessagePage> Messages::read_page(Id conversation, const PageKey& key, std::optional<store::Seq> last_seq) {
  const std::optional<store::Seq> before = key.before >= 0 ? std::optional(key.before) : std::nullopt;
  const std::optional<store::Seq> after = key.after >= 0 ? std::optional(key.after) : std::nullopt;
  auto rows = store_.messages(conversation, before, after, key.limit);
  if (!rows) return rows.error();
  MessagePage page;
  page.messages = std::move(*rows);
  if (static_cast<int>(page.messages.size()) == key.limit) {
    // Forward pages continue after the newest; backward pages before the oldest.
    if (after) {
      const store::Seq newest = page.messages.back().seq;
      store::Seq bound = newest;
      if (before) {
        bound = *before - 1;
      } else if (last_seq && newest <= *last_seq) {
        // Read before the page: a newer message in the page means it moved
        // since, and the end must be read again (below), lest a full page
        // look like the last one.
        bound = *last_seq;
      } else {
        auto row = store_.conversation_by_id(conversation);
        if (!row) return row.error();
        if (row->has_value()) bound = (*row)->last_seq;
      }
      if (newest < bound) page.next_cursor = newest;
    } else if (page.messages.front().seq > 1) {
      page.next_cursor = page.messages.front().seq;
    }
  }
  return page;
}

Result<MessagePage> Messages::page(Id caller, std::string_view conversation_id, const PageQuery& query) {
  auto member = deps_.conversations->require_member(caller, conversation_id);
  if (!member) return member.error();
  auto key = page_key(query);
  if (!key) return key.error();
  return read_page(member->conversation_id, *key);
}

Result<PageCache::Page> Messages::page_json(Id caller, std::string_view conversation_id, const PageQuery& query) {
  auto id = parse_id(conversation_id);
  if (!id) return conversation_not_found();
  auto members = members_.get_with(*id, caller);
  if (!members) return members.error();
  if (!members->contains(caller)) return conversation_not_found();
  auto key = page_key(query);
  if (!key) return key.error();
  const Id conversation = *id;
  if (cluster_mode()) return page_json_validated(conversation, *key);
  if (auto cached = pages_.find(conversation, *key)) return cached;
  // Taken before the read: a change committed after it voids this page (see page_cache.hpp).
  const auto generation = pages_.generation(conversation);
  auto page = read_page(conversation, *key);
  if (!page) return page.error();  // nothing cached from a failed read
  auto json = std::make_shared<const std::string>(message_page_json(page->messages, page->next_cursor));
  pages_.put(conversation, generation, *key, json);
  return json;
}

namespace {
// A page that lies wholly before its tag's last_seq can gain no message: every
// seq below `before` was committed when the tag was read.
bool closed_page(const PageKey& key, const PageTag& tag) {
  return key.before >= 0 && tag.last_seq >= 0 && key.before - 1 <= tag.last_seq;
}
}  // namespace

bool Messages::young(const PageTag& tag) const {
  return deps_.clock->now_ms() - tag.stored_at < deps_.cache_max_age.count();
}

// Cluster mode: the bus may not have voided this node's pages yet (or ever),
// so a cached page is checked against the conversation's last_seq and
// last_change_seq on the store (a primary-key read, which the replica router
// leaves on the primary) unless it is closed. A page is tagged with both as
// read before it, so equal ones now mean no message was committed and none
// changed (edited, reacted to, deleted) since.
Result<PageCache::Page> Messages::page_json_validated(Id conversation, const PageKey& key) {
  std::optional<store::ConversationRow> now;
  if (auto hit = pages_.lookup(conversation, key); hit && young(hit->tag)) {
    if (closed_page(key, hit->tag)) return hit->page;
    auto row = store_.conversation_by_id(conversation);
    if (!row) return row.error();
    if (!row->has_value()) return conversation_not_found();
    if ((*row)->last_seq == hit->tag.last_seq && (*row)->last_change_seq == hit->tag.last_change_seq)
      return hit->page;
    now = std::move(**row);
  }
  const auto generation = pages_.generation(conversation);
  PageTag tag;
  tag.stored_at = deps_.clock->now_ms();
  if (!now) {
    auto row = store_.conversation_by_id(conversation);
    if (!row) return row.error();
    if (!row->has_value()) return conversation_not_found();
    now = std::move(**row);
  }
  tag.last_seq = now->last_seq;
  tag.last_change_seq = now->last_change_seq;
  auto page = read_page(conversation, key, now->last_seq);
  if (!page) return page.error();
  auto json = std::make_shared<const std::string>(message_page_json(page->messages, page->next_cursor));
  pages_.put(conversation, generation, key, json, tag);
  return json;
}

PageCache::Page Messages::cached_page_json(Id caller, std::string_view conversation_id, const PageQuery& query) const {
  auto conversation = parse_id(conversation_id);
  if (!conversation) return nullptr;
  auto members = members_.peek(*conversation);
  if (!members || !members->contains(caller)) return nullptr;
  auto key = page_key(query);
  if (!key) return nullptr;
  if (!cluster_mode()) return pages_.find(*conversation, *key);
  auto hit = pages_.lookup(*conversation, *key);
  if (!hit || !closed_page(*key, hit->tag) || !young(hit->tag)) return nullptr;
  return hit->page;
}

// ---- read receipts and deletion

Result<store::MessageRow> Messages::visible_message(Id user, std::string_view message_id) {
  auto id = parse_id(message_id);
  if (!id) return Error::not_found("message not found");
  auto message = store_.message_by_id(*id);
  if (!message) return message.error();
  if (!message->has_value()) return Error::not_found("message not found");
  auto member = store_.membership((*message)->conversation_id, user);
  if (!member) return member.error();
  if (!member->has_value()) return Error::not_found("message not found");
  return std::move(**message);
}

Result<store::ReadState> Messages::mark_read_message(Id caller, const store::MessageRow& message) {
  const auto decision = acquire_blocking(*deps_.read_limits, caller);
  if (!decision.allowed) return rate_limited("too many read receipts; slow down", decision.retry_after_ms);
  auto before = store_.membership(message.conversation_id, caller);
  if (!before) return before.error();
  if (!before->has_value()) return Error::not_found("message not found");
  auto state = store_.advance_read(message.conversation_id, caller, message.seq);
  if (!state) return state.error();
  if (state->last_read_seq > (*before)->last_read_seq) {
    boost::json::object payload{{"conversationId", id_to_string(message.conversation_id)},
                                {"userId", id_to_string(caller)},
                                {"seq", state->last_read_seq}};
    cluster::Delivery delivery;
    delivery.event = "message_read";
    delivery.payload = std::make_shared<const std::string>(boost::json::serialize(payload));
    delivery.audience = cluster::Delivery::Audience::room;
    delivery.conversation_id = message.conversation_id;
    deps_.bus->publish(std::move(delivery));
  }
  return state;
}

Result<store::ReadState> Messages::mark_read(Id caller, std::string_view message_id) {
  auto message = visible_message(caller, message_id);
  if (!message) return message.error();
  return mark_read_message(caller, *message);
}

Result<store::ReadState> Messages::mark_read_in(Id caller, std::string_view conversation_id,
                                                std::string_view message_id) {
  auto message = visible_message(caller, message_id);
  if (!message) return message.error();
  if (id_to_string(message->conversation_id) != conversation_id) return Error::not_found("message not found");
  return mark_read_message(caller, *message);
}

Result<store::MessageRow> Messages::remove(Id caller, std::string_view message_id) {
  auto message = visible_message(caller, message_id);
  if (!message) return message.error();
  const Id conversation = message->conversation_id;
  if (message->sender_id != caller) {
    auto row = store_.conversation_by_id(conversation);
    if (!row) return row.error();
    auto member = store_.membership(conversation, caller);
    if (!member) return member.error();
    const bool group_admin = row->has_value() && (*row)->type == store::ConversationType::group &&
                             member->has_value() && (*member)->role == store::MemberRole::admin;
    if (!group_admin) return Error::forbidden("only the sender or a group admin may delete a message");
  }
  // The recipients before the change: a deletion that could not be announced
  // is not made.
  auto members = members_.get(conversation);
  if (!members) return members.error();
  const bool already_deleted = message->deleted_at.has_value();
  auto tombstone = store_.soft_delete_message(message->id, deps_.clock->now_ms());
  if (!tombstone) return tombstone.error();
  deps_.bus->invalidate({cluster::Invalidation::Cache::history_pages, conversation});
  if (!already_deleted && members->exists()) {
    cluster::Delivery delivery;
    delivery.event = "message_deleted";
    delivery.payload = std::make_shared<const std::string>(message_json(*tombstone));
    delivery.audience = cluster::Delivery::Audience::members;
    delivery.conversation_id = conversation;
    delivery.user_ids = members->ids;
    delivery.members_digest = members->digest;
    deps_.bus->publish(std::move(delivery));
  }
  return tombstone;
}

// ---- mentions

namespace {
// Beyond this many distinct names, one read of the member list beats a
// lookup per name.
constexpr std::size_t kMaxNameLookups = 16;
}  // namespace

std::optional<std::vector<Id>> Messages::cached_mentions(std::string_view body, const std::vector<std::string>& names,
                                                         const MemberList& members) const {
  std::vector<MentionCandidate> candidates;
  for (const auto& name : names) {
    auto id = usernames_.find(name);
    if (!id) return std::nullopt;
    if (members.contains(*id)) candidates.push_back({*id, name});
  }
  return resolve_mentions(body, candidates);
}

Result<std::vector<Id>> Messages::load_mentions(Id conversation, std::string_view body,
                                                const std::vector<std::string>& names, const MemberList& members) {
  std::vector<MentionCandidate> candidates;
  if (names.size() > kMaxNameLookups) {
    auto all = store_.members_of(conversation);
    if (!all) return all.error();
    for (auto& m : *all) {
      usernames_.remember(m.user.username, m.user.id);
      if (members.contains(m.user.id)) candidates.push_back({m.user.id, std::move(m.user.username)});
    }
    return resolve_mentions(body, candidates);
  }
  for (const auto& name : names) {
    auto id = usernames_.find(name);
    if (!id) {
      auto user = store_.user_by_login(name);
      if (!user) return user.error();
      if (!user->has_value()) continue;  // nobody by that name: text
      id = (*user)->id;
      usernames_.remember(name, *id);
    }
    if (members.contains(*id)) candidates.push_back({*id, name});
  }
  return resolve_mentions(body, candidates);
}

// ---- edits, reactions, changes

void Messages::announce(Id conversation, const MemberList& members, const char* event, std::string payload) {
  if (!members.exists()) return;
  cluster::Delivery delivery;
  delivery.event = event;
  delivery.payload = std::make_shared<const std::string>(std::move(payload));
  delivery.audience = cluster::Delivery::Audience::members;
  delivery.conversation_id = conversation;
  delivery.user_ids = members.ids;
  delivery.members_digest = members.digest;
  deps_.bus->publish(std::move(delivery));
}

Result<store::MessageRow> Messages::edit(Id caller, std::string_view message_id, std::string_view body) {
  if (auto status = check_message_body(body); !status) return status.error();
  auto message = visible_message(caller, message_id);
  if (!message) return message.error();
  if (message->sender_id != caller) return Error::forbidden("only the sender may edit a message");
  if (message->deleted_at) return Error::conflict("message_deleted", "the message was deleted");
  if (message->body == body) return message;
  const Id conversation = message->conversation_id;
  // The recipients before the change: an edit that could not be announced is not made.
  auto members = members_.get(conversation);
  if (!members) return members.error();
  std::vector<Id> mentions;
  if (auto names = mention_names(body); !names.empty()) {
    auto resolved = load_mentions(conversation, body, names, *members);
    if (!resolved) return resolved.error();
    mentions = std::move(*resolved);
  }
  auto edited = store_.edit_message(message->id, body, mentions, deps_.clock->now_ms());
  if (!edited) {
    if (edited.error().kind == ErrorKind::not_found) return Error::not_found("message not found");
    return edited.error();
  }
  // Voided before the event, so that a client reading on message_updated sees the edit.
  deps_.bus->invalidate({cluster::Invalidation::Cache::history_pages, conversation});
  announce(conversation, *members, "message_updated", message_json(*edited));
  return edited;
}

Result<store::ReactionChange> Messages::react(Id caller, std::string_view message_id, std::string_view emoji,
                                              bool on) {
  if (auto status = check_emoji(emoji); !status) return status.error();
  auto message = visible_message(caller, message_id);
  if (!message) return message.error();
  if (message->deleted_at) return Error::conflict("message_deleted", "the message was deleted");
  const Id conversation = message->conversation_id;
  auto members = members_.get(conversation);
  if (!members) return members.error();
  auto change =
      store_.set_reaction(message->id, caller, emoji, on, deps_.clock->now_ms(), kMaxDistinctReactions);
  if (!change) {
    if (change.error().kind == ErrorKind::not_found) return Error::not_found("message not found");
    return change.error();
  }
  if (change->changed) {
    deps_.bus->invalidate({cluster::Invalidation::Cache::history_pages, conversation});
    announce(conversation, *members, "reaction_updated", reactions_json(change->message));
  }
  return change;
}

Result<ChangePage> Messages::changes(Id caller, std::string_view conversation_id, std::string_view changed_after,
                                     std::optional<std::string_view> limit) {
  auto id = parse_id(conversation_id);
  if (!id) return conversation_not_found();
  auto after = parse_seq(std::optional<std::string>(changed_after), "changedAfter");
  if (!after) return after.error();
  int count = kMaxPage;
  if (limit) {
    auto parsed = parse_seq(std::optional<std::string>(*limit), "limit");
    if (!parsed || **parsed < 1 || **parsed > kMaxPage)
      return Error::bad_request("invalid_limit", "limit must be between 1 and 100");
    count = static_cast<int>(**parsed);
  }
  auto members = members_.get_with(*id, caller);
  if (!members) return members.error();
  if (!members->contains(caller)) return conversation_not_found();
  auto rows = store_.changed_messages(*id, **after, count);
  if (!rows) return rows.error();
  ChangePage page;
  page.messages = std::move(*rows);
  if (static_cast<int>(page.messages.size()) == count && !page.messages.empty())
    page.next_cursor = page.messages.back().change_seq;
  return page;
}

}  // namespace parley::chat
