#include "chat/offline_notifier.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "chat/views.hpp"
#include "cluster/presence.hpp"
#include "store/store.hpp"

namespace parley::chat {

OfflineNotifier::OfflineNotifier(OfflineNotifierDeps deps) : deps_(std::move(deps)) {}

void OfflineNotifier::message_sent(const store::MessageRow& message, const std::vector<Id>& members) {
  std::vector<Id> offline;
  for (Id member : members) {
    if (member == message.sender_id) continue;
    if (!deps_.presence->state(member).online) offline.push_back(member);
  }
  if (offline.empty()) return;  // everyone is connected: no store read at all
  deps_.offload([this, message, offline = std::move(offline)] { notify(message, offline); });
}

void OfflineNotifier::notify(const store::MessageRow& message, const std::vector<Id>& offline) {
  auto members = deps_.store->members_of(message.conversation_id);
  if (!members) {
    spdlog::warn("notify: message {} not notified: members of conversation {}: {}", message.id,
                 message.conversation_id, members.error().message);
    return;
  }
  // Still a member (one may have left since the send) and not muted.
  std::unordered_set<Id> wanted;
  for (const auto& m : *members)
    if (!m.member.muted) wanted.insert(m.member.user_id);
  std::vector<Id> recipients;
  for (Id user : offline)
    if (wanted.contains(user)) recipients.push_back(user);
  if (recipients.empty()) return;

  auto conversation = deps_.store->conversation_by_id(message.conversation_id);
  if (!conversation || !*conversation) {
    spdlog::warn("notify: message {} not notified: conversation {}: {}", message.id, message.conversation_id,
                 conversation ? "gone" : conversation.error().message);
    return;
  }
  // One notification per message, so the message id names it; a receiver
  // deduplicates retries (and nothing else) by it.
  std::string delivery_id = "message-" + id_to_string(message.id);
  auto body = notification_json(delivery_id, deps_.clock->now_ms(), **conversation, message, recipients);
  deps_.sink(std::move(delivery_id), std::move(body));
}

std::string notification_json(const std::string& delivery_id, TimeMs created_at,
                              const store::ConversationRow& conversation, const store::MessageRow& message,
                              const std::vector<Id>& recipients) {
  std::string out;
  out.reserve(512 + message.body.size());
  out += R"({"type":"message","id":)";
  out += boost::json::serialize(boost::json::value(delivery_id));
  out += R"(,"createdAt":")";
  out += format_iso8601(created_at);
  out += R"(","conversation":{"id":")";
  out += id_to_string(conversation.id);
  out += R"(","type":")";
  out += type_name(conversation.type);
  out += R"(","title":)";
  // As the API renders it: a direct conversation has no title.
  out += conversation.type == store::ConversationType::group
             ? boost::json::serialize(boost::json::value(conversation.title))
             : std::string("null");
  out += R"(},"message":)";
  append_message_json(out, message);
  out += R"(,"recipients":[)";
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    if (i > 0) out += ',';
    const bool mentioned =
        std::find(message.mentions.begin(), message.mentions.end(), recipients[i]) != message.mentions.end();
    out += R"({"userId":")";
    out += id_to_string(recipients[i]);
    out += R"(","mentioned":)";
    out += mentioned ? "true" : "false";
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace parley::chat
