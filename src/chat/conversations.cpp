#include "chat/conversations.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <set>
#include <spdlog/spdlog.h>

#include "chat/validation.hpp"
#include "chat/views.hpp"

namespace parley::chat {

namespace {

std::string encode_cursor(const store::ConversationRow& row) {
  return std::to_string(row.last_activity_at) + "_" + std::to_string(row.id);
}

std::optional<store::ActivityCursor> decode_cursor(std::string_view text) {
  const auto sep = text.find('_');
  if (sep == std::string_view::npos) return std::nullopt;
  auto time = parse_id(text.substr(0, sep));
  auto id = parse_id(text.substr(sep + 1));
  if (!time || !id) return std::nullopt;
  return store::ActivityCursor{*time, *id};
}

}  // namespace

Conversations::Conversations(store::Store& store, IdGenerator& ids, const Clock& clock, cluster::Bus& bus,
                             int max_group_size)
    : store_(store), ids_(ids), clock_(clock), bus_(bus), max_group_size_(max_group_size) {}

Result<std::vector<Id>> Conversations::resolve_users(const std::vector<std::string>& ids, Id caller,
                                                      bool allow_caller) {
  std::vector<Id> parsed;
  std::set<Id> seen;
  for (const auto& text : ids) {
    auto id = parse_id(text);
    if (!id) return Error::bad_request("unknown_member", "unknown user id " + text);
    if (!seen.insert(*id).second) return Error::bad_request("duplicate_member", "user id " + text + " appears twice");
    if (*id == caller && allow_caller) continue;
    parsed.push_back(*id);
  }
  if (parsed.empty()) return parsed;
  auto found = store_.users_by_ids(parsed);
  if (!found) return found.error();
  if (found->size() != parsed.size()) {
    std::set<Id> known;
    for (const auto& u : *found) known.insert(u.id);
    for (Id id : parsed)
      if (!known.count(id)) return Error::bad_request("unknown_member", "unknown user id " + id_to_string(id));
  }
  return parsed;
}

Result<std::optional<ConversationDetail>> Conversations::detail(Id conversation, Id user) {
  auto summary = store_.conversation_summary(conversation, user);
  if (!summary) return summary.error();
  if (!summary->has_value()) return std::optional<ConversationDetail>();
  auto members = store_.members_of(conversation);
  if (!members) return members.error();
  return std::optional<ConversationDetail>(ConversationDetail{std::move(**summary), std::move(*members)});
}

Result<std::pair<ConversationDetail, bool>> Conversations::create(Id caller, CreateConversationInput input) {
  if (input.type != "direct" && input.type != "group")
    return Error::bad_request("invalid_type", "type must be \"direct\" or \"group\"");
  const bool direct = input.type == "direct";
  auto others = resolve_users(input.member_ids, caller, true);
  if (!others) return others.error();
  if (others->empty()) return Error::bad_request("invalid_members", "a conversation needs someone besides you");

  store::ConversationRow row;
  row.id = ids_.next();
  row.created_by = caller;
  row.created_at = clock_.now_ms();
  row.last_activity_at = row.created_at;
  std::vector<store::MemberRow> members;
  members.push_back({row.id, caller, direct ? store::MemberRole::member : store::MemberRole::admin, 0,
                     row.created_at});
  if (direct) {
    if (others->size() != 1) return Error::bad_request("invalid_members", "a direct conversation has exactly one other member");
    if (input.title) return Error::bad_request("invalid_title", "a direct conversation has no title");
    row.type = store::ConversationType::direct;
  } else {
    if (!input.title) return Error::bad_request("missing_field", "title is required for a group");
    auto title = normalize_title(*input.title);
    if (!title) return title.error();
    row.type = store::ConversationType::group;
    row.title = std::move(*title);
    if (static_cast<int>(others->size()) + 1 > max_group_size_)
      return Error::bad_request("group_too_large", "a group has at most " + std::to_string(max_group_size_) + " members");
  }
  for (Id other : *others) members.push_back({row.id, other, store::MemberRole::member, 0, row.created_at});

  auto created = store_.create_conversation(row, members);
  if (!created) return created.error();
  if (created->created) announce_update(created->id, {});
  auto result = detail(created->id, caller);
  if (!result) return result.error();
  if (!result->has_value()) return Error::internal("conversation vanished after creation");
  return std::make_pair(std::move(**result), created->created);
}

Result<ConversationPage> Conversations::list(Id caller, std::optional<std::string_view> cursor, int limit) {
  std::optional<store::ActivityCursor> after;
  if (cursor && !cursor->empty()) {
    after = decode_cursor(*cursor);
    if (!after) return Error::bad_request("invalid_cursor", "cursor is not one this server issued");
  }
  auto summaries = store_.conversations_of(caller, after, limit + 1);
  if (!summaries) return summaries.error();
  ConversationPage page;
  const bool more = static_cast<int>(summaries->size()) > limit;
  if (more) summaries->resize(static_cast<std::size_t>(limit));
  for (auto& summary : *summaries) {
    auto members = store_.members_of(summary.conversation.id);
    if (!members) return members.error();
    page.conversations.push_back({std::move(summary), std::move(*members)});
  }
  if (more && !page.conversations.empty())
    page.next_cursor = encode_cursor(page.conversations.back().summary.conversation);
  return page;
}

Result<store::MemberRow> Conversations::require_member(Id user, std::string_view conversation_id) {
  auto id = parse_id(conversation_id);
  if (!id) return Error::not_found("conversation not found");
  auto member = store_.membership(*id, user);
  if (!member) return member.error();
  if (!member->has_value()) return Error::not_found("conversation not found");
  return std::move(**member);
}

Result<ConversationDetail> Conversations::get(Id caller, std::string_view conversation_id) {
  auto member = require_member(caller, conversation_id);
  if (!member) return member.error();
  auto result = detail(member->conversation_id, caller);
  if (!result) return result.error();
  if (!result->has_value()) return Error::not_found("conversation not found");
  return std::move(**result);
}

Result<ConversationDetail> Conversations::set_muted(Id caller, std::string_view conversation_id, bool muted) {
  auto member = require_member(caller, conversation_id);
  if (!member) return member.error();
  // Written even when unchanged: a repeat is harmless and the answer is what was stored.
  // The store answers not_found when the caller left in between.
  auto status = store_.set_muted(member->conversation_id, caller, muted);
  if (!status) {
    if (status.error().kind == ErrorKind::not_found) return Error::not_found("conversation not found");
    return status.error();
  }
  auto result = detail(member->conversation_id, caller);
  if (!result) return result.error();
  if (!result->has_value()) return Error::not_found("conversation not found");
  return std::move(**result);
}

Result<ConversationDetail> Conversations::update(Id caller, std::string_view conversation_id,
                                                 UpdateConversationInput input) {
  auto self = require_member(caller, conversation_id);
  if (!self) return self.error();
  const Id conversation = self->conversation_id;
  auto row = store_.conversation_by_id(conversation);
  if (!row) return row.error();
  if (!row->has_value()) return Error::not_found("conversation not found");
  if (!input.title && input.add_member_ids.empty() && input.remove_member_ids.empty())
    return Error::bad_request("empty_change", "nothing to change: give title, addMemberIds or removeMemberIds");

  const bool admin = self->role == store::MemberRole::admin;
  store::ConversationChange change;
  if ((*row)->type == store::ConversationType::direct) {
    if (input.title) return Error::bad_request("invalid_title", "a direct conversation has no title");
    return Error::forbidden("the members of a direct conversation never change");
  }
  if (input.title) {
    if (!admin) return Error::forbidden("only a group admin may rename it");
    auto title = normalize_title(*input.title);
    if (!title) return title.error();
    change.title = std::move(*title);
  }
  if (!input.add_member_ids.empty()) {
    if (!admin) return Error::forbidden("only a group admin may add members");
    auto added = resolve_users(input.add_member_ids, caller, true);
    if (!added) return added.error();
    const TimeMs now = clock_.now_ms();
    for (Id user : *added) change.add.push_back({conversation, user, store::MemberRole::member, 0, now});
  }
  std::vector<Id> removed;
  for (const auto& text : input.remove_member_ids) {
    auto id = parse_id(text);
    if (!id) return Error::bad_request("unknown_member", "unknown user id " + text);
    if (*id != caller && !admin) return Error::forbidden("only a group admin may remove other members");
    removed.push_back(*id);
  }
  auto members_before = store_.members_of(conversation);
  if (!members_before) return members_before.error();
  const auto was_member = [&](Id user) {
    return std::any_of(members_before->begin(), members_before->end(),
                       [&](const store::MemberView& v) { return v.user.id == user; });
  };
  std::size_t new_members = 0;
  for (const auto& m : change.add)
    if (!was_member(m.user_id)) ++new_members;
  if (static_cast<int>(members_before->size() + new_members) > max_group_size_)
    return Error::bad_request("group_too_large", "a group has at most " + std::to_string(max_group_size_) + " members");
  change.remove = removed;

  const auto status = store_.update_conversation(conversation, change);
  if (!status) return status.error();
  bus_.invalidate({cluster::Invalidation::Cache::members, conversation});

  // Removed members learn of it too (they drop the conversation); they are no
  // longer members, so add them explicitly.
  std::vector<Id> extra;
  for (Id id : removed)
    if (was_member(id)) extra.push_back(id);
  announce_update(conversation, extra);

  if (std::find(removed.begin(), removed.end(), caller) != removed.end()) {
    // The caller left: answer with the conversation as it now is, seen from outside.
    auto now = store_.conversation_by_id(conversation);
    if (!now) return now.error();
    if (!now->has_value()) return Error::not_found("conversation not found");
    auto members = store_.members_of(conversation);
    if (!members) return members.error();
    ConversationDetail left;
    left.summary.conversation = std::move(**now);
    left.members = std::move(*members);
    return left;
  }
  auto result = detail(conversation, caller);
  if (!result) return result.error();
  if (!result->has_value()) return Error::not_found("conversation not found");
  return std::move(**result);
}

Result<cluster::Delivery> Conversations::update_delivery(Id conversation, const std::vector<Id>& extra_recipients) {
  auto members = store_.members_of(conversation);
  if (!members) return members.error();
  // The payload is the member-independent view; per-member counters
  // (lastReadSeq, unreadCount, mentionCount, muted) are left to each
  // client's own state.
  std::optional<store::ConversationSummary> summary;
  if (!members->empty()) {
    auto read = store_.conversation_summary(conversation, members->front().user.id);
    if (!read) return read.error();
    summary = std::move(*read);
  }
  if (!summary) {
    auto row = store_.conversation_by_id(conversation);
    if (!row) return row.error();
    if (!row->has_value()) return Error::not_found("conversation not found");
    summary = store::ConversationSummary{std::move(**row), {}, std::nullopt, 0};
  }
  auto view = conversation_view(*summary, *members);
  view.erase("lastReadSeq");
  view.erase("unreadCount");
  view.erase("mentionCount");
  view.erase("muted");
  cluster::Delivery delivery;
  delivery.event = "conversation_updated";
  delivery.payload = std::make_shared<const std::string>(boost::json::serialize(view));
  delivery.audience = cluster::Delivery::Audience::members;
  delivery.conversation_id = conversation;
  auto recipients = std::make_shared<std::vector<Id>>();
  for (const auto& m : *members) recipients->push_back(m.user.id);
  recipients->insert(recipients->end(), extra_recipients.begin(), extra_recipients.end());
  delivery.user_ids = std::move(recipients);  // an ad hoc list: members_digest stays 0
  delivery.removed_user_ids = extra_recipients;
  return delivery;
}

void Conversations::announce_update(Id conversation, const std::vector<Id>& extra_recipients) {
  // The change is committed whatever happens here: a store failure while
  // reading what to announce costs the announcement (clients see the change on
  // their next read), not the answer.
  auto delivery = update_delivery(conversation, extra_recipients);
  if (!delivery) {
    spdlog::warn("conversation {}: conversation_updated not announced: {}", conversation, delivery.error().message);
    return;
  }
  bus_.publish(std::move(*delivery));
}

}  // namespace parley::chat
