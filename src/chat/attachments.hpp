#pragma once
// Attachments (docs/media.md): uploads into a conversation, their checks and
// limits, and the way back out (downloads of files and thumbnails). Messages
// claim uploads by id (Messages::send with attachment ids); the preview jobs
// (media_jobs.hpp) fill in thumbnails later.
//
// Upload, in two steps so that nothing is written for a caller who may not
// upload: begin_upload checks membership, the name and the quota before the
// body is read; the HTTP layer streams the body into a media::UploadFile;
// finish_upload sniffs the type, stores the bytes (BlobStore::put_file),
// inserts the row and, for an image, queues its preview job.
//
// Errors: not_found for an unknown conversation or one the caller is not in
// (never "forbidden": ids of other people's conversations stay secret);
// payload_too_large over --max-upload; conflict "upload_quota_exceeded" over
// the daily quota; unavailable when the store or the media store fails.
//
// Thread-safety: every method may be called from any thread concurrently; all
// of them block on the store or the media store: worker threads only.
// Ownership: borrows everything in AttachmentsDeps.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "chat/member_cache.hpp"
#include "common/clock.hpp"
#include "common/ids.hpp"
#include "common/result.hpp"
#include "media/blob_store.hpp"
#include "media/upload_file.hpp"
#include "store/store.hpp"

namespace parley::chat {

struct AttachmentLimits {
  std::int64_t max_upload_bytes = 25LL << 20;      // --max-upload, per file
  std::int64_t daily_upload_bytes = 1LL << 30;     // --upload-quota, per user per 24 h
  int max_per_message = 10;
};

struct AttachmentsDeps {
  store::Store* store = nullptr;
  media::BlobStore* blobs = nullptr;
  MemberCache* members = nullptr;
  IdGenerator* ids = nullptr;
  const Clock* clock = nullptr;
  AttachmentLimits limits;
};

// What begin_upload allows: pass it to finish_upload with the body.
struct UploadTicket {
  Id uploader = 0;
  Id conversation = 0;
  std::string name;          // sanitized
  std::int64_t max_bytes = 0;  // the body may not exceed this (size cap for the UploadFile)
};

// A file or thumbnail on its way out.
struct Download {
  store::AttachmentRow attachment;
  std::unique_ptr<media::BlobReader> reader;
  std::string content_type;
  std::string etag;            // quoted: "\"<sha256>\""
  std::string file_name;       // for Content-Disposition
  bool inline_display = false; // media::serve_inline(content_type)
  bool immutable = false;      // a content-addressed thumbnail: cache for a year
};

enum class MediaVariant { file, thumbnail_small, thumbnail_large };

class Attachments {
 public:
  explicit Attachments(AttachmentsDeps deps);

  // `declared_length`: the Content-Length when sent (refused at once if over the
  // limit: 413 before a byte of the body is read).
  Result<UploadTicket> begin_upload(Id user, std::string_view conversation_id, std::string_view raw_name,
                                    std::optional<std::int64_t> declared_length);
  // REQUIRES: `file` finished (UploadFile::finish). Takes the file.
  Result<store::AttachmentRow> finish_upload(const UploadTicket& ticket, media::UploadFile file);
  // The attachment if the user is a member of its conversation and it is not
  // deleted (attached or not: docs/media.md); not_found otherwise.
  Result<store::AttachmentRow> visible(Id user, std::string_view attachment_id);
  // The bytes of a file or thumbnail the user may see. `thumbnail_name` (the
  // last URL segment of a thumbnail) must match the stored key: a stale URL is
  // not_found rather than another image. Either thumbnail variant matches
  // either thumbnail's name (the URL names it by its hash).
  Result<Download> open(Id user, std::string_view attachment_id, MediaVariant variant,
                        std::string_view thumbnail_name = {});

  const AttachmentLimits& limits() const { return deps_.limits; }

 private:
  AttachmentsDeps deps_;
};

}  // namespace parley::chat
