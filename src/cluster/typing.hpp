#pragma once
// Who is typing where. A typing signal lasts a timeout unless refreshed; when
// it lapses without stop_typing, expire() reports it so that the server can
// announce stop_typing itself.
//
// Non-blocking by design: every method answers from memory at once and may be
// called on an IO thread. LocalTyping (local_typing.hpp) is the whole truth for
// one process; a networked implementation keeps a local view, shares it with
// the other nodes in the background, and never waits for them in a call.
//
// Thread-safety: every method from any thread, concurrently.

#include <compare>
#include <vector>

#include "common/ids.hpp"

namespace parley::cluster {

struct TypingKey {
  Id conversation_id = 0;
  Id user_id = 0;
  auto operator<=>(const TypingKey&) const = default;
};

class TypingService {
 public:
  virtual ~TypingService() = default;

  // True if the user was not typing there (a `typing` event is due); either way
  // the deadline moves to now + timeout.
  virtual bool started(TypingKey key) = 0;
  // True if the user was typing there (a `stop_typing` event is due).
  virtual bool stopped(TypingKey key) = 0;
  // The signals whose deadline passed; they are forgotten. A networked
  // implementation also returns the signals stopped through another node's
  // connection of the same user, learned in the background.
  virtual std::vector<TypingKey> expire() = 0;
  // Signals that started anew cluster-wide although started() answered false
  // (this node still had the signal, another node had ended it): a `typing`
  // event is due. LocalTyping: always empty.
  virtual std::vector<TypingKey> take_started() { return {}; }
};

}  // namespace parley::cluster
