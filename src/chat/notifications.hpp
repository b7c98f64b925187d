#pragma once
// What happens after a send, beyond the delivery to connected members: the
// seam through which notifications for users who are not connected leave the
// chat layer (docs/features.md, "Notifications"). Messages calls the observer
// once per new message (never for a repeat), after its new_message was
// released onto the bus; the observer decides who is notified (members other
// than the sender with no connection online anywhere, not muted) and how
// (app wires notify::WebhookSender for --notify-webhook).
//
// Thread-safety: message_sent() is called from any thread (store completion
// threads, workers) and must not block: an implementation queues and returns.
// Ownership: Messages borrows the observer; it must outlive Messages.

#include <vector>

#include "store/records.hpp"

namespace parley::chat {

class SendObserver {
 public:
  virtual ~SendObserver() = default;
  // `members`: the conversation's member ids at the send (the sender included).
  virtual void message_sent(const store::MessageRow& message, const std::vector<Id>& members) = 0;
};

}  // namespace parley::chat
