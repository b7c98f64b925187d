#include "chat/chat_services.hpp"

namespace parley::chat {
namespace {

MessagesDeps messages_deps(const ChatServicesDeps& deps, ChatServices& chat) {
  MessagesDeps m;
  m.store = deps.store;
  m.conversations = &chat.conversations;
  m.members = &chat.member_cache;
  m.pages = &chat.page_cache;
  m.ids = deps.ids;
  m.clock = deps.clock;
  m.bus = deps.bus;
  m.send_limits = deps.send_limits;
  m.read_limits = deps.read_limits;
  m.offload = deps.offload;
  m.cache_max_age = deps.cache_max_age;
  m.send_observer = deps.send_observer;
  return m;
}

LiveDeps live_deps(const ChatServicesDeps& deps, ChatServices& chat) {
  LiveDeps l;
  l.accounts = &chat.accounts;
  l.conversations = &chat.conversations;
  l.messages = &chat.messages;
  l.presence = deps.presence;
  l.typing = deps.typing;
  l.bus = deps.bus;
  l.store = deps.store;
  l.offload = deps.offload;
  return l;
}

}  // namespace

// Members are built in declaration order; each one named here is built before
// the one that takes it (`this` only lends addresses of members already built).
ChatServices::ChatServices(const ChatServicesDeps& deps)
    : member_cache(*deps.store, 200'000, deps.clock, deps.cache_max_age),
      invalidations(page_cache, member_cache, known_users),
      accounts(*deps.store, *deps.tokens, *deps.ids, *deps.clock, deps.password_cost, known_users),
      conversations(*deps.store, *deps.ids, *deps.clock, *deps.bus, deps.max_group_size),
      messages(messages_deps(deps, *this)),
      users(*deps.store, *deps.presence),
      search(*deps.store),
      live(live_deps(deps, *this), deps.live) {
  // Nothing has published yet: Live publishes once started, the others when called.
  deps.bus->subscribe(invalidations);
}

}  // namespace parley::chat
