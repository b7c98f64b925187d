#include "chat/views.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace parley::chat {
namespace {

namespace json = boost::json;

store::MessageRow message(std::string body) {
  store::MessageRow m;
  m.id = 1234567890123;
  m.conversation_id = 42;
  m.seq = 7;
  m.sender_id = 99;
  m.body = std::move(body);
  m.client_msg_id = "c\"1\\";
  m.created_at = 1767225600123;
  return m;
}

// The message shape, field by field, as the API documents it.
void expect_shape(const json::value& value, const store::MessageRow& m) {
  const auto& o = value.as_object();
  EXPECT_EQ(o.size(), 15u);
  EXPECT_EQ(o.at("attachments").as_array().size(), m.deleted_at ? 0u : m.attachments.size());
  EXPECT_EQ(o.at("id").as_string(), id_to_string(m.id));
  EXPECT_EQ(o.at("conversationId").as_string(), id_to_string(m.conversation_id));
  EXPECT_EQ(o.at("seq").as_int64(), m.seq);
  EXPECT_EQ(o.at("senderId").as_string(), id_to_string(m.sender_id));
  EXPECT_EQ(o.at("body").as_string(), m.deleted_at ? "" : m.body);
  EXPECT_EQ(o.at("clientMsgId").as_string(), m.client_msg_id);
  EXPECT_EQ(o.at("createdAt").as_string(), format_iso8601(m.created_at));
  if (m.deleted_at) EXPECT_EQ(o.at("deletedAt").as_string(), format_iso8601(*m.deleted_at));
  else EXPECT_TRUE(o.at("deletedAt").is_null());
  EXPECT_EQ(o.at("changeSeq").as_int64(), m.change_seq);
  if (m.edited_at) EXPECT_EQ(o.at("editedAt").as_string(), format_iso8601(*m.edited_at));
  else EXPECT_TRUE(o.at("editedAt").is_null());
  if (m.reply_to_id) EXPECT_EQ(o.at("replyToId").as_string(), id_to_string(*m.reply_to_id));
  else EXPECT_TRUE(o.at("replyToId").is_null());
  if (!m.reply_to_id || !m.reply_to) EXPECT_TRUE(o.at("replyTo").is_null());
  else EXPECT_EQ(o.at("replyTo").as_object().size(), 5u);
  const auto& mentions = o.at("mentions").as_array();
  ASSERT_EQ(mentions.size(), m.deleted_at ? 0u : m.mentions.size());
  for (std::size_t i = 0; i < mentions.size(); ++i) EXPECT_EQ(mentions[i].as_string(), id_to_string(m.mentions[i]));
  EXPECT_EQ(o.at("reactions").as_array().size(), m.deleted_at ? 0u : m.reactions.size());
}

TEST(Views, TheMessageTextIsValidJsonOfTheDocumentedShapeForTrickyBodies) {
  const std::vector<std::string> bodies = {
      "plain",
      "quotes \" and \\ backslashes \\\"",
      "controls \x01\x02\x1f and \t\n\r\b\f",
      "unicode é 中文 🎉 \xe2\x80\xa8 \xe2\x80\xa9",
      "</script><script>alert(1)</script>",
      std::string("\x7f del"),
      "{\"looks\":\"like json\"}",
  };
  for (const auto& body : bodies) {
    const auto m = message(body);
    const std::string text = message_json(m);
    json::value parsed;
    ASSERT_NO_THROW(parsed = json::parse(text)) << text;
    expect_shape(parsed, m);
  }
}

TEST(Views, AttachmentsAsDocumented) {
  auto m = message("");
  store::AttachmentRow file;
  file.id = 555;
  file.name = "na\"me\\.pdf";
  file.content_type = "application/pdf";
  file.size = 1234;
  file.sha256 = std::string(64, 'a');
  store::AttachmentRow image = file;
  image.id = 556;
  image.name = "beach.jpg";
  image.content_type = "image/jpeg";
  image.preview = store::PreviewState::ready;
  image.width = 4032;
  image.height = 3024;
  image.thumb_small_key = "556/" + std::string(64, 'b') + ".webp";
  image.thumb_large_key = "556/" + std::string(64, 'c') + ".webp";
  store::AttachmentRow failed = image;
  failed.id = 557;
  failed.preview = store::PreviewState::failed;
  m.attachments = {file, image, failed};
  const auto parsed = json::parse(message_json(m));
  expect_shape(parsed, m);
  const auto& list = parsed.at("attachments").as_array();
  const auto& f = list[0].as_object();
  EXPECT_EQ(f.size(), 6u);  // id, name, size, contentType, preview, url
  EXPECT_EQ(f.at("id").as_string(), id_to_string(555));
  EXPECT_EQ(f.at("name").as_string(), file.name);
  EXPECT_EQ(f.at("size").as_int64(), 1234);
  EXPECT_EQ(f.at("preview").as_string(), "none");
  EXPECT_EQ(f.at("url").as_string(), "/api/attachments/" + id_to_string(555) + "/file");
  const auto& i = list[1].as_object();
  EXPECT_EQ(i.size(), 10u);
  EXPECT_EQ(i.at("width").as_int64(), 4032);
  EXPECT_EQ(i.at("height").as_int64(), 3024);
  EXPECT_EQ(i.at("preview").as_string(), "ready");
  const std::string base = "/api/attachments/" + id_to_string(556) + "/thumbnails/";
  EXPECT_EQ(i.at("thumbnailUrl").as_string(), base + std::string(64, 'b') + ".webp");
  EXPECT_EQ(i.at("previewUrl").as_string(), base + std::string(64, 'c') + ".webp");
  // Failed: dimensions stay, no thumbnail URLs.
  const auto& x = list[2].as_object();
  EXPECT_EQ(x.at("preview").as_string(), "failed");
  EXPECT_FALSE(x.contains("thumbnailUrl"));
  EXPECT_FALSE(x.contains("previewUrl"));
  EXPECT_EQ(json::parse(attachment_json(image)), list[1]);
  // A deleted message shows none.
  m.deleted_at = m.created_at + 1;
  EXPECT_TRUE(json::parse(message_json(m)).at("attachments").as_array().empty());
}

TEST(Views, ADeletedMessageIsATombstone) {
  auto m = message("secret");
  m.deleted_at = 1767225601000;
  expect_shape(json::parse(message_json(m)), m);
  EXPECT_EQ(json::parse(message_json(m)).at("body").as_string(), "");
}

TEST(Views, PagesAndConversationsEmbedTheSameMessageRendering) {
  auto first = message("one \"1\"");
  auto second = message("two");
  second.seq = 8;
  second.deleted_at = 1767225602000;
  const auto page = json::parse(message_page_json({first, second}, 7));
  ASSERT_EQ(page.at("messages").as_array().size(), 2u);
  expect_shape(page.at("messages").as_array()[0], first);
  expect_shape(page.at("messages").as_array()[1], second);
  EXPECT_EQ(page.at("nextCursor").as_int64(), 7);
  EXPECT_TRUE(json::parse(message_page_json({}, std::nullopt)).at("nextCursor").is_null());

  store::ConversationSummary summary;
  summary.conversation.id = 42;
  summary.conversation.type = store::ConversationType::group;
  summary.conversation.title = "T";
  summary.last_message = first;
  const auto view = conversation_view(summary, {});
  expect_shape(view.at("lastMessage"), first);
  EXPECT_EQ(json::serialize(view.at("lastMessage")), message_json(first)) << "the very same text";
}

TEST(Views, TheConversationFeatureFieldsAsDocumented) {
  auto m = message("hi @bob");
  m.change_seq = 12;
  m.edited_at = 1767225605000;
  m.reply_to_id = 777;
  m.reply_to = store::ReplyQuote{777, 3, 98, "the \"parent\"", false};
  m.mentions = {5, 1234567890123456789};
  m.reactions = {{"👍", {5, 99}}, {"❤️", {99}}};
  const auto parsed = json::parse(message_json(m));
  expect_shape(parsed, m);
  EXPECT_EQ(parsed.at("mentions").as_array()[1].as_string(), "1234567890123456789");
  const auto& quote = parsed.at("replyTo").as_object();
  EXPECT_EQ(quote.at("id").as_string(), "777");
  EXPECT_EQ(quote.at("seq").as_int64(), 3);
  EXPECT_EQ(quote.at("senderId").as_string(), "98");
  EXPECT_EQ(quote.at("body").as_string(), "the \"parent\"");
  EXPECT_FALSE(quote.at("deleted").as_bool());
  const auto& reactions = parsed.at("reactions").as_array();
  ASSERT_EQ(reactions.size(), 2u);
  EXPECT_EQ(reactions[0].as_object().size(), 3u);
  EXPECT_EQ(reactions[0].at("emoji").as_string(), "👍");
  EXPECT_EQ(reactions[0].at("count").as_int64(), 2);
  EXPECT_EQ(reactions[0].at("userIds"), json::parse(R"(["5","99"])"));
  EXPECT_EQ(reactions[1].at("emoji").as_string(), "❤️");

  // The same message once deleted: no mentions or reactions, the quote stays.
  m.deleted_at = 1767225606000;
  const auto tombstone = json::parse(message_json(m));
  expect_shape(tombstone, m);
  EXPECT_EQ(tombstone.at("replyTo").at("id").as_string(), "777");

  // A reply whose parent is gone from the read (no quote): null, the id kept.
  m.reply_to.reset();
  EXPECT_TRUE(json::parse(message_json(m)).at("replyTo").is_null());
}

TEST(Views, AQuoteIsCutAt200CharactersWithoutBreakingOne) {
  auto m = message("reply");
  m.reply_to_id = 1;
  std::string exact;
  for (int i = 0; i < 200; ++i) exact += "é";
  m.reply_to = store::ReplyQuote{1, 1, 2, exact, false};
  EXPECT_EQ(json::parse(message_json(m)).at("replyTo").at("body").as_string(), exact) << "200: kept whole";
  std::string longer;
  for (int i = 0; i < 150; ++i) longer += "a🎉";  // 300 characters, 4-byte ones among them
  m.reply_to->body = longer;
  const std::string cut(json::parse(message_json(m)).at("replyTo").at("body").as_string());
  std::string expected;
  for (int i = 0; i < 99; ++i) expected += "a🎉";
  expected += "a…";
  EXPECT_EQ(cut, expected) << "199 characters and the ellipsis";
  m.reply_to->deleted = true;
  const auto quote = json::parse(message_json(m)).at("replyTo");
  EXPECT_EQ(quote.at("body").as_string(), "");
  EXPECT_TRUE(quote.at("deleted").as_bool());
}

TEST(Views, ReactionsJsonIsTheEventPayload) {
  auto m = message("x");
  m.change_seq = 9;
  m.reactions = {{"🎉", {7}}};
  const auto parsed = json::parse(reactions_json(m));
  EXPECT_EQ(parsed, json::parse(R"({"conversationId":"42","messageId":"1234567890123","changeSeq":9,)"
                                R"("reactions":[{"emoji":"🎉","count":1,"userIds":["7"]}]})"));
  m.reactions.clear();
  EXPECT_TRUE(json::parse(reactions_json(m)).at("reactions").as_array().empty());
}

TEST(Views, SnippetsAreEscapedHtmlWithBalancedMarks) {
  const std::string open(1, store::kSnippetOpen), close(1, store::kSnippetClose);
  EXPECT_EQ(snippet_html("say " + open + "hello" + close + " <b>&\"'"),
            "say <mark>hello</mark> &lt;b&gt;&amp;&quot;&#39;");
  EXPECT_EQ(snippet_html("<mark>" + open + "x"), "&lt;mark&gt;<mark>x</mark>") << "a mark left open is closed";
  EXPECT_EQ(snippet_html(close + "a" + open + open + "b" + close + close), "a<mark>b</mark>")
      << "a stray close is dropped, a nested open too";
  EXPECT_EQ(snippet_html("é " + open + "中文" + close + " …"), "é <mark>中文</mark> …");
  EXPECT_EQ(snippet_html("cut \xe4\xb8"), "cut \xEF\xBF\xBD\xEF\xBF\xBD") << "a broken sequence is replaced";
}

TEST(Views, SearchAndChangePages) {
  store::SearchHit hit;
  hit.message = message("hello <world>");
  hit.snippet = std::string(1, store::kSnippetOpen) + "hello" + std::string(1, store::kSnippetClose) + " <world>";
  const auto page = json::parse(search_page_json({hit}, std::string("o:20")));
  ASSERT_EQ(page.at("results").as_array().size(), 1u);
  const auto& result = page.at("results").as_array()[0];
  EXPECT_EQ(result.as_object().size(), 2u);
  expect_shape(result.at("message"), hit.message);
  EXPECT_EQ(result.at("snippet").as_string(), "<mark>hello</mark> &lt;world&gt;");
  EXPECT_EQ(page.at("nextCursor").as_string(), "o:20");
  EXPECT_TRUE(json::parse(search_page_json({}, std::nullopt)).at("nextCursor").is_null());
  EXPECT_TRUE(json::parse(search_page_json({}, std::nullopt)).at("results").as_array().empty());

  auto changed = message("edited");
  changed.change_seq = 31;
  const auto changes = json::parse(change_page_json({changed}, 31));
  expect_shape(changes.at("messages").as_array()[0], changed);
  EXPECT_EQ(changes.at("nextCursor").as_int64(), 31);
  EXPECT_TRUE(json::parse(change_page_json({}, std::nullopt)).at("nextCursor").is_null());
}

TEST(Views, TheConversationCarriesItsChangeSeqMentionsAndMute) {
  store::ConversationSummary summary;
  summary.conversation.id = 42;
  summary.conversation.type = store::ConversationType::direct;
  summary.conversation.last_seq = 8;
  summary.conversation.last_change_seq = 15;
  summary.self.last_read_seq = 5;
  summary.self.muted = true;
  summary.unread_count = 3;
  summary.mention_count = 2;
  const auto view = conversation_view(summary, {});
  EXPECT_EQ(view.at("lastChangeSeq").as_int64(), 15);
  EXPECT_EQ(view.at("mentionCount").as_int64(), 2);
  EXPECT_TRUE(view.at("muted").as_bool());
  EXPECT_EQ(view.at("unreadCount").as_int64(), 3);
  EXPECT_TRUE(view.at("lastMessage").is_null());
}

}  // namespace
}  // namespace parley::chat
