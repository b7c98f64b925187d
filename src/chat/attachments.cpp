#include "chat/attachments.hpp"

#include <spdlog/spdlog.h>

#include "media/content_sniffer.hpp"
#include "media/file_names.hpp"
#include "media/image_previews.hpp"

namespace parley::chat {

namespace {

constexpr TimeMs kQuotaWindowMs = 24LL * 3600 * 1000;

Error conversation_not_found() { return Error::not_found("conversation not found"); }
Error attachment_not_found() { return Error::not_found("attachment not found"); }

Error too_large(std::int64_t limit) {
  return Error{ErrorKind::payload_too_large, "payload_too_large",
               "a file may have at most " + std::to_string(limit) + " bytes"};
}

Error quota_exceeded() {
  return Error::conflict("upload_quota_exceeded", "you have uploaded as much as a day allows; try again later");
}

std::string_view last_segment(std::string_view key) {
  const auto slash = key.rfind('/');
  return slash == std::string_view::npos ? key : key.substr(slash + 1);
}

// "beach.jpg" → "beach.webp": the name a thumbnail is downloaded under.
std::string thumbnail_file_name(std::string_view name) {
  const auto dot = name.rfind('.');
  std::string stem(dot == std::string_view::npos || dot == 0 ? name : name.substr(0, dot));
  return stem + ".webp";
}

}  // namespace

Attachments::Attachments(AttachmentsDeps deps) : deps_(std::move(deps)) {}

Result<UploadTicket> Attachments::begin_upload(Id user, std::string_view conversation_id, std::string_view raw_name,
                                               std::optional<std::int64_t> declared_length) {
  auto conversation = parse_id(conversation_id);
  if (!conversation) return conversation_not_found();
  auto members = deps_.members->get_with(*conversation, user);
  if (!members) return members.error();
  if (!members->contains(user)) return conversation_not_found();
  const auto& limits = deps_.limits;
  if (declared_length && *declared_length > limits.max_upload_bytes) return too_large(limits.max_upload_bytes);
  // Checked again, exactly, when the row is inserted; this early answer spares
  // the body of an upload that cannot fit anyway.
  auto used = deps_.store->uploaded_bytes_since(user, deps_.clock->now_ms() - kQuotaWindowMs);
  if (!used) return used.error();
  if (*used + declared_length.value_or(0) > limits.daily_upload_bytes ||
      *used >= limits.daily_upload_bytes)
    return quota_exceeded();
  UploadTicket ticket;
  ticket.uploader = user;
  ticket.conversation = *conversation;
  ticket.name = media::sanitize_file_name(raw_name);
  ticket.max_bytes = limits.max_upload_bytes;
  return ticket;
}

Result<store::AttachmentRow> Attachments::finish_upload(const UploadTicket& ticket, media::UploadFile file) {
  const TimeMs now = deps_.clock->now_ms();
  if (file.size() > ticket.max_bytes) return too_large(ticket.max_bytes);
  store::AttachmentRow row;
  row.id = deps_.ids->next();
  row.conversation_id = ticket.conversation;
  row.uploader_id = ticket.uploader;
  row.name = ticket.name;
  row.content_type = media::sniff_content_type(file.head());
  row.size = file.size();
  row.sha256 = file.sha256_hex();
  row.blob_key = id_to_string(row.id) + "/" + row.sha256;
  row.created_at = now;
  // Images too large to decode cheaply are shown as files, without a job.
  const bool previewable = media::previewable_content_type(row.content_type) &&
                           row.size <= media::PreviewLimits{}.max_input_bytes;
  std::optional<store::JobRow> job;
  if (previewable) {
    row.preview = store::PreviewState::pending;
    job.emplace();
    job->id = deps_.ids->next();
    job->kind = "preview";
    job->subject_id = row.id;
    job->run_after = now;
    job->created_at = now;
  }
  if (auto stored = deps_.blobs->put_file(row.blob_key, file.path(), row.content_type); !stored)
    return stored.error();  // the file stays where it was: the UploadFile removes it
  file.release();
  auto inserted = deps_.store->insert_attachment(row, now - kQuotaWindowMs, deps_.limits.daily_upload_bytes, job);
  if (!inserted) {
    // No row names these bytes: take them back now rather than leave them to nobody.
    if (auto removed = deps_.blobs->remove(row.blob_key); !removed)
      spdlog::warn("upload {}: bytes left in the media store under {}: {}", row.id, row.blob_key,
                   removed.error().message);
    return inserted.error();
  }
  return row;
}

Result<store::AttachmentRow> Attachments::visible(Id user, std::string_view attachment_id) {
  auto id = parse_id(attachment_id);
  if (!id) return attachment_not_found();
  auto row = deps_.store->attachment_by_id(*id);
  if (!row) return row.error();
  if (!row->has_value() || (*row)->deleted_at) return attachment_not_found();
  auto members = deps_.members->get_with((*row)->conversation_id, user);
  if (!members) return members.error();
  if (!members->contains(user)) return attachment_not_found();
  return std::move(**row);
}

Result<Download> Attachments::open(Id user, std::string_view attachment_id, MediaVariant variant,
                                   std::string_view thumbnail_name) {
  auto row = visible(user, attachment_id);
  if (!row) return row.error();
  Download out;
  std::string key;
  if (variant == MediaVariant::file) {
    key = row->blob_key;
    out.content_type = row->content_type;
    out.etag = "\"" + row->sha256 + "\"";
    out.file_name = row->name;
    out.inline_display = media::serve_inline(out.content_type);
  } else {
    // The URL names the thumbnail by its content hash: either size may be
    // asked for by name; a name that matches neither key is a stale URL.
    if (row->preview != store::PreviewState::ready || thumbnail_name.empty()) return attachment_not_found();
    const std::string& asked = variant == MediaVariant::thumbnail_small ? row->thumb_small_key : row->thumb_large_key;
    const std::string& other = variant == MediaVariant::thumbnail_small ? row->thumb_large_key : row->thumb_small_key;
    if (!asked.empty() && last_segment(asked) == thumbnail_name) key = asked;
    else if (!other.empty() && last_segment(other) == thumbnail_name) key = other;
    else return attachment_not_found();
    const std::string_view name = last_segment(key);
    const auto dot = name.rfind('.');
    out.content_type = "image/webp";
    out.etag = "\"" + std::string(dot == std::string_view::npos ? name : name.substr(0, dot)) + "\"";
    out.file_name = thumbnail_file_name(row->name);
    out.inline_display = true;
    out.immutable = true;
  }
  auto reader = deps_.blobs->open(key);
  if (!reader) {
    if (reader.error().kind == ErrorKind::not_found) {
      spdlog::warn("attachment {}: its blob {} is missing from the media store", row->id, key);
      return attachment_not_found();
    }
    return reader.error();
  }
  out.reader = std::move(*reader);
  out.attachment = std::move(*row);
  return out;
}

}  // namespace parley::chat
