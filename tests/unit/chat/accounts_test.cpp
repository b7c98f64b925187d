#include "chat/accounts.hpp"

#include <gtest/gtest.h>

#include "chat/chat_fixture.hpp"

namespace parley::chat {
namespace {

using testing::ChatWorld;
using testing::FaultyStore;

TEST(Accounts, RegisterLoginAndAuthenticate) {
  ChatWorld world;
  auto registered = world.accounts.register_user({"Alice", "alice@example.com", "password1", ""});
  ASSERT_TRUE(registered.ok()) << registered.error().message;
  EXPECT_EQ(registered->user.username, "alice");
  EXPECT_TRUE(registered->user.password_hash.empty());
  auto login = world.accounts.login("alice@example.com", "password1");
  ASSERT_TRUE(login.ok());
  auto user = world.accounts.authenticate("Bearer " + login->token);
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->id, registered->user.id);
  EXPECT_EQ(world.accounts.authenticate_in_memory("bearer " + login->token), registered->user.id);
  EXPECT_EQ(world.accounts.login("alice", "wrong-password").error().code, "invalid_credentials");
}

TEST(Accounts, AStoreOutageIsUnavailableNeverUnauthorized) {
  ChatWorld world;
  const Id alice = world.user("alice");
  const std::string token = world.token(alice);
  world.store().fail_always(FaultyStore::reads());
  auto user = world.accounts.authenticate("Bearer " + token);
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(http_status(user.error().kind), 503);
  EXPECT_EQ(world.accounts.login("alice", "whatever1").error().kind, ErrorKind::unavailable);
  EXPECT_EQ(world.accounts.register_user({"bob", "bob@example.com", "password1", ""}).error().kind,
            ErrorKind::unavailable);
  EXPECT_FALSE(world.accounts.authenticate_in_memory("Bearer " + token)) << "nothing remembered from a failure";
  world.store().heal();
  EXPECT_TRUE(world.accounts.authenticate("Bearer " + token).ok());
  EXPECT_TRUE(world.accounts.authenticate_in_memory("Bearer " + token)) << "remembered after a success";
}

TEST(Accounts, AnUnknownUsersTokenIsUnauthorized) {
  ChatWorld world;
  auto user = world.accounts.authenticate_token(world.token(987654321));
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.error().kind, ErrorKind::unauthorized);
}

TEST(Accounts, AUserInvalidationOnTheBusForgetsTheKnownUser) {
  ChatWorld world;
  const Id alice = world.user("alice");
  const std::string token = world.token(alice);
  ASSERT_TRUE(world.accounts.authenticate_token(token).ok());
  EXPECT_TRUE(world.accounts.authenticate_token_in_memory(token));
  world.bus.invalidate({cluster::Invalidation::Cache::user, alice});
  EXPECT_FALSE(world.accounts.authenticate_token_in_memory(token)) << "must be read from the store again";
}

}  // namespace
}  // namespace parley::chat
