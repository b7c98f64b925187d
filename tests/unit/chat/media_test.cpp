// Attachments and the media job runner over the real SQLite store (ChatWorld),
// a local media store in a temp folder and libvips in process (the server runs
// it in the preview sandbox; here the decoding itself is what is tested).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "chat/attachments.hpp"
#include "chat/chat_fixture.hpp"
#include "chat/media_jobs.hpp"
#include "chat/views.hpp"
#include "media/blob_store.hpp"
#include "media/image_previews.hpp"
#include "media/test_images.hpp"

namespace parley::chat {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::ChatWorld;

constexpr TimeMs kHour = 3600'000;

class MediaTest : public ::testing::Test {
 protected:
  MediaTest() {
    media::init_image_library();
    auto opened = media::open_blob_store("", dir_.file("data"));
    if (!opened) throw std::runtime_error(opened.error().message);
    blobs_ = std::move(*opened);
    alice = world.user("alice");
    bob = world.user("bob");
    carol = world.user("carol");
    conversation = world.group(alice, {bob});
  }

  AttachmentsDeps attachments_deps(std::int64_t quota = 1LL << 30) {
    AttachmentsDeps d;
    d.store = &world.store();
    d.blobs = blobs_.get();
    d.members = &world.members;
    d.ids = &ids_;
    d.clock = &world.clock();
    d.limits.daily_upload_bytes = quota;
    d.limits.max_upload_bytes = 1 << 20;
    return d;
  }

  MediaJobsDeps jobs_deps() {
    MediaJobsDeps d;
    d.store = &world.store();
    d.blobs = blobs_.get();
    d.previews = [this](const fs::path& image, const std::vector<int>& sides) {
      ++preview_calls;
      return media::make_previews(image, sides, media::PreviewLimits{});
    };
    d.members = &world.members;
    d.bus = &world.bus;
    d.ids = &ids_;
    d.clock = &world.clock();
    return d;
  }

  Result<store::AttachmentRow> upload(Attachments& service, Id user, Id in, const std::string& name,
                                     const std::string& bytes, bool declare = true) {
    auto ticket = service.begin_upload(user, id_to_string(in), name,
                                       declare ? std::optional<std::int64_t>(bytes.size()) : std::nullopt);
    if (!ticket) return ticket.error();
    auto file = media::UploadFile::create(blobs_->temp_dir(), ticket->max_bytes);
    if (!file) return file.error();
    if (auto status = file->append(std::span<const char>(bytes.data(), bytes.size())); !status) return status.error();
    if (auto status = file->finish(); !status) return status.error();
    return service.finish_upload(*ticket, std::move(*file));
  }

  Result<Sent> send_with(Id sender, Id in, std::vector<std::string> attachment_ids, std::string body = "") {
    return world.messages.send(sender, {id_to_string(in), std::move(body), "c" + std::to_string(ids_.next()),
                                        std::move(attachment_ids)});
  }

  bool blob_exists(const std::string& key) { return blobs_->open(key).ok(); }

  // Files anywhere under the media folder but its temp folder.
  int stored_files() {
    int n = 0;
    for (const auto& entry : fs::recursive_directory_iterator(dir_.file("data"))) {
      if (entry.is_regular_file() && entry.path().parent_path() != blobs_->temp_dir() &&
          entry.path().filename() != "parley.db")
        ++n;
    }
    return n;
  }

  store::testing::TempDir dir_;
  std::unique_ptr<media::BlobStore> blobs_;
  IdGenerator ids_{7};

 public:
  ChatWorld world;
  Id alice = 0, bob = 0, carol = 0, conversation = 0;
  std::atomic<int> preview_calls{0};
};

std::string image_bytes(int width = 640, int height = 480) {
  return media::test::make_image({.width = width, .height = height});
}

TEST_F(MediaTest, UploadAttachAndRenderInTheMessage) {
  Attachments service(attachments_deps());
  auto text = upload(service, alice, conversation, "../notes/report.txt", "hello, plain text\n");
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(text->name, "report.txt");  // sanitized: no path
  EXPECT_EQ(text->content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(text->preview, store::PreviewState::none);
  EXPECT_EQ(text->blob_key, id_to_string(text->id) + "/" + text->sha256);
  EXPECT_TRUE(blob_exists(text->blob_key));
  auto image = upload(service, alice, conversation, "beach.jpg", image_bytes());
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_EQ(image->content_type, "image/jpeg");
  EXPECT_EQ(image->preview, store::PreviewState::pending);

  // Not sent yet: the conversation's members see it (the contract), others not.
  EXPECT_TRUE(service.visible(bob, id_to_string(text->id)).ok());
  EXPECT_EQ(service.visible(carol, id_to_string(text->id)).error().kind, ErrorKind::not_found);
  auto sent = send_with(alice, conversation, {id_to_string(text->id), id_to_string(image->id)});
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  const auto message = json::parse(*sent->json).as_object();
  EXPECT_EQ(message.at("body").as_string(), "");
  const auto& attachments = message.at("attachments").as_array();
  ASSERT_EQ(attachments.size(), 2u);
  const auto& first = attachments[0].as_object();
  EXPECT_EQ(first.at("id").as_string(), id_to_string(text->id));
  EXPECT_EQ(first.at("name").as_string(), "report.txt");
  EXPECT_EQ(first.at("size").as_int64(), 18);
  EXPECT_EQ(first.at("contentType").as_string(), "text/plain; charset=utf-8");
  EXPECT_EQ(first.at("preview").as_string(), "none");
  EXPECT_EQ(first.at("url").as_string(), "/api/attachments/" + id_to_string(text->id) + "/file");
  EXPECT_FALSE(first.contains("thumbnailUrl"));
  EXPECT_FALSE(first.contains("width"));
  EXPECT_EQ(attachments[1].as_object().at("preview").as_string(), "pending");

  // The history page carries them too; bob (a member) may download, carol not.
  auto page = world.messages.page_json(bob, id_to_string(conversation), {});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(json::parse(**page).at("messages").as_array()[0].at("attachments").as_array().size(), 2u);
  auto download = service.open(bob, id_to_string(text->id), MediaVariant::file);
  ASSERT_TRUE(download.ok()) << download.error().message;
  EXPECT_EQ(download->etag, "\"" + text->sha256 + "\"");
  EXPECT_EQ(download->reader->size(), 18);
  EXPECT_EQ(service.open(carol, id_to_string(text->id), MediaVariant::file).error().kind, ErrorKind::not_found);

  // Attached once only: a second message cannot claim it.
  auto again = send_with(alice, conversation, {id_to_string(text->id)}, "again");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "attachment_unavailable");
}

TEST_F(MediaTest, RefusalsChangeNothing) {
  Attachments service(attachments_deps());
  // Not a member: the conversation is not found (its id stays secret).
  auto outsider = service.begin_upload(carol, id_to_string(conversation), "a.txt", 10);
  ASSERT_FALSE(outsider.ok());
  EXPECT_EQ(outsider.error().kind, ErrorKind::not_found);
  auto huge = service.begin_upload(alice, id_to_string(conversation), "a.bin", (1 << 20) + 1);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().kind, ErrorKind::payload_too_large);

  // Bob's upload is not alice's to attach; nothing is stored and it stays available to bob.
  auto bobs = upload(service, bob, conversation, "b.txt", "bob's text");
  ASSERT_TRUE(bobs.ok());
  const auto before = world.store().messages(conversation, std::nullopt, std::nullopt, 10);
  auto stolen = send_with(alice, conversation, {id_to_string(bobs->id)}, "mine now");
  ASSERT_FALSE(stolen.ok());
  EXPECT_EQ(stolen.error().kind, ErrorKind::conflict);
  EXPECT_EQ(stolen.error().code, "attachment_unavailable");
  EXPECT_EQ(world.store().messages(conversation, std::nullopt, std::nullopt, 10)->size(), before->size());
  EXPECT_TRUE(send_with(bob, conversation, {id_to_string(bobs->id)}).ok());

  // Malformed ids, too many, and an empty body without attachments.
  EXPECT_EQ(send_with(alice, conversation, {"not-an-id"}).error().code, "attachment_unavailable");
  std::vector<std::string> eleven(11, id_to_string(bobs->id));
  EXPECT_EQ(send_with(alice, conversation, eleven).error().code, "too_many_attachments");
  EXPECT_EQ(send_with(alice, conversation, {}).error().kind, ErrorKind::bad_request);
}

TEST_F(MediaTest, DailyQuotaCountsEveryUploadOfTheDay) {
  Attachments service(attachments_deps(100));
  ASSERT_TRUE(upload(service, alice, conversation, "a.txt", std::string(60, 'a')).ok());
  // Declared: refused before the body.
  auto declared = upload(service, alice, conversation, "b.txt", std::string(60, 'b'));
  ASSERT_FALSE(declared.ok());
  EXPECT_EQ(declared.error().code, "upload_quota_exceeded");
  // Chunked (no length): refused when the row would be inserted, its bytes taken back.
  const int files = stored_files();
  auto chunked = upload(service, alice, conversation, "c.txt", std::string(60, 'c'), /*declare=*/false);
  ASSERT_FALSE(chunked.ok());
  EXPECT_EQ(chunked.error().code, "upload_quota_exceeded");
  EXPECT_EQ(stored_files(), files);
  // Another user has a quota of their own; a day later alice has hers again.
  EXPECT_TRUE(upload(service, bob, conversation, "d.txt", std::string(60, 'd')).ok());
  world.clock().advance(24 * kHour + 1);
  EXPECT_TRUE(upload(service, alice, conversation, "e.txt", std::string(60, 'e')).ok());
}

TEST_F(MediaTest, PreviewJobUpdatesTheMessageAndAnnouncesIt) {
  Attachments service(attachments_deps());
  MediaJobs jobs(jobs_deps(), {});
  auto image = upload(service, alice, conversation, "beach.jpg", image_bytes(2000, 1000));
  ASSERT_TRUE(image.ok()) << image.error().message;
  auto sent = send_with(alice, conversation, {id_to_string(image->id)}, "look");
  ASSERT_TRUE(sent.ok());
  // A page cached before the preview must not outlive it.
  ASSERT_TRUE(world.messages.page_json(bob, id_to_string(conversation), {}).ok());
  world.recorder.clear();

  auto ran = jobs.run_next();
  ASSERT_TRUE(ran.ok()) << ran.error().message;
  EXPECT_TRUE(*ran);
  EXPECT_EQ(jobs.stats().done, 1u);
  auto updated = world.recorder.deliveries("message_updated");
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(updated[0].audience, cluster::Delivery::Audience::members);
  ASSERT_TRUE(updated[0].user_ids);
  EXPECT_EQ(*updated[0].user_ids, (std::vector<Id>{std::min(alice, bob), std::max(alice, bob)}));
  const auto message = json::parse(*updated[0].payload).as_object();
  EXPECT_EQ(message.at("id").as_string(), id_to_string(sent->message.id));
  const auto& attachment = message.at("attachments").as_array()[0].as_object();
  EXPECT_EQ(attachment.at("preview").as_string(), "ready");
  EXPECT_EQ(attachment.at("width").as_int64(), 2000);
  EXPECT_EQ(attachment.at("height").as_int64(), 1000);
  const std::string thumbnail_url(attachment.at("thumbnailUrl").as_string());
  const std::string preview_url(attachment.at("previewUrl").as_string());
  EXPECT_NE(thumbnail_url, preview_url);
  const std::string prefix = "/api/attachments/" + id_to_string(image->id) + "/thumbnails/";
  ASSERT_EQ(thumbnail_url.rfind(prefix, 0), 0u);

  // The history shows the new state at once.
  auto page = world.messages.page_json(bob, id_to_string(conversation), {});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(json::parse(**page).at("messages").as_array()[0].at("attachments").as_array()[0].at("preview").as_string(),
            "ready");

  // The thumbnail by its URL name; a stale name is not found.
  const std::string name = thumbnail_url.substr(prefix.size());
  auto thumb = service.open(bob, id_to_string(image->id), MediaVariant::thumbnail_small, name);
  ASSERT_TRUE(thumb.ok()) << thumb.error().message;
  EXPECT_EQ(thumb->content_type, "image/webp");
  EXPECT_TRUE(thumb->immutable);
  EXPECT_EQ(thumb->etag, "\"" + name.substr(0, name.size() - 5) + "\"");
  std::string head(12, '\0');
  ASSERT_TRUE(thumb->reader->read(0, head).ok());
  EXPECT_EQ(head.substr(8, 4), "WEBP");
  EXPECT_FALSE(service.open(bob, id_to_string(image->id), MediaVariant::thumbnail_small, "0000.webp").ok());
  // Nothing left to run.
  EXPECT_FALSE(*jobs.run_next());
}

TEST_F(MediaTest, FailingPreviewIsRetriedWithBackoffThenGivenUp) {
  Attachments service(attachments_deps());
  MediaJobsOptions options;
  options.retry_base = std::chrono::seconds(10);
  MediaJobs jobs(jobs_deps(), options);
  auto image = upload(service, alice, conversation, "beach.jpg", image_bytes());
  ASSERT_TRUE(image.ok());
  ASSERT_TRUE(send_with(alice, conversation, {id_to_string(image->id)}).ok());
  // The media store lost the bytes: every attempt fails (a failure of the machine, not of the image).
  ASSERT_TRUE(blobs_->remove(image->blob_key).ok());

  EXPECT_TRUE(*jobs.run_next());
  EXPECT_EQ(jobs.stats().retried, 1u);
  EXPECT_FALSE(*jobs.run_next());  // not before its backoff
  world.clock().advance(10'000);
  EXPECT_TRUE(*jobs.run_next());
  EXPECT_EQ(jobs.stats().retried, 2u);
  world.clock().advance(39'000);
  EXPECT_FALSE(*jobs.run_next());  // the second backoff is 40 s
  EXPECT_TRUE(world.recorder.deliveries("message_updated").empty());
  world.clock().advance(1'000);
  EXPECT_TRUE(*jobs.run_next());
  EXPECT_EQ(jobs.stats().given_up, 1u);

  auto row = world.store().attachment_by_id(image->id);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->preview, store::PreviewState::failed);
  EXPECT_FALSE((*row)->preview_error.empty());
  auto updated = world.recorder.deliveries("message_updated");
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(json::parse(*updated[0].payload).at("attachments").as_array()[0].at("preview").as_string(), "failed");
  world.clock().advance(24 * kHour);
  EXPECT_FALSE(*jobs.run_next());  // the job is gone
  EXPECT_EQ(preview_calls.load(), 0);
}

TEST_F(MediaTest, RefusedImageFailsAtOnce) {
  Attachments service(attachments_deps());
  MediaJobs jobs(jobs_deps(), {});
  // A JPEG signature and then nothing an image decoder accepts.
  auto broken = upload(service, alice, conversation, "broken.jpg", "\xFF\xD8\xFF\xE0" + std::string(2000, 'x'));
  ASSERT_TRUE(broken.ok());
  ASSERT_EQ(broken->preview, store::PreviewState::pending);
  EXPECT_TRUE(*jobs.run_next());
  EXPECT_EQ(jobs.stats().retried, 0u);
  auto row = world.store().attachment_by_id(broken->id);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->preview, store::PreviewState::failed);
  // Not attached: nothing to announce.
  EXPECT_TRUE(world.recorder.deliveries("message_updated").empty());
}

TEST_F(MediaTest, SweepRemovesDeletedAndStaleUploadsAndOldTempFiles) {
  Attachments service(attachments_deps());
  MediaJobsOptions options;
  MediaJobs jobs(jobs_deps(), options);
  auto kept = upload(service, alice, conversation, "kept.txt", "kept");
  auto deleted = upload(service, alice, conversation, "deleted.txt", "deleted");
  auto stale = upload(service, alice, conversation, "stale.txt", "never attached");
  ASSERT_TRUE(kept.ok() && deleted.ok() && stale.ok());
  ASSERT_TRUE(send_with(alice, conversation, {id_to_string(kept->id)}).ok());
  auto doomed = send_with(alice, conversation, {id_to_string(deleted->id)});
  ASSERT_TRUE(doomed.ok());
  ASSERT_TRUE(world.messages.remove(alice, id_to_string(doomed->message.id)).ok());
  // Deleting the message ends access at once, before the sweep.
  EXPECT_EQ(service.open(alice, id_to_string(deleted->id), MediaVariant::file).error().kind, ErrorKind::not_found);

  const fs::path old_temp = blobs_->temp_dir() / "crashed-upload";
  const fs::path new_temp = blobs_->temp_dir() / "upload-in-progress";
  std::ofstream(old_temp) << "x";
  std::ofstream(new_temp) << "y";
  fs::last_write_time(old_temp, fs::file_time_type::clock::now() - std::chrono::hours(25));

  world.clock().advance(24 * kHour + 1);
  auto fresh = upload(service, alice, conversation, "fresh.txt", "uploaded just now");
  ASSERT_TRUE(fresh.ok());
  jobs.start();  // queues the sweep (and runs it on its thread)
  for (int i = 0; i < 200 && jobs.stats().reclaimed < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  ASSERT_TRUE(jobs.stop());
  EXPECT_EQ(jobs.stats().reclaimed, 2u);

  for (const auto* gone : {&*deleted, &*stale}) {
    EXPECT_FALSE(blob_exists(gone->blob_key));
    auto row = world.store().attachment_by_id(gone->id);
    ASSERT_TRUE(row.ok());
    EXPECT_FALSE(row->has_value());
  }
  for (const auto* there : {&*kept, &*fresh}) {
    EXPECT_TRUE(blob_exists(there->blob_key));
    EXPECT_TRUE(world.store().attachment_by_id(there->id)->has_value());
  }
  EXPECT_FALSE(fs::exists(old_temp));
  EXPECT_TRUE(fs::exists(new_temp));

  // The sweep recurs: once, ten minutes later, not before.
  EXPECT_FALSE(*jobs.run_next());
  world.clock().advance(10 * 60'000);
  EXPECT_TRUE(*jobs.run_next());
}

TEST_F(MediaTest, JobOfAKilledRunnerIsClaimedAgainAfterItsLease) {
  Attachments service(attachments_deps());
  MediaJobs jobs(jobs_deps(), {});
  auto image = upload(service, alice, conversation, "beach.jpg", image_bytes());
  ASSERT_TRUE(image.ok());
  // Another runner claims the job and dies without a word.
  const TimeMs now = world.clock().now_ms();
  auto claimed = world.store().claim_job({MediaJobs::kPreview}, now, now + 60'000);
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  EXPECT_FALSE(*jobs.run_next());
  world.clock().advance(59'000);
  EXPECT_FALSE(*jobs.run_next());
  world.clock().advance(1'001);
  EXPECT_TRUE(*jobs.run_next());
  auto row = world.store().attachment_by_id(image->id);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->preview, store::PreviewState::ready);
  EXPECT_EQ(preview_calls.load(), 1);
}

TEST_F(MediaTest, RunnerThreadsMakePreviewsAndStop) {
  Attachments service(attachments_deps());
  MediaJobsOptions options;
  options.workers = 2;
  options.idle_poll = std::chrono::milliseconds(20);
  MediaJobs jobs(jobs_deps(), options);
  auto image = upload(service, alice, conversation, "beach.jpg", image_bytes());
  ASSERT_TRUE(image.ok());
  ASSERT_TRUE(send_with(alice, conversation, {id_to_string(image->id)}).ok());
  jobs.start();  // after the send: a preview of an upload not attached yet announces nothing
  for (int i = 0; i < 400 && world.recorder.deliveries("message_updated").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  EXPECT_TRUE(jobs.stop(std::chrono::seconds(10)));
  ASSERT_EQ(world.recorder.deliveries("message_updated").size(), 1u);
}

}  // namespace
}  // namespace parley::chat
