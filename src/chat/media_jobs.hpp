#pragma once
// The runner of the durable background jobs of media (docs/media.md,
// "Background work"): a few threads that claim jobs from the store with a
// lease and run them.
//   - "preview" (subject: an attachment): copies the image out of the media
//     store into a temp file, makes its thumbnails (in the preview sandbox),
//     stores them (`<attachment id>/<sha256 of the thumbnail>.webp`), records
//     the outcome (Store::finish_preview) and, when the attachment belongs to
//     a message, announces `message_updated` to its members and voids the
//     conversation's history pages. A failure of the machine (media store,
//     store, sandbox unavailable) is retried with backoff and given up after
//     `max_attempts` claims (preview "failed"; the message is still updated);
//     a refused image ("image_refused") fails at once.
//   - "media_sweep" (recurring, subject 0): removes the bytes of reclaimable
//     attachments (deleted, or never attached within `unattached_ttl`), then
//     their rows; and temp files older than a day in the media store's temp
//     folder. Queued once by start() (one per store, whatever the number of
//     runners) and moved to its next run every `sweep_every`.
// A runner that dies mid-job loses nothing: the job's lease runs out and any
// runner claims it again (the claim counts as an attempt).
//
// Thread-safety: start/stop from one (owning) thread; run_next and sweep_temp
// may be called from any thread (tests call them directly, without start()).
// stats() from any thread. Ownership: borrows everything in MediaJobsDeps,
// which must outlive it; owns its threads (joined by stop() or the destructor).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chat/member_cache.hpp"
#include "cluster/bus.hpp"
#include "common/clock.hpp"
#include "common/ids.hpp"
#include "common/result.hpp"
#include "media/blob_store.hpp"
#include "media/image_previews.hpp"
#include "store/store.hpp"

namespace parley::metrics {
class Registry;
}

namespace parley::chat {

struct MediaJobsOptions {
  int workers = 1;                                       // --preview-workers: threads claiming jobs
  std::chrono::milliseconds lease{60'000};               // a claim's lease; longer than a job ever takes
  std::chrono::milliseconds idle_poll{500};              // wait between claims when nothing was runnable
  std::chrono::milliseconds sweep_every{10 * 60'000};    // the sweep's period
  std::chrono::milliseconds unattached_ttl{24 * 3600'000};  // uploads never attached are reclaimed after this
  std::chrono::milliseconds temp_ttl{24 * 3600'000};     // temp files older than this are leftovers
  std::chrono::milliseconds retry_base{10'000};          // backoff: base, 4 × base, ...
  int max_attempts = 3;                                  // claims of a preview before it is given up
  int sweep_batch = 200;                                 // attachments per store round trip in the sweep
};

// Makes the thumbnails of an image file: PreviewSandbox::run in the server
// (a child process with limits); media::make_previews in process where a
// child cannot be started (unit tests). Called from the runner's threads.
using PreviewMaker = std::function<Result<media::Previews>(const std::filesystem::path&, const std::vector<int>&)>;

// Every pointer is required except `metrics`.
struct MediaJobsDeps {
  store::Store* store = nullptr;
  media::BlobStore* blobs = nullptr;
  PreviewMaker previews;
  MemberCache* members = nullptr;  // the audience of message_updated
  cluster::Bus* bus = nullptr;
  IdGenerator* ids = nullptr;
  const Clock* clock = nullptr;
  metrics::Registry* metrics = nullptr;  // optional: parley_media_jobs_* counters
};

struct MediaJobsStats {
  std::uint64_t done = 0;       // jobs completed (a preview ready or refused, a sweep round)
  std::uint64_t retried = 0;    // attempts that failed and were scheduled again
  std::uint64_t given_up = 0;   // previews that failed max_attempts times
  std::uint64_t reclaimed = 0;  // attachments whose bytes and rows the sweep removed
};

class MediaJobs {
 public:
  static constexpr const char* kPreview = "preview";
  static constexpr const char* kSweep = "media_sweep";

  MediaJobs(MediaJobsDeps deps, MediaJobsOptions options);
  ~MediaJobs();  // stop()
  MediaJobs(const MediaJobs&) = delete;
  MediaJobs& operator=(const MediaJobs&) = delete;

  // Queues the sweep (unless queued already) and starts the threads. An error
  // (the store unavailable) is only logged: the runner starts anyway and the
  // next runner's start, or this one's, queues the sweep.
  void start();
  // No job is claimed from now on; waits until the jobs in progress finish, at
  // most until `deadline`. True when every thread has stopped; false when one
  // was still in a job at the deadline (its lease will run out and another
  // runner will do it again); the destructor then waits for it.
  bool stop(std::chrono::milliseconds deadline = std::chrono::milliseconds(30'000));

  // Claims one runnable job and runs it on the calling thread. True when a job
  // was run (whatever its outcome), false when none was runnable.
  Result<bool> run_next();
  // Removes files older than temp_ttl from the media store's temp folder.
  // Returns how many were removed.
  int sweep_temp();

  MediaJobsStats stats() const;

 private:
  void loop();
  void run_preview(const store::JobRow& job);
  void run_sweep(const store::JobRow& job);
  // The preview failed this time: retry later, or give it up and record it.
  void preview_failed(const store::JobRow& job, const Error& error);
  void finish(const store::JobRow& job, const store::AttachmentRow& outcome);
  void announce_updated(const store::MessageRow& message);
  bool reclaim(const store::AttachmentRow& attachment);

  MediaJobsDeps deps_;
  MediaJobsOptions options_;
  std::atomic<std::uint64_t> done_{0}, retried_{0}, given_up_{0}, reclaimed_{0};

  std::mutex mutex_;
  std::condition_variable wake_;     // stop requested (the idle wait ends early)
  std::condition_variable stopped_;  // a thread left its loop
  bool stopping_ = false;            // GUARDED_BY(mutex_)
  int running_ = 0;                  // GUARDED_BY(mutex_): threads still in loop()
  std::vector<std::thread> threads_;  // owner thread only
};

}  // namespace parley::chat
