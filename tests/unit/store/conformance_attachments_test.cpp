// Attachments (docs/media.md): uploads and the daily quota, messages claiming
// them (all or nothing, in the message's transaction), every message read
// carrying them, soft delete ending access, preview outcomes, and what the
// sweep may reclaim. Every backend (conformance_fixture.hpp).
#include <future>
#include <set>

#include "conformance_fixture.hpp"

namespace parley::store::testing {
namespace {

class ConformanceAttachments : public ConformanceGroupOfTwo {
 protected:
  static constexpr std::int64_t kNoQuota = std::int64_t{1} << 50;

  AttachmentRow upload_row(Id conversation, Id uploader, std::int64_t size = 1000, const std::string& name = "a.png") {
    AttachmentRow a;
    a.id = ids_.next();
    a.conversation_id = conversation;
    a.uploader_id = uploader;
    a.name = name;
    a.content_type = "image/png";
    a.size = size;
    a.sha256 = "sha-" + std::to_string(a.id);
    a.blob_key = std::to_string(a.id) + "/" + a.sha256;
    a.preview = PreviewState::pending;
    a.created_at = tick();
    return a;
  }

  // An upload stored without a quota worth speaking of; its row as stored.
  AttachmentRow upload(Id conversation, Id uploader, std::int64_t size = 1000) {
    AttachmentRow a = upload_row(conversation, uploader, size);
    Status s = store_->insert_attachment(a, 0, kNoQuota, std::nullopt);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return a;
  }

  JobRow preview_job(Id attachment) {
    JobRow j;
    j.id = ids_.next();
    j.kind = "preview";
    j.subject_id = attachment;
    j.run_after = now_;
    j.created_at = now_;
    return j;
  }

  static MessageRow with_attachments(MessageRow m, const std::vector<Id>& attachment_ids) {
    for (Id id : attachment_ids) {
      AttachmentRow a;
      a.id = id;
      m.attachments.push_back(a);
    }
    return m;
  }

  static std::vector<Id> ids_of(const std::vector<AttachmentRow>& rows) {
    std::vector<Id> out;
    for (const auto& a : rows) out.push_back(a.id);
    return out;
  }

  static void expect_same_row(const AttachmentRow& got, const AttachmentRow& want) {
    EXPECT_EQ(got.id, want.id);
    EXPECT_EQ(got.conversation_id, want.conversation_id);
    EXPECT_EQ(got.uploader_id, want.uploader_id);
    EXPECT_EQ(got.name, want.name);
    EXPECT_EQ(got.content_type, want.content_type);
    EXPECT_EQ(got.size, want.size);
    EXPECT_EQ(got.sha256, want.sha256);
    EXPECT_EQ(got.blob_key, want.blob_key);
    EXPECT_EQ(got.preview, want.preview);
    EXPECT_EQ(got.width, want.width);
    EXPECT_EQ(got.height, want.height);
    EXPECT_EQ(got.thumb_small_key, want.thumb_small_key);
    EXPECT_EQ(got.thumb_large_key, want.thumb_large_key);
    EXPECT_EQ(got.preview_error, want.preview_error);
    EXPECT_EQ(got.created_at, want.created_at);
  }

  Result<AppendResult> append_async(MessageRow d) {
    std::promise<Result<AppendResult>> done;
    auto future = done.get_future();
    store_->append_message_async(std::move(d), [&done](Result<AppendResult> r) { done.set_value(std::move(r)); });
    return future.get();
  }
};
CONFORMANCE_OVER_ALL_BACKENDS(ConformanceAttachments);

TEST_P(ConformanceAttachments, UploadReadsBackUnattached) {
  AttachmentRow a = upload_row(g_, me_.id, 4321, "beach.jpg");
  a.width = 4032;
  a.height = 3024;
  ASSERT_TRUE(store_->insert_attachment(a, 0, kNoQuota, std::nullopt).ok());
  AttachmentRow got = must_find(store_->attachment_by_id(a.id));
  expect_same_row(got, a);
  EXPECT_FALSE(got.message_id);
  EXPECT_FALSE(got.deleted_at);
  EXPECT_FALSE(must(store_->attachment_by_id(a.id + 1000)));

  // Another row with the same id is refused; an unknown conversation too.
  auto again = store_->insert_attachment(a, 0, kNoQuota, std::nullopt);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::conflict);
  AttachmentRow nowhere = upload_row(g_ + 999, me_.id);
  auto lost = store_->insert_attachment(nowhere, 0, kNoQuota, std::nullopt);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().kind, ErrorKind::not_found);
  EXPECT_FALSE(must(store_->attachment_by_id(nowhere.id)));
}

TEST_P(ConformanceAttachments, QuotaCountsTheUploadsSinceAndRefusesTheOneTooMany) {
  const TimeMs day_start = tick();
  // Before the window: not counted.
  AttachmentRow old = upload_row(g_, me_.id, 900);
  old.created_at = day_start - 1;
  ASSERT_TRUE(store_->insert_attachment(old, 0, kNoQuota, std::nullopt).ok());
  EXPECT_EQ(must(store_->uploaded_bytes_since(me_.id, day_start)), 0);

  ASSERT_TRUE(store_->insert_attachment(upload_row(g_, me_.id, 600), day_start, 1000, std::nullopt).ok());
  // Someone else's uploads count for them only.
  ASSERT_TRUE(store_->insert_attachment(upload_row(g_, you_.id, 900), day_start, 1000, std::nullopt).ok());
  EXPECT_EQ(must(store_->uploaded_bytes_since(me_.id, day_start)), 600);
  EXPECT_EQ(must(store_->uploaded_bytes_since(you_.id, day_start)), 900);

  // 600 + 401 > 1000: refused, nothing stored, no job queued.
  AttachmentRow over = upload_row(g_, me_.id, 401);
  auto refused = store_->insert_attachment(over, day_start, 1000, preview_job(over.id));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::conflict);
  EXPECT_EQ(refused.error().code, "upload_quota_exceeded");
  EXPECT_FALSE(must(store_->attachment_by_id(over.id)));
  EXPECT_FALSE(must(store_->claim_job({"preview"}, now_ + 1, now_ + 60000)));
  EXPECT_EQ(must(store_->uploaded_bytes_since(me_.id, day_start)), 600);

  // Exactly up to the quota is allowed.
  ASSERT_TRUE(store_->insert_attachment(upload_row(g_, me_.id, 400), day_start, 1000, std::nullopt).ok());
  EXPECT_EQ(must(store_->uploaded_bytes_since(me_.id, day_start)), 1000);

  // Deleted uploads still count.
  AttachmentRow used = upload(g_, me_.id, 10);
  MessageRow m = must(store_->append_message(with_attachments(draft(g_, me_.id, "x"), {used.id}))).message;
  ASSERT_TRUE(store_->soft_delete_message(m.id, tick()).ok());
  EXPECT_EQ(must(store_->uploaded_bytes_since(me_.id, day_start)), 1010);
}

TEST_P(ConformanceAttachments, PreviewJobIsQueuedWithTheUpload) {
  AttachmentRow a = upload_row(g_, me_.id);
  JobRow job = preview_job(a.id);
  ASSERT_TRUE(store_->insert_attachment(a, 0, kNoQuota, job).ok());
  auto claimed = must(store_->claim_job({"preview"}, now_ + 1, now_ + 60000));
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, job.id);
  EXPECT_EQ(claimed->subject_id, a.id);
}

TEST_P(ConformanceAttachments, MessageClaimsItsAttachmentsAndEveryReadCarriesThem) {
  AttachmentRow b = upload(g_, me_.id, 2000);
  AttachmentRow a = upload(g_, me_.id, 1000);
  MessageRow plain = send(g_, you_.id, "no files");
  // Given in another order, and one twice: stored once each, ascending ids.
  auto r = store_->append_message(with_attachments(draft(g_, me_.id, "two files"), {b.id, a.id, b.id}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->created);
  std::vector<Id> want = {std::min(a.id, b.id), std::max(a.id, b.id)};
  EXPECT_EQ(ids_of(r->message.attachments), want);
  for (const auto& att : r->message.attachments) {
    EXPECT_EQ(att.message_id, r->message.id);
    EXPECT_FALSE(att.deleted_at);
    expect_same_row(att, att.id == a.id ? a : b);
  }
  const Id with_files = r->message.id;

  EXPECT_EQ(must_find(store_->attachment_by_id(a.id)).message_id, with_files);
  EXPECT_EQ(ids_of(must_find(store_->message_by_id(with_files)).attachments), want);
  EXPECT_TRUE(must_find(store_->message_by_id(plain.id)).attachments.empty());

  auto page = must(store_->messages(g_, std::nullopt, std::nullopt, 10));
  ASSERT_EQ(page.size(), 2u);
  EXPECT_TRUE(page[0].attachments.empty());
  EXPECT_EQ(ids_of(page[1].attachments), want);
  auto after = must(store_->messages(g_, std::nullopt, Seq{0}, 10));
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(ids_of(after[1].attachments), want);

  auto summary = must_find(store_->conversation_summary(g_, you_.id));
  ASSERT_TRUE(summary.last_message);
  EXPECT_EQ(ids_of(summary.last_message->attachments), want);
  auto list = must(store_->conversations_of(you_.id, std::nullopt, 10));
  ASSERT_EQ(list.size(), 1u);
  ASSERT_TRUE(list[0].last_message);
  EXPECT_EQ(ids_of(list[0].last_message->attachments), want);
}

TEST_P(ConformanceAttachments, PagesMixMessagesWithAndWithoutAttachments) {
  std::vector<std::vector<Id>> expected;
  for (int i = 0; i < 8; ++i) {
    std::vector<Id> files;
    for (int k = 0; k < i % 3; ++k) files.push_back(upload(g_, me_.id).id);
    MessageRow m = must(store_->append_message(with_attachments(draft(g_, me_.id, "m"), files))).message;
    EXPECT_EQ(ids_of(m.attachments), files);
    expected.push_back(files);
  }
  auto page = must(store_->messages(g_, Seq{8}, std::nullopt, 5));  // seqs 3..7
  ASSERT_EQ(seqs(page), (std::vector<Seq>{3, 4, 5, 6, 7}));
  for (const auto& m : page) EXPECT_EQ(ids_of(m.attachments), expected[m.seq - 1]) << "seq " << m.seq;
  // Another conversation's lists stay apart.
  Id h = add_group(me_.id, {you_.id});
  AttachmentRow other = upload(h, me_.id);
  MessageRow in_h = must(store_->append_message(with_attachments(draft(h, me_.id, "h"), {other.id}))).message;
  auto list = must(store_->conversations_of(me_.id, std::nullopt, 10));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].conversation.id, h);
  EXPECT_EQ(ids_of(list[0].last_message->attachments), (std::vector<Id>{other.id}));
  EXPECT_EQ(ids_of(list[1].last_message->attachments), expected.back());
  EXPECT_EQ(in_h.attachments.size(), 1u);
}

TEST_P(ConformanceAttachments, AnUnavailableAttachmentRefusesTheWholeMessage) {
  Id h = add_group(me_.id, {you_.id});
  AttachmentRow mine = upload(g_, me_.id);
  AttachmentRow yours = upload(g_, you_.id);
  AttachmentRow elsewhere = upload(h, me_.id);
  AttachmentRow taken = upload(g_, me_.id);
  ASSERT_TRUE(store_->append_message(with_attachments(draft(g_, me_.id, "first"), {taken.id})).ok());
  AttachmentRow deleted = upload(g_, me_.id);
  {
    MessageRow gone = must(store_->append_message(with_attachments(draft(g_, me_.id, "gone"), {deleted.id}))).message;
    ASSERT_TRUE(store_->soft_delete_message(gone.id, tick()).ok());
  }
  const Seq last = must_find(store_->conversation_by_id(g_)).last_seq;

  struct Case {
    const char* what;
    Id bad;
  };
  for (const Case& c : {Case{"someone else's upload", yours.id}, Case{"an upload into another conversation", elsewhere.id},
                        Case{"an attached upload", taken.id}, Case{"a deleted upload", deleted.id},
                        Case{"no such upload", mine.id + 100000}}) {
    for (bool async : {false, true}) {
      SCOPED_TRACE(std::string(c.what) + (async ? " (async)" : " (sync)"));
      MessageRow d = with_attachments(draft(g_, me_.id, "refused", std::string("refused-") + c.what), {mine.id, c.bad});
      auto r = async ? append_async(d) : store_->append_message(d);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().kind, ErrorKind::conflict);
      EXPECT_EQ(r.error().code, "attachment_unavailable");
      // Nothing stored: no message, no seq, the good upload still free.
      EXPECT_FALSE(must(store_->message_by_id(d.id)));
      EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, last);
      EXPECT_FALSE(must_find(store_->attachment_by_id(mine.id)).message_id);
    }
  }
  // The good one alone still works, and later seqs have no gap.
  auto ok = append_async(with_attachments(draft(g_, me_.id, "fine"), {mine.id}));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->message.seq, last + 1);
  EXPECT_EQ(ids_of(ok->message.attachments), (std::vector<Id>{mine.id}));
  // The other member cannot claim it again.
  auto twice = store_->append_message(with_attachments(draft(g_, me_.id, "again"), {mine.id}));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, "attachment_unavailable");
}

TEST_P(ConformanceAttachments, AsyncAppendsWithAndWithoutAttachmentsInOneBatch) {
  constexpr int n = 40;
  std::vector<Id> files(n, 0);
  for (int i = 0; i < n; i += 2) files[i] = upload(g_, i % 4 == 0 ? me_.id : you_.id).id;
  std::vector<std::promise<Result<AppendResult>>> done(n);
  for (int i = 0; i < n; ++i) {
    Id sender = i % 4 == 0 ? me_.id : you_.id;
    MessageRow d = draft(g_, sender, "m" + std::to_string(i));
    if (files[i] != 0) d = with_attachments(std::move(d), {files[i]});
    // Every fourth + 2 names an upload of the other member: refused alone.
    if (i % 4 == 2) d = with_attachments(std::move(d), {files[i - 2]});
    store_->append_message_async(std::move(d), [&done, i](Result<AppendResult> r) { done[i].set_value(std::move(r)); });
  }
  std::set<Seq> seen;
  for (int i = 0; i < n; ++i) {
    auto r = done[i].get_future().get();
    SCOPED_TRACE("message " + std::to_string(i));
    if (i % 4 == 2) {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().code, "attachment_unavailable");
      continue;
    }
    ASSERT_TRUE(r.ok()) << r.error().message;
    seen.insert(r->message.seq);
    if (files[i] != 0) {
      EXPECT_EQ(ids_of(r->message.attachments), (std::vector<Id>{files[i]}));
    } else {
      EXPECT_TRUE(r->message.attachments.empty());
    }
  }
  // Gapless: 1..stored.
  ASSERT_EQ(static_cast<Seq>(seen.size()), must_find(store_->conversation_by_id(g_)).last_seq);
  EXPECT_EQ(*seen.begin(), 1);
  EXPECT_EQ(*seen.rbegin(), static_cast<Seq>(seen.size()));
  for (int i = 0; i < n; i += 4) EXPECT_TRUE(must_find(store_->attachment_by_id(files[i])).message_id);
}

TEST_P(ConformanceAttachments, ARepeatReturnsTheStoredMessageWithItsAttachments) {
  AttachmentRow a = upload(g_, me_.id);
  auto first = store_->append_message(with_attachments(draft(g_, me_.id, "file", "retry-files"), {a.id}));
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(first->created);
  for (bool async : {false, true}) {
    SCOPED_TRACE(async ? "async" : "sync");
    MessageRow d = with_attachments(draft(g_, me_.id, "file (retry)", "retry-files"), {a.id});
    auto again = async ? append_async(d) : store_->append_message(d);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_FALSE(again->created);
    EXPECT_EQ(again->message.id, first->message.id);
    EXPECT_EQ(again->message.body, "file");
    EXPECT_EQ(ids_of(again->message.attachments), (std::vector<Id>{a.id}));
  }
  EXPECT_EQ(must_find(store_->conversation_by_id(g_)).last_seq, 1);
}

TEST_P(ConformanceAttachments, SoftDeleteEndsAccessToTheAttachments) {
  AttachmentRow a = upload(g_, me_.id);
  AttachmentRow b = upload(g_, me_.id);
  MessageRow m = must(store_->append_message(with_attachments(draft(g_, me_.id, "files"), {a.id, b.id}))).message;
  const TimeMs at = tick();
  MessageRow tomb = must(store_->soft_delete_message(m.id, at));
  EXPECT_TRUE(tomb.deleted_at);
  EXPECT_TRUE(tomb.attachments.empty());
  for (Id id : {a.id, b.id}) {
    AttachmentRow row = must_find(store_->attachment_by_id(id));
    EXPECT_EQ(row.deleted_at, at);
    EXPECT_EQ(row.message_id, m.id);
  }
  EXPECT_TRUE(must_find(store_->message_by_id(m.id)).attachments.empty());
  auto page = must(store_->messages(g_, std::nullopt, std::nullopt, 10));
  ASSERT_EQ(page.size(), 1u);
  EXPECT_TRUE(page[0].attachments.empty());
  EXPECT_TRUE(must_find(store_->conversation_summary(g_, me_.id)).last_message->attachments.empty());
  // Deleting again keeps the first time.
  ASSERT_TRUE(store_->soft_delete_message(m.id, tick()).ok());
  EXPECT_EQ(must_find(store_->attachment_by_id(a.id)).deleted_at, at);
}

TEST_P(ConformanceAttachments, FinishPreviewRecordsTheOutcomeAndReturnsTheMessage) {
  AttachmentRow a = upload_row(g_, me_.id);
  JobRow job = preview_job(a.id);
  ASSERT_TRUE(store_->insert_attachment(a, 0, kNoQuota, job).ok());
  AttachmentRow other = upload(g_, me_.id);
  MessageRow m = must(store_->append_message(with_attachments(draft(g_, me_.id, "pic"), {a.id, other.id}))).message;

  AttachmentRow outcome;
  outcome.preview = PreviewState::ready;
  outcome.width = 640;
  outcome.height = 480;
  outcome.thumb_small_key = std::to_string(a.id) + "/small.webp";
  outcome.thumb_large_key = std::to_string(a.id) + "/large.webp";
  outcome.name = "ignored.exe";  // other fields are not written
  auto r = store_->finish_preview(a.id, outcome, job.id);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(*r);
  EXPECT_EQ((*r)->id, m.id);
  ASSERT_EQ((*r)->attachments.size(), 2u);
  const AttachmentRow& done = (*r)->attachments[0].id == a.id ? (*r)->attachments[0] : (*r)->attachments[1];
  EXPECT_EQ(done.preview, PreviewState::ready);
  EXPECT_EQ(done.width, 640);
  EXPECT_EQ(done.height, 480);
  EXPECT_EQ(done.thumb_small_key, outcome.thumb_small_key);
  EXPECT_EQ(done.thumb_large_key, outcome.thumb_large_key);
  EXPECT_EQ(done.name, a.name);
  // The job is gone.
  EXPECT_FALSE(must(store_->claim_job({"preview"}, now_ + 10, now_ + 60000)));

  // Unattached: recorded, no message.
  AttachmentRow loose = upload(g_, me_.id);
  AttachmentRow failed;
  failed.preview = PreviewState::failed;
  failed.preview_error = "not an image";
  auto none = store_->finish_preview(loose.id, failed, 424242);
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(*none);
  AttachmentRow stored = must_find(store_->attachment_by_id(loose.id));
  EXPECT_EQ(stored.preview, PreviewState::failed);
  EXPECT_EQ(stored.preview_error, "not an image");
  EXPECT_FALSE(stored.width);

  // A deleted message: recorded, no message to announce.
  ASSERT_TRUE(store_->soft_delete_message(m.id, tick()).ok());
  auto after_delete = store_->finish_preview(other.id, outcome, 434343);
  ASSERT_TRUE(after_delete.ok());
  EXPECT_FALSE(*after_delete);

  auto missing = store_->finish_preview(loose.id + 100000, outcome, 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
}

TEST_P(ConformanceAttachments, ReclaimableListsDeletedAndStaleUploadsAndPurgeRemovesThem) {
  AttachmentRow stale = upload_row(g_, me_.id);
  JobRow stale_job = preview_job(stale.id);
  ASSERT_TRUE(store_->insert_attachment(stale, 0, kNoQuota, stale_job).ok());
  AttachmentRow kept = upload(g_, me_.id);  // attached, live
  AttachmentRow gone = upload(g_, me_.id);  // attached, then deleted
  MessageRow live = must(store_->append_message(with_attachments(draft(g_, me_.id, "live"), {kept.id}))).message;
  MessageRow dead = must(store_->append_message(with_attachments(draft(g_, me_.id, "dead"), {gone.id}))).message;
  ASSERT_TRUE(store_->soft_delete_message(dead.id, tick()).ok());
  const TimeMs cutoff = tick();
  AttachmentRow fresh = upload(g_, me_.id);  // unattached, but recent

  auto listed = must(store_->reclaimable_attachments(cutoff, 10));
  EXPECT_EQ(ids_of(listed), (std::vector<Id>{stale.id, gone.id}));  // oldest first
  EXPECT_EQ(ids_of(must(store_->reclaimable_attachments(cutoff, 1))), (std::vector<Id>{stale.id}));
  EXPECT_TRUE(must(store_->reclaimable_attachments(cutoff, 0)).empty());
  // Later, the fresh one is stale too.
  EXPECT_EQ(ids_of(must(store_->reclaimable_attachments(tick(), 10))),
            (std::vector<Id>{stale.id, gone.id, fresh.id}));

  // An id that is attached and live is never purged, even if named.
  ASSERT_TRUE(store_->purge_attachments({stale.id, gone.id, kept.id}).ok());
  EXPECT_FALSE(must(store_->attachment_by_id(stale.id)));
  EXPECT_FALSE(must(store_->attachment_by_id(gone.id)));
  EXPECT_TRUE(must(store_->attachment_by_id(kept.id)));
  EXPECT_TRUE(must(store_->attachment_by_id(fresh.id)));
  EXPECT_EQ(ids_of(must_find(store_->message_by_id(live.id)).attachments), (std::vector<Id>{kept.id}));
  // The stale upload's preview job went with it.
  EXPECT_FALSE(must(store_->claim_job({"preview"}, now_ + 10, now_ + 60000)));
  EXPECT_TRUE(store_->purge_attachments({}).ok());
  EXPECT_EQ(ids_of(must(store_->reclaimable_attachments(cutoff, 10))), std::vector<Id>{});
}

}  // namespace
}  // namespace parley::store::testing
