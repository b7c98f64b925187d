// Conversation features (docs/features.md): the change sequence and the change
// feed, edits, reactions, replies, mentions and mention counts, mute, search.
// Every backend (conformance_fixture.hpp): the contract of store.hpp, not how a
// backend keeps it.
#include <algorithm>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conformance_fixture.hpp"

namespace parley::store::testing {
namespace {

class ConformanceFeatures : public ConformanceGroupOfTwo {
 protected:
  MessageRow send_with(Id conversation, Id sender, const std::string& body, std::vector<Id> mentions = {},
                       std::optional<Id> reply_to = std::nullopt) {
    MessageRow d = draft(conversation, sender, body);
    d.mentions = std::move(mentions);
    d.reply_to_id = reply_to;
    auto r = store_->append_message(d);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->message : MessageRow{};
  }

  Seq last_change(Id conversation) { return must_find(store_->conversation_by_id(conversation)).last_change_seq; }

  MessageRow read(Id id) { return must_find(store_->message_by_id(id)); }

  std::vector<Id> search_ids(Id user, const std::string& text, std::optional<Id> conversation = std::nullopt,
                             int limit = 20, int offset = 0, std::optional<Id> before = std::nullopt) {
    SearchQuery q;
    q.user = user;
    q.text = text;
    q.conversation = conversation;
    q.limit = limit;
    q.offset = offset;
    q.before = before;
    auto hits = store_->search_messages(q);
    EXPECT_TRUE(hits.ok()) << text << ": " << (hits.ok() ? "" : hits.error().message);
    std::vector<Id> out;
    if (hits.ok()) {
      for (const SearchHit& h : *hits) out.push_back(h.message.id);
    }
    return out;
  }

  static constexpr int kMaxDistinct = 20;
};
CONFORMANCE_OVER_ALL_BACKENDS(ConformanceFeatures);

std::vector<Seq> change_seqs(const std::vector<MessageRow>& page) {
  std::vector<Seq> out;
  for (const auto& m : page) out.push_back(m.change_seq);
  return out;
}

std::vector<std::string> emojis(const MessageRow& m) {
  std::vector<std::string> out;
  for (const auto& r : m.reactions) out.push_back(r.emoji);
  return out;
}

// ---- the change sequence

TEST_P(ConformanceFeatures, EveryKindOfChangeTakesTheNextChangeSeq) {
  EXPECT_EQ(last_change(g_), 0);
  MessageRow a = send(g_, me_.id, "one");
  MessageRow b = send(g_, you_.id, "two");
  EXPECT_EQ(a.change_seq, 1);
  EXPECT_EQ(b.change_seq, 2);
  EXPECT_EQ(last_change(g_), 2);
  EXPECT_EQ(read(a.id).change_seq, 1);

  auto edited = must(store_->edit_message(a.id, "one, edited", {}, tick()));
  EXPECT_EQ(edited.change_seq, 3);
  auto reacted = must(store_->set_reaction(b.id, me_.id, "👍", true, tick(), kMaxDistinct));
  EXPECT_TRUE(reacted.changed);
  EXPECT_EQ(reacted.message.change_seq, 4);
  auto unreacted = must(store_->set_reaction(b.id, me_.id, "👍", false, tick(), kMaxDistinct));
  EXPECT_TRUE(unreacted.changed);
  EXPECT_EQ(unreacted.message.change_seq, 5);
  auto deleted = must(store_->soft_delete_message(a.id, tick()));
  EXPECT_EQ(deleted.change_seq, 6);
  EXPECT_EQ(last_change(g_), 6);

  // Nothing changed: no change_seq used.
  auto again = must(store_->soft_delete_message(a.id, tick()));
  EXPECT_EQ(again.change_seq, 6);
  auto repeat_off = must(store_->set_reaction(b.id, me_.id, "👍", false, tick(), kMaxDistinct));
  EXPECT_FALSE(repeat_off.changed);
  EXPECT_EQ(repeat_off.message.change_seq, 5);
  EXPECT_EQ(last_change(g_), 6);

  // seq never changes; the next message takes both counters' next values.
  MessageRow c = send(g_, me_.id, "three");
  EXPECT_EQ(c.seq, 3);
  EXPECT_EQ(c.change_seq, 7);
  EXPECT_EQ(read(a.id).seq, 1);
  auto conv = must_find(store_->conversation_by_id(g_));
  EXPECT_EQ(conv.last_seq, 3);
  EXPECT_EQ(conv.last_change_seq, 7);
}

TEST_P(ConformanceFeatures, EachConversationHasItsOwnChangeSequence) {
  Id h = add_group(you_.id, {me_.id});
  MessageRow a = send(g_, me_.id, "g");
  MessageRow b = send(h, me_.id, "h");
  EXPECT_EQ(a.change_seq, 1);
  EXPECT_EQ(b.change_seq, 1);
  ASSERT_TRUE(store_->edit_message(a.id, "g2", {}, tick()).ok());
  EXPECT_EQ(last_change(g_), 2);
  EXPECT_EQ(last_change(h), 1);
}

TEST_P(ConformanceFeatures, ARepeatedSendTakesNoChangeSeq) {
  MessageRow first = send(g_, me_.id, "hi", "same");
  auto again = store_->append_message(draft(g_, me_.id, "hi", "same"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->message.change_seq, first.change_seq);
  EXPECT_EQ(last_change(g_), 1);
}

TEST_P(ConformanceFeatures, ChangedMessagesListsChangesInOrderWithPages) {
  std::vector<MessageRow> sent;
  for (int i = 0; i < 5; ++i) sent.push_back(send(g_, me_.id, "m" + std::to_string(i)));
  ASSERT_TRUE(store_->edit_message(sent[1].id, "m1 edited", {}, tick()).ok());       // 6
  ASSERT_TRUE(store_->set_reaction(sent[3].id, you_.id, "🎉", true, tick(), kMaxDistinct).ok());  // 7
  ASSERT_TRUE(store_->soft_delete_message(sent[0].id, tick()).ok());                 // 8

  auto all = must(store_->changed_messages(g_, 0, 100));
  EXPECT_EQ(change_seqs(all), (std::vector<Seq>{3, 5, 6, 7, 8}));
  std::vector<Id> order;
  for (const auto& m : all) order.push_back(m.id);
  EXPECT_EQ(order, (std::vector<Id>{sent[2].id, sent[4].id, sent[1].id, sent[3].id, sent[0].id}));
  EXPECT_EQ(all[2].body, "m1 edited");
  EXPECT_TRUE(all[2].edited_at);
  ASSERT_EQ(all[3].reactions.size(), 1u);
  EXPECT_EQ(all[3].reactions[0].emoji, "🎉");
  EXPECT_TRUE(all[4].deleted_at);  // tombstones included
  EXPECT_EQ(all[4].body, "");

  // Pages: after a cursor, at most `limit`.
  auto first = must(store_->changed_messages(g_, 0, 2));
  EXPECT_EQ(change_seqs(first), (std::vector<Seq>{3, 5}));
  auto next = must(store_->changed_messages(g_, first.back().change_seq, 2));
  EXPECT_EQ(change_seqs(next), (std::vector<Seq>{6, 7}));
  auto last = must(store_->changed_messages(g_, next.back().change_seq, 2));
  EXPECT_EQ(change_seqs(last), (std::vector<Seq>{8}));
  EXPECT_TRUE(must(store_->changed_messages(g_, 8, 2)).empty());
  EXPECT_TRUE(must(store_->changed_messages(g_ + 12345, 0, 10)).empty());
}

// ---- edit

TEST_P(ConformanceFeatures, EditReplacesBodyAndSetsEditedAt) {
  MessageRow a = send(g_, me_.id, "before");
  EXPECT_FALSE(a.edited_at);
  TimeMs at = tick();
  auto edited = must(store_->edit_message(a.id, "after", {}, at));
  EXPECT_EQ(edited.body, "after");
  ASSERT_TRUE(edited.edited_at);
  EXPECT_EQ(*edited.edited_at, at);
  EXPECT_EQ(edited.seq, a.seq);
  EXPECT_EQ(edited.created_at, a.created_at);
  MessageRow stored = read(a.id);
  EXPECT_EQ(stored.body, "after");
  EXPECT_EQ(stored.edited_at, at);
  auto page = must(store_->messages(g_, std::nullopt, std::nullopt, 10));
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].body, "after");
  EXPECT_EQ(page[0].edited_at, at);
}

TEST_P(ConformanceFeatures, EditOfDeletedOrMissingMessageIsRefused) {
  MessageRow a = send(g_, me_.id, "x");
  ASSERT_TRUE(store_->soft_delete_message(a.id, tick()).ok());
  Seq before = last_change(g_);
  auto edited = store_->edit_message(a.id, "resurrected", {}, tick());
  ASSERT_FALSE(edited.ok());
  EXPECT_EQ(edited.error().kind, ErrorKind::conflict);
  EXPECT_EQ(edited.error().code, "message_deleted");
  EXPECT_EQ(read(a.id).body, "");
  EXPECT_EQ(last_change(g_), before);
  auto missing = store_->edit_message(a.id + 999, "x", {}, tick());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
}

TEST_P(ConformanceFeatures, DeletedMessageKeepsEditedAt) {
  MessageRow a = send(g_, me_.id, "x");
  TimeMs at = tick();
  ASSERT_TRUE(store_->edit_message(a.id, "y", {}, at).ok());
  auto gone = must(store_->soft_delete_message(a.id, tick()));
  EXPECT_EQ(gone.edited_at, at);
}

// ---- reactions

TEST_P(ConformanceFeatures, ReactionsKeepOrderOfFirstUseAndOfUsers) {
  UserRow third = add_user("third");
  ASSERT_TRUE(store_->update_conversation(g_, {std::nullopt, {{g_, third.id, MemberRole::member, 0, tick()}}, {}}).ok());
  MessageRow a = send(g_, me_.id, "react to me");
  ASSERT_TRUE(store_->set_reaction(a.id, you_.id, "🎉", true, tick(), kMaxDistinct).ok());
  ASSERT_TRUE(store_->set_reaction(a.id, me_.id, "👍", true, tick(), kMaxDistinct).ok());
  ASSERT_TRUE(store_->set_reaction(a.id, third.id, "🎉", true, tick(), kMaxDistinct).ok());
  auto last = must(store_->set_reaction(a.id, me_.id, "🎉", true, tick(), kMaxDistinct));
  EXPECT_TRUE(last.changed);
  ASSERT_EQ(emojis(last.message), (std::vector<std::string>{"🎉", "👍"}));
  EXPECT_EQ(last.message.reactions[0].user_ids, (std::vector<Id>{you_.id, third.id, me_.id}));
  EXPECT_EQ(last.message.reactions[1].user_ids, (std::vector<Id>{me_.id}));

  // Every read fills them the same way.
  MessageRow stored = read(a.id);
  ASSERT_EQ(emojis(stored), (std::vector<std::string>{"🎉", "👍"}));
  EXPECT_EQ(stored.reactions[0].user_ids, (std::vector<Id>{you_.id, third.id, me_.id}));
  auto page = must(store_->messages(g_, std::nullopt, std::nullopt, 10));
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(emojis(page[0]), (std::vector<std::string>{"🎉", "👍"}));

  // Removing one user keeps the others in order; removing the last user of an emoji removes it.
  auto removed = must(store_->set_reaction(a.id, you_.id, "🎉", false, tick(), kMaxDistinct));
  EXPECT_EQ(removed.message.reactions[0].user_ids, (std::vector<Id>{third.id, me_.id}));
  EXPECT_EQ(emojis(removed.message), (std::vector<std::string>{"🎉", "👍"}));  // 🎉 was still used first
  auto gone = must(store_->set_reaction(a.id, me_.id, "👍", false, tick(), kMaxDistinct));
  EXPECT_EQ(emojis(gone.message), (std::vector<std::string>{"🎉"}));
}

TEST_P(ConformanceFeatures, ReactionRepeatsChangeNothing) {
  MessageRow a = send(g_, me_.id, "x");
  auto on = must(store_->set_reaction(a.id, you_.id, "❤️", true, tick(), kMaxDistinct));
  EXPECT_TRUE(on.changed);
  auto again = must(store_->set_reaction(a.id, you_.id, "❤️", true, tick(), kMaxDistinct));
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.message.change_seq, on.message.change_seq);
  ASSERT_EQ(again.message.reactions.size(), 1u);
  EXPECT_EQ(again.message.reactions[0].user_ids, (std::vector<Id>{you_.id}));
  auto never = must(store_->set_reaction(a.id, me_.id, "👀", false, tick(), kMaxDistinct));
  EXPECT_FALSE(never.changed);
  EXPECT_EQ(last_change(g_), on.message.change_seq);
}

TEST_P(ConformanceFeatures, AtMostMaxDistinctEmojiButAnExistingOneMayAlwaysBeAdded) {
  MessageRow a = send(g_, me_.id, "x");
  const int max = 3;
  for (const char* e : {"😀", "😁", "😂"}) {
    ASSERT_TRUE(must(store_->set_reaction(a.id, me_.id, e, true, tick(), max)).changed);
  }
  Seq before = last_change(g_);
  auto fourth = store_->set_reaction(a.id, me_.id, "🤣", true, tick(), max);
  ASSERT_FALSE(fourth.ok());
  EXPECT_EQ(fourth.error().kind, ErrorKind::conflict);
  EXPECT_EQ(fourth.error().code, "too_many_reactions");
  EXPECT_EQ(last_change(g_), before);
  EXPECT_EQ(read(a.id).reactions.size(), 3u);
  // Another user may join an existing one.
  EXPECT_TRUE(must(store_->set_reaction(a.id, you_.id, "😁", true, tick(), max)).changed);
  // Once one goes, a new one fits.
  ASSERT_TRUE(store_->set_reaction(a.id, me_.id, "😀", false, tick(), max).ok());
  EXPECT_TRUE(must(store_->set_reaction(a.id, me_.id, "🤣", true, tick(), max)).changed);
  EXPECT_EQ(emojis(read(a.id)), (std::vector<std::string>{"😁", "😂", "🤣"}));
}

TEST_P(ConformanceFeatures, DeletedMessageRefusesAndLosesReactions) {
  MessageRow a = send(g_, me_.id, "x");
  ASSERT_TRUE(store_->set_reaction(a.id, you_.id, "👍", true, tick(), kMaxDistinct).ok());
  auto tomb = must(store_->soft_delete_message(a.id, tick()));
  EXPECT_TRUE(tomb.reactions.empty());
  EXPECT_TRUE(read(a.id).reactions.empty());
  auto on = store_->set_reaction(a.id, you_.id, "👍", true, tick(), kMaxDistinct);
  ASSERT_FALSE(on.ok());
  EXPECT_EQ(on.error().code, "message_deleted");
  auto off = store_->set_reaction(a.id, you_.id, "👍", false, tick(), kMaxDistinct);
  ASSERT_FALSE(off.ok());
  EXPECT_EQ(off.error().code, "message_deleted");
  auto missing = store_->set_reaction(a.id + 999, you_.id, "👍", true, tick(), kMaxDistinct);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
}

// ---- replies

TEST_P(ConformanceFeatures, ReplyCarriesTheParentAsItIsNow) {
  MessageRow parent = send(g_, you_.id, "the question");
  MessageRow reply = send_with(g_, me_.id, "the answer", {}, parent.id);
  ASSERT_EQ(reply.reply_to_id, parent.id);
  ASSERT_TRUE(reply.reply_to);
  EXPECT_EQ(reply.reply_to->id, parent.id);
  EXPECT_EQ(reply.reply_to->seq, parent.seq);
  EXPECT_EQ(reply.reply_to->sender_id, you_.id);
  EXPECT_EQ(reply.reply_to->body, "the question");
  EXPECT_FALSE(reply.reply_to->deleted);

  ASSERT_TRUE(store_->edit_message(parent.id, "the better question", {}, tick()).ok());
  MessageRow stored = read(reply.id);
  ASSERT_TRUE(stored.reply_to);
  EXPECT_EQ(stored.reply_to->body, "the better question");
  EXPECT_FALSE(read(parent.id).reply_to);

  ASSERT_TRUE(store_->soft_delete_message(parent.id, tick()).ok());
  auto page = must(store_->messages(g_, std::nullopt, std::nullopt, 10));
  ASSERT_EQ(page.size(), 2u);
  ASSERT_TRUE(page[1].reply_to);
  EXPECT_TRUE(page[1].reply_to->deleted);
  EXPECT_EQ(page[1].reply_to->body, "");
  EXPECT_EQ(page[1].reply_to->seq, parent.seq);
  auto changed = must(store_->changed_messages(g_, 0, 10));
  for (const auto& m : changed) {
    if (m.id == reply.id) {
      ASSERT_TRUE(m.reply_to);
      EXPECT_TRUE(m.reply_to->deleted);
    }
  }
  // A deleted parent may still be replied to.
  MessageRow late = send_with(g_, you_.id, "late", {}, parent.id);
  ASSERT_TRUE(late.reply_to);
  EXPECT_TRUE(late.reply_to->deleted);
}

TEST_P(ConformanceFeatures, ReplyToAnotherConversationOrNothingIsRefusedAndStoresNothing) {
  Id h = add_group(me_.id, {you_.id});
  MessageRow elsewhere = send(h, me_.id, "elsewhere");
  send(g_, me_.id, "first");
  for (Id target : {elsewhere.id, elsewhere.id + 999}) {
    MessageRow d = draft(g_, me_.id, "reply");
    d.reply_to_id = target;
    auto r = store_->append_message(d);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::conflict);
    EXPECT_EQ(r.error().code, "reply_unavailable");
    EXPECT_FALSE(must(store_->message_by_id(d.id)));
  }
  auto conv = must_find(store_->conversation_by_id(g_));
  EXPECT_EQ(conv.last_seq, 1);
  EXPECT_EQ(conv.last_change_seq, 1);
  EXPECT_EQ(send(g_, me_.id, "next").seq, 2);  // no gap
}

TEST_P(ConformanceFeatures, AsyncAppendsKeepReplyMentionsAndChangeSeqs) {
  MessageRow parent = send(g_, you_.id, "p");
  std::vector<std::future<Result<AppendResult>>> results;
  for (int i = 0; i < 20; ++i) {
    MessageRow d = draft(g_, me_.id, "async " + std::to_string(i));
    if (i % 2 == 0) d.reply_to_id = parent.id;
    if (i % 3 == 0) d.mentions = {you_.id};
    if (i == 7) d.reply_to_id = parent.id + 999;  // refused, no gap
    auto promise = std::make_shared<std::promise<Result<AppendResult>>>();
    results.push_back(promise->get_future());
    store_->append_message_async(d, [promise](Result<AppendResult> r) { promise->set_value(std::move(r)); });
  }
  std::vector<Seq> seqs_seen, changes_seen;
  for (int i = 0; i < 20; ++i) {
    auto r = results[i].get();
    if (i == 7) {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().code, "reply_unavailable");
      continue;
    }
    ASSERT_TRUE(r.ok()) << r.error().message;
    seqs_seen.push_back(r->message.seq);
    changes_seen.push_back(r->message.change_seq);
    EXPECT_EQ(r->message.reply_to.has_value(), i % 2 == 0);
  }
  std::sort(seqs_seen.begin(), seqs_seen.end());
  std::sort(changes_seen.begin(), changes_seen.end());
  for (std::size_t i = 0; i < seqs_seen.size(); ++i) {
    EXPECT_EQ(seqs_seen[i], static_cast<Seq>(i) + 2);
    EXPECT_EQ(changes_seen[i], static_cast<Seq>(i) + 2);
  }
  auto conv = must_find(store_->conversation_by_id(g_));
  EXPECT_EQ(conv.last_seq, 20);
  EXPECT_EQ(conv.last_change_seq, 20);
  EXPECT_EQ(must(store_->advance_read(g_, you_.id, 0)).mention_count, 7);  // i = 0, 3, ..., 18
}

// ---- mentions

TEST_P(ConformanceFeatures, MentionsAreStoredAndCountedUntilRead) {
  UserRow third = add_user("third");
  ASSERT_TRUE(store_->update_conversation(g_, {std::nullopt, {{g_, third.id, MemberRole::member, 0, tick()}}, {}}).ok());
  std::vector<Id> both{std::min(you_.id, third.id), std::max(you_.id, third.id)};
  MessageRow a = send_with(g_, me_.id, "@you @third look", both);
  EXPECT_EQ(a.mentions, both);
  EXPECT_EQ(read(a.id).mentions, both);
  MessageRow b = send_with(g_, me_.id, "@you again", {you_.id});
  send(g_, me_.id, "no mention");
  EXPECT_TRUE(read(b.id + 0).mentions == std::vector<Id>{you_.id});

  auto summary = must_find(store_->conversation_summary(g_, you_.id));
  EXPECT_EQ(summary.mention_count, 2);
  EXPECT_EQ(summary.unread_count, 3);
  EXPECT_EQ(must_find(store_->conversation_summary(g_, third.id)).mention_count, 1);
  EXPECT_EQ(must_find(store_->conversation_summary(g_, me_.id)).mention_count, 0);
  auto list = must(store_->conversations_of(you_.id, std::nullopt, 10));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].mention_count, 2);
  ASSERT_TRUE(list[0].last_message);
  EXPECT_EQ(list[0].last_message->change_seq, 3);

  // The read watermark moves the count.
  auto state = must(store_->advance_read(g_, you_.id, a.seq));
  EXPECT_EQ(state.mention_count, 1);
  EXPECT_EQ(state.unread_count, 2);
  EXPECT_EQ(must_find(store_->conversation_summary(g_, you_.id)).mention_count, 1);
  EXPECT_EQ(must(store_->advance_read(g_, you_.id, 100)).mention_count, 0);
}

TEST_P(ConformanceFeatures, EditResolvesMentionsAgainAndDeleteDropsThem) {
  MessageRow a = send_with(g_, me_.id, "@you", {you_.id});
  EXPECT_EQ(must_find(store_->conversation_summary(g_, you_.id)).mention_count, 1);
  auto edited = must(store_->edit_message(a.id, "nobody", {}, tick()));
  EXPECT_TRUE(edited.mentions.empty());
  EXPECT_EQ(must_find(store_->conversation_summary(g_, you_.id)).mention_count, 0);
  edited = must(store_->edit_message(a.id, "@you after all", {you_.id}, tick()));
  EXPECT_EQ(edited.mentions, (std::vector<Id>{you_.id}));
  EXPECT_EQ(must_find(store_->conversation_summary(g_, you_.id)).mention_count, 1);
  auto tomb = must(store_->soft_delete_message(a.id, tick()));
  EXPECT_TRUE(tomb.mentions.empty());
  EXPECT_TRUE(read(a.id).mentions.empty());
  EXPECT_EQ(must_find(store_->conversation_summary(g_, you_.id)).mention_count, 0);
  EXPECT_EQ(must(store_->advance_read(g_, you_.id, 0)).mention_count, 0);
}

// ---- mute

TEST_P(ConformanceFeatures, MuteIsPerMemberAndPerConversation) {
  Id h = add_group(me_.id, {you_.id});
  EXPECT_FALSE(must_find(store_->membership(g_, you_.id)).muted);
  ASSERT_TRUE(store_->set_muted(g_, you_.id, true).ok());
  EXPECT_TRUE(must_find(store_->membership(g_, you_.id)).muted);
  EXPECT_FALSE(must_find(store_->membership(g_, me_.id)).muted);
  EXPECT_FALSE(must_find(store_->membership(h, you_.id)).muted);
  EXPECT_TRUE(must_find(store_->conversation_summary(g_, you_.id)).self.muted);
  bool found = false;
  for (const auto& s : must(store_->conversations_of(you_.id, std::nullopt, 10))) {
    if (s.conversation.id == g_) {
      found = true;
      EXPECT_TRUE(s.self.muted);
    } else {
      EXPECT_FALSE(s.self.muted);
    }
  }
  EXPECT_TRUE(found);
  for (const auto& m : must(store_->members_of(g_))) EXPECT_EQ(m.member.muted, m.member.user_id == you_.id);
  ASSERT_TRUE(store_->set_muted(g_, you_.id, true).ok());  // a repeat is fine
  ASSERT_TRUE(store_->set_muted(g_, you_.id, false).ok());
  EXPECT_FALSE(must_find(store_->membership(g_, you_.id)).muted);

  UserRow stranger = add_user("stranger");
  Status s = store_->set_muted(g_, stranger.id, true);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::not_found);
}

// ---- search

TEST_P(ConformanceFeatures, SearchFindsOnlyTheCallersConversations) {
  UserRow stranger = add_user("stranger");
  Id theirs = add_group(stranger.id, {you_.id});
  MessageRow mine = send(g_, me_.id, "the secret plan");
  MessageRow hidden = send(theirs, stranger.id, "another secret plan");
  EXPECT_EQ(search_ids(me_.id, "secret"), (std::vector<Id>{mine.id}));
  auto for_you = search_ids(you_.id, "secret");
  std::sort(for_you.begin(), for_you.end());
  EXPECT_EQ(for_you, (std::vector<Id>{mine.id, hidden.id}));
  EXPECT_EQ(search_ids(stranger.id, "secret plan"), (std::vector<Id>{hidden.id}));
  // One conversation only; one the caller is not in finds nothing.
  EXPECT_EQ(search_ids(you_.id, "secret", g_), (std::vector<Id>{mine.id}));
  EXPECT_TRUE(search_ids(me_.id, "secret", theirs).empty());
}

TEST_P(ConformanceFeatures, SearchNeedsEveryWordTheLastAsAPrefix) {
  MessageRow a = send(g_, me_.id, "Deploying the release tonight");
  MessageRow b = send(g_, me_.id, "the release notes are ready");
  send(g_, me_.id, "nothing to see");
  EXPECT_EQ(search_ids(me_.id, "release tonight"), (std::vector<Id>{a.id}));
  EXPECT_EQ(search_ids(me_.id, "release ton"), (std::vector<Id>{a.id}));
  EXPECT_EQ(search_ids(me_.id, "DEPLOY"), (std::vector<Id>{a.id}));  // case folded, prefix
  EXPECT_TRUE(search_ids(me_.id, "deploy notes").empty());
  EXPECT_TRUE(search_ids(me_.id, "ploying").empty());  // a prefix, not a substring
  auto both = search_ids(me_.id, "releas");
  std::sort(both.begin(), both.end());
  EXPECT_EQ(both, (std::vector<Id>{a.id, b.id}));
}

TEST_P(ConformanceFeatures, SearchRanksByRelevanceTiesNewestFirst) {
  MessageRow weak = send(g_, me_.id, "a long message that mentions cake only once among many other words here");
  MessageRow strong = send(g_, me_.id, "cake cake cake");
  MessageRow same1 = send(g_, me_.id, "pie");
  MessageRow same2 = send(g_, me_.id, "pie");
  EXPECT_EQ(search_ids(me_.id, "cake"), (std::vector<Id>{strong.id, weak.id}));
  EXPECT_EQ(search_ids(me_.id, "pie"), (std::vector<Id>{same2.id, same1.id}));
}

TEST_P(ConformanceFeatures, SearchPagesAndBefore) {
  std::vector<Id> sent;
  for (int i = 0; i < 5; ++i) sent.push_back(send(g_, me_.id, "word").id);
  EXPECT_EQ(search_ids(me_.id, "word", std::nullopt, 2, 0), (std::vector<Id>{sent[4], sent[3]}));
  EXPECT_EQ(search_ids(me_.id, "word", std::nullopt, 2, 2), (std::vector<Id>{sent[2], sent[1]}));
  EXPECT_EQ(search_ids(me_.id, "word", std::nullopt, 2, 4), (std::vector<Id>{sent[0]}));
  EXPECT_EQ(search_ids(me_.id, "word", std::nullopt, 10, 0, sent[2]), (std::vector<Id>{sent[1], sent[0]}));
}

TEST_P(ConformanceFeatures, SearchFollowsEditsAndDeletions) {
  MessageRow a = send(g_, me_.id, "apples");
  MessageRow b = send(g_, me_.id, "bananas");
  ASSERT_TRUE(store_->edit_message(a.id, "oranges", {}, tick()).ok());
  EXPECT_TRUE(search_ids(me_.id, "apples").empty());
  EXPECT_EQ(search_ids(me_.id, "oranges"), (std::vector<Id>{a.id}));
  ASSERT_TRUE(store_->soft_delete_message(b.id, tick()).ok());
  EXPECT_TRUE(search_ids(me_.id, "bananas").empty());
  ASSERT_TRUE(store_->soft_delete_message(a.id, tick()).ok());
  EXPECT_TRUE(search_ids(me_.id, "oranges").empty());
  // Reactions leave the entry alone.
  MessageRow c = send(g_, me_.id, "cherries");
  ASSERT_TRUE(store_->set_reaction(c.id, you_.id, "🍒", true, tick(), kMaxDistinct).ok());
  EXPECT_EQ(search_ids(me_.id, "cherries"), (std::vector<Id>{c.id}));
}

TEST_P(ConformanceFeatures, SearchHitCarriesTheWholeMessageAndAMarkedSnippet) {
  MessageRow parent = send(g_, you_.id, "parent");
  MessageRow a = send_with(g_, me_.id, "Meet at the Café tomorrow", {you_.id}, parent.id);
  ASSERT_TRUE(store_->set_reaction(a.id, you_.id, "☕", true, tick(), kMaxDistinct).ok());
  SearchQuery q;
  q.user = you_.id;
  q.text = "cafe";
  auto hits = must(store_->search_messages(q));
  ASSERT_EQ(hits.size(), 1u);
  const MessageRow& m = hits[0].message;
  EXPECT_EQ(m.id, a.id);
  EXPECT_EQ(m.body, "Meet at the Café tomorrow");
  EXPECT_EQ(m.mentions, (std::vector<Id>{you_.id}));
  ASSERT_TRUE(m.reply_to);
  EXPECT_EQ(m.reply_to->id, parent.id);
  EXPECT_EQ(emojis(m), (std::vector<std::string>{"☕"}));
  EXPECT_EQ(m.change_seq, 3);
  const std::string& s = hits[0].snippet;
  EXPECT_NE(s.find(std::string(1, kSnippetOpen) + "Caf"), std::string::npos) << s;
  EXPECT_NE(s.find(kSnippetClose), std::string::npos) << s;
  EXPECT_NE(s.find("tomorrow"), std::string::npos) << s;
}

TEST_P(ConformanceFeatures, SearchSyntaxInUserInputIsHarmless) {
  MessageRow a = send(g_, me_.id, "near the quote \"or\" - star * end");
  for (const char* text : {"\"", "*", "NEAR(", "-", "OR", "AND", "NOT", "\"near", "near*)", "(quote", "a:b",
                           "body:near", "^near", "near OR", "-quote", "{near}", "'", "\\", "near + quote"}) {
    SearchQuery q;
    q.user = me_.id;
    q.text = text;
    auto hits = store_->search_messages(q);
    ASSERT_TRUE(hits.ok()) << text << ": " << hits.error().message;
  }
  // Operators are words like any other.
  EXPECT_EQ(search_ids(me_.id, "near OR"), (std::vector<Id>{a.id}));
  EXPECT_EQ(search_ids(me_.id, "NEAR("), (std::vector<Id>{a.id}));
  EXPECT_EQ(search_ids(me_.id, "-quote"), (std::vector<Id>{a.id}));
  EXPECT_TRUE(search_ids(me_.id, "OR nothing").empty());
}

}  // namespace
}  // namespace parley::store::testing
