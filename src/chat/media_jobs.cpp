#include "chat/media_jobs.hpp"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "chat/views.hpp"
#include "metrics/registry.hpp"

namespace parley::chat {

namespace fs = std::filesystem;

namespace {

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

// A file of the temp folder that removes itself: the image copied out of the
// media store for the decoder, which needs a path.
class TempCopy {
 public:
  explicit TempCopy(fs::path path) : path_(std::move(path)) {}
  ~TempCopy() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  TempCopy(const TempCopy&) = delete;
  TempCopy& operator=(const TempCopy&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

Status copy_blob(media::BlobReader& reader, const fs::path& to) {
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  if (!out) return Error::unavailable("cannot create " + to.string());
  std::vector<char> buffer(256 * 1024);
  std::int64_t offset = 0;
  while (offset < reader.size()) {
    auto got = reader.read(offset, buffer);
    if (!got) return got.error();
    if (*got == 0) break;
    out.write(buffer.data(), static_cast<std::streamsize>(*got));
    if (!out) return Error::unavailable("cannot write " + to.string());
    offset += static_cast<std::int64_t>(*got);
  }
  out.close();
  if (!out) return Error::unavailable("cannot write " + to.string());
  if (offset != reader.size()) return Error::unavailable("the blob ended early");
  return Status::success();
}

bool image_refused(const Error& error) { return error.code == "image_refused"; }

}  // namespace

MediaJobs::MediaJobs(MediaJobsDeps deps, MediaJobsOptions options)
    : deps_(std::move(deps)), options_(options) {
  if (options_.workers < 1) options_.workers = 1;
  if (options_.max_attempts < 1) options_.max_attempts = 1;
  if (auto* registry = deps_.metrics) {
    registry->add_callback_counter("parley_media_jobs_done_total", "Media jobs completed (previews, sweep rounds)",
                                   [this] { return double(done_.load()); });
    registry->add_callback_counter("parley_media_jobs_retried_total",
                                   "Media job attempts that failed and were scheduled again",
                                   [this] { return double(retried_.load()); });
    registry->add_callback_counter("parley_media_jobs_given_up_total",
                                   "Previews given up after their last attempt",
                                   [this] { return double(given_up_.load()); });
    registry->add_callback_counter("parley_media_reclaimed_total",
                                   "Attachments whose bytes and rows the sweep removed",
                                   [this] { return double(reclaimed_.load()); });
  }
}

MediaJobs::~MediaJobs() {
  stop();
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
}

void MediaJobs::start() {
  const TimeMs now = deps_.clock->now_ms();
  store::JobRow sweep;
  sweep.id = deps_.ids->next();
  sweep.kind = kSweep;
  sweep.subject_id = 0;
  sweep.run_after = now;
  sweep.created_at = now;
  if (auto queued = deps_.store->enqueue_job(sweep); !queued)
    spdlog::warn("media jobs: cannot queue the sweep now: {}", queued.error().message);
  std::lock_guard lock(mutex_);
  stopping_ = false;
  for (int i = 0; i < options_.workers; ++i) {
    ++running_;
    threads_.emplace_back([this] { loop(); });
  }
  spdlog::info("media jobs: {} runner thread(s), media store {}", options_.workers, deps_.blobs->describe());
}

bool MediaJobs::stop(std::chrono::milliseconds deadline) {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  wake_.notify_all();
  const bool all = stopped_.wait_for(lock, deadline, [this] { return running_ == 0; });
  lock.unlock();
  if (!all) {
    spdlog::warn("media jobs: a job still runs after {} ms; its lease will run out and it will run again",
                 deadline.count());
    return false;
  }
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
  threads_.clear();
  return true;
}

void MediaJobs::loop() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
    bool ran = false;
    try {
      auto next = run_next();
      if (!next) spdlog::warn("media jobs: cannot claim a job: {}", next.error().message);
      ran = next && *next;
    } catch (const std::exception& e) {
      // A job that threw keeps its lease until it runs out, then runs again.
      spdlog::error("media jobs: a job failed: {}", e.what());
    }
    if (ran) continue;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, options_.idle_poll, [this] { return stopping_; });
  }
  std::lock_guard lock(mutex_);
  --running_;
  stopped_.notify_all();
}

Result<bool> MediaJobs::run_next() {
  const TimeMs now = deps_.clock->now_ms();
  auto job = deps_.store->claim_job({kPreview, kSweep}, now, now + options_.lease.count());
  if (!job) return job.error();
  if (!job->has_value()) return false;
  const store::JobRow& claimed = **job;
  if (claimed.kind == kPreview) {
    run_preview(claimed);
  } else if (claimed.kind == kSweep) {
    run_sweep(claimed);
  } else {
    spdlog::warn("media jobs: unknown job kind {} (job {}) left alone", claimed.kind, claimed.id);
  }
  return true;
}

// ---- previews

void MediaJobs::run_preview(const store::JobRow& job) {
  auto found = deps_.store->attachment_by_id(job.subject_id);
  if (!found) return preview_failed(job, found.error());
  if (!found->has_value() || (*found)->deleted_at || (*found)->preview != store::PreviewState::pending) {
    // Gone, deleted or decided already: nothing to make.
    if (auto completed = deps_.store->complete_job(job.id); !completed)
      spdlog::warn("media jobs: cannot complete job {}: {}", job.id, completed.error().message);
    ++done_;
    return;
  }
  const store::AttachmentRow& attachment = **found;
  auto reader = deps_.blobs->open(attachment.blob_key);
  if (!reader) return preview_failed(job, reader.error());
  TempCopy copy(deps_.blobs->temp_dir() / ("preview-" + std::to_string(job.id) + "-" + std::to_string(job.attempts)));
  if (auto copied = copy_blob(**reader, copy.path()); !copied) return preview_failed(job, copied.error());
  reader->reset();
  auto previews = deps_.previews(copy.path(), {media::kThumbnailSmall, media::kThumbnailLarge});
  if (!previews) return preview_failed(job, previews.error());

  store::AttachmentRow outcome;
  outcome.preview = store::PreviewState::ready;
  outcome.width = previews->width;
  outcome.height = previews->height;
  const std::string prefix = id_to_string(attachment.id) + "/";
  for (const auto& thumbnail : previews->thumbnails) {
    const std::string key = prefix + sha256_hex(thumbnail.bytes) + ".webp";
    if (auto stored = deps_.blobs->put_bytes(key, thumbnail.bytes, thumbnail.content_type); !stored)
      return preview_failed(job, stored.error());
    if (thumbnail.max_side == media::kThumbnailSmall) outcome.thumb_small_key = key;
    else if (thumbnail.max_side == media::kThumbnailLarge) outcome.thumb_large_key = key;
  }
  if (outcome.thumb_small_key.empty() && outcome.thumb_large_key.empty())
    return preview_failed(job, Error::internal("the previewer made no thumbnail"));
  finish(job, outcome);
}

void MediaJobs::preview_failed(const store::JobRow& job, const Error& error) {
  const bool refused = image_refused(error);
  if (!refused && job.attempts < options_.max_attempts) {
    // 10 s, 40 s, 160 s ...: a media store or sandbox that is away gets time to come back.
    std::int64_t delay = options_.retry_base.count();
    for (int i = 1; i < job.attempts && delay < 3600'000; ++i) delay *= 4;
    spdlog::warn("media jobs: preview of attachment {} failed (attempt {}), retried in {} ms: {}", job.subject_id,
                 job.attempts, delay, error.message);
    if (auto retried = deps_.store->retry_job(job.id, deps_.clock->now_ms() + delay, error.message); !retried)
      spdlog::warn("media jobs: cannot reschedule job {} (its lease will run out): {}", job.id,
                   retried.error().message);
    ++retried_;
    return;
  }
  if (refused) {
    spdlog::info("media jobs: attachment {} is no image we preview: {}", job.subject_id, error.message);
  } else {
    spdlog::warn("media jobs: preview of attachment {} given up after {} attempts: {}", job.subject_id, job.attempts,
                 error.message);
    ++given_up_;
  }
  store::AttachmentRow outcome;
  outcome.preview = store::PreviewState::failed;
  outcome.preview_error = error.message;
  finish(job, outcome);
}

void MediaJobs::finish(const store::JobRow& job, const store::AttachmentRow& outcome) {
  auto message = deps_.store->finish_preview(job.subject_id, outcome, job.id);
  if (!message) {
    if (message.error().kind == ErrorKind::not_found) {
      // The attachment was purged meanwhile (which removed its job too).
      ++done_;
      return;
    }
    // The lease runs out and the job runs again (thumbnails already stored are
    // replaced by the same bytes under the same keys).
    spdlog::warn("media jobs: cannot record the preview of attachment {}: {}", job.subject_id,
                 message.error().message);
    return;
  }
  ++done_;
  if (*message) announce_updated(**message);
}

void MediaJobs::announce_updated(const store::MessageRow& message) {
  const Id conversation = message.conversation_id;
  // The history pages hold the message as it was: voided first, so that a
  // client reading on message_updated sees the new state.
  deps_.bus->invalidate({cluster::Invalidation::Cache::history_pages, conversation});
  auto members = deps_.members->get(conversation);
  if (!members) {
    // The history pages tell clients the final state (docs/media.md).
    spdlog::warn("media jobs: message_updated of message {} not announced: {}", message.id,
                 members.error().message);
    return;
  }
  if (!members->exists()) return;
  cluster::Delivery delivery;
  delivery.event = "message_updated";
  delivery.payload = std::make_shared<const std::string>(message_json(message));
  delivery.audience = cluster::Delivery::Audience::members;
  delivery.conversation_id = conversation;
  delivery.user_ids = members->ids;
  delivery.members_digest = members->digest;
  deps_.bus->publish(std::move(delivery));
}

// ---- the sweep

bool MediaJobs::reclaim(const store::AttachmentRow& attachment) {
  for (const std::string* key : {&attachment.blob_key, &attachment.thumb_small_key, &attachment.thumb_large_key}) {
    if (key->empty()) continue;
    if (auto removed = deps_.blobs->remove(*key); !removed) {
      spdlog::warn("media sweep: cannot remove {} now: {}", *key, removed.error().message);
      return false;
    }
  }
  return true;
}

void MediaJobs::run_sweep(const store::JobRow& job) {
  const TimeMs now = deps_.clock->now_ms();
  const TimeMs unattached_before = now - options_.unattached_ttl.count();
  std::uint64_t reclaimed = 0;
  for (;;) {
    auto batch = deps_.store->reclaimable_attachments(unattached_before, options_.sweep_batch);
    if (!batch) {
      spdlog::warn("media sweep: cannot list reclaimable attachments: {}", batch.error().message);
      break;
    }
    std::vector<Id> gone;
    for (const auto& attachment : *batch)
      if (reclaim(attachment)) gone.push_back(attachment.id);
    if (!gone.empty()) {
      if (auto purged = deps_.store->purge_attachments(gone); !purged) {
        // The blobs are gone, the rows not yet: the next sweep removes them.
        spdlog::warn("media sweep: cannot remove {} attachment rows now: {}", gone.size(), purged.error().message);
        break;
      }
      reclaimed += gone.size();
    }
    // A short batch was the last; a batch none of which could go would come
    // back the same: both end this round.
    if (static_cast<int>(batch->size()) < options_.sweep_batch || gone.empty()) break;
    std::lock_guard lock(mutex_);
    if (stopping_) break;
  }
  reclaimed_ += reclaimed;
  const int temp = sweep_temp();
  if (reclaimed || temp) spdlog::info("media sweep: {} attachment(s) and {} temp file(s) removed", reclaimed, temp);
  if (auto next = deps_.store->reschedule_job(job.id, now + options_.sweep_every.count()); !next)
    spdlog::warn("media sweep: cannot schedule the next round (its lease will run out): {}", next.error().message);
  ++done_;
}

int MediaJobs::sweep_temp() {
  const fs::path& dir = deps_.blobs->temp_dir();
  std::error_code ec;
  // Compared with the files' own clock (the filesystem's), not deps_.clock.
  const auto cutoff = fs::file_time_type::clock::now() - options_.temp_ttl;
  int removed = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code file_ec;
    if (!it->is_regular_file(file_ec) || file_ec) continue;
    const auto written = it->last_write_time(file_ec);
    if (file_ec || written >= cutoff) continue;
    if (fs::remove(it->path(), file_ec) && !file_ec) ++removed;
  }
  if (ec) spdlog::warn("media sweep: cannot list {}: {}", dir.string(), ec.message());
  return removed;
}

MediaJobsStats MediaJobs::stats() const {
  return {done_.load(), retried_.load(), given_up_.load(), reclaimed_.load()};
}

}  // namespace parley::chat
