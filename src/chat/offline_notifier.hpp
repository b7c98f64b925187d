#pragma once
// OfflineNotifier: the SendObserver that decides who hears about a new
// message outside a connection (docs/features.md, "Notifications"): the
// members other than the sender who are offline everywhere (PresenceService)
// and have not muted the conversation. It builds one notification per message
// (the webhook's JSON) and hands it to a sink; the chat layer does not know
// where it goes (app/serve.cpp wires notify::WebhookSender for
// --notify-webhook).
//
// message_sent() never blocks: presence answers from memory; only when at
// least one recipient is offline does a job on the worker pool (Offload) read
// the members (muted) and the conversation (type, title) and call the sink.
// A failed read drops that notification (logged): a notification is a hint,
// the message itself is stored and delivered.
//
// Thread-safety: message_sent() from any thread, concurrently.
// Ownership: borrows the store, presence and clock (they outlive it; the
// offloaded jobs use them, so the worker pool is joined before they go).

#include <cstdint>
#include <functional>
#include <string>

#include "chat/notifications.hpp"
#include "chat/offload.hpp"
#include "common/clock.hpp"

namespace parley::store {
class Store;
}
namespace parley::cluster {
class PresenceService;
}

namespace parley::chat {

// Receives a notification ready to leave: its delivery id (unique per
// notification) and its JSON body. Called on a worker thread; must not block
// for long (the webhook only queues).
using NotificationSink = std::function<void(std::string delivery_id, std::string body)>;

struct OfflineNotifierDeps {
  store::Store* store = nullptr;
  cluster::PresenceService* presence = nullptr;
  Offload offload;
  const Clock* clock = nullptr;
  NotificationSink sink;
};

class OfflineNotifier final : public SendObserver {
 public:
  explicit OfflineNotifier(OfflineNotifierDeps deps);

  void message_sent(const store::MessageRow& message, const std::vector<Id>& members) override;

 private:
  void notify(const store::MessageRow& message, const std::vector<Id>& offline);

  OfflineNotifierDeps deps_;
};

// The webhook's body (docs/features.md): {"type":"message","id","createdAt",
// "conversation":{id,type,title},"message":{...},"recipients":[{userId,mentioned}]}.
// `recipients` in the given order; mentioned when message.mentions holds them.
std::string notification_json(const std::string& delivery_id, TimeMs created_at,
                              const store::ConversationRow& conversation, const store::MessageRow& message,
                              const std::vector<Id>& recipients);

}  // namespace parley::chat
