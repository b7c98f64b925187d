#pragma once
// ChatServices: the chat layer's caches and services, built and wired to one
// another in the one way the server (app/serve.cpp) and the chat unit tests
// both use: the caches, their invalidations subscribed to the bus, and the
// services over them. What differs between the two (the store, the clock, the
// cluster implementations, where offloaded jobs run) comes in ChatServicesDeps.
//
// Ownership: owns the caches and the services; borrows everything named in
// ChatServicesDeps, which must outlive it. The constructor subscribes the
// cache invalidations to the bus, so build it during start-up, before the
// first publish (cluster/bus.hpp).
// Thread-safety: each member is as its own header says. Destroy it on the
// thread that owns it, after the jobs it offloaded have run (live.hpp); live,
// declared last, goes first, so its sweep thread stops before the services it
// uses are destroyed.

#include <chrono>
#include <functional>

#include "auth/password.hpp"
#include "auth/tokens.hpp"
#include "chat/accounts.hpp"
#include "chat/cache_invalidations.hpp"
#include "chat/conversations.hpp"
#include "chat/known_users.hpp"
#include "chat/live.hpp"
#include "chat/member_cache.hpp"
#include "chat/messages.hpp"
#include "chat/offload.hpp"
#include "chat/notifications.hpp"
#include "chat/page_cache.hpp"
#include "chat/search.hpp"
#include "chat/users.hpp"
#include "cluster/bus.hpp"
#include "cluster/presence.hpp"
#include "cluster/rate_limiter.hpp"
#include "cluster/typing.hpp"
#include "common/clock.hpp"
#include "common/ids.hpp"
#include "store/store.hpp"

namespace parley::chat {

// Every pointer is required (borrowed, not null) except send_observer.
struct ChatServicesDeps {
  store::Store* store = nullptr;
  const auth::TokenService* tokens = nullptr;
  IdGenerator* ids = nullptr;
  const Clock* clock = nullptr;
  auth::PasswordCost password_cost;
  cluster::Bus* bus = nullptr;
  cluster::PresenceService* presence = nullptr;
  cluster::TypingService* typing = nullptr;
  cluster::RateLimiter* send_limits = nullptr;  // one token per send attempt
  cluster::RateLimiter* read_limits = nullptr;  // one token per read receipt
  Offload offload;                              // for Messages and Live
  int max_group_size = 0;
  LiveOptions live;
  // 0 in one process. In cluster mode, how old a cached member list or history
  // page may be when the bus lost its invalidation (MessagesDeps::cache_max_age).
  std::chrono::milliseconds cache_max_age{0};
  // Told of every new message (notifications.hpp); null: nobody. Must outlive
  // the services.
  SendObserver* send_observer = nullptr;
};

struct ChatServices {
  explicit ChatServices(const ChatServicesDeps& deps);
  ChatServices(const ChatServices&) = delete;
  ChatServices& operator=(const ChatServices&) = delete;

  // In construction order: the caches, then what invalidates them, then the
  // services that use them.
  KnownUsers known_users;
  MemberCache member_cache;
  PageCache page_cache;
  CacheInvalidations invalidations;
  Accounts accounts;
  Conversations conversations;
  Messages messages;
  Users users;
  Search search;
  Live live;
};

}  // namespace parley::chat
