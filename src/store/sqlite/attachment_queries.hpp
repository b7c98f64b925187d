#pragma once
// SQL for attachments (docs/media.md): uploads, their claim by a message, the
// preview outcome, reclaiming; and the attachments of messages read elsewhere.
// Writes run on the writer thread inside a job's savepoint; reads on a reader
// connection (fill_attachments on either).
//
// Thread-safety: none of their own; each uses the Connection it is given.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/records.hpp"
#include "store/sqlite/connection.hpp"

namespace parley::store::sqlite {

// "[1,2,3]": a list of ids as one parameter, for `IN (SELECT value FROM json_each(?))`.
std::string json_id_list(std::span<const Id> ids);

// The distinct ids of draft.attachments, ascending.
std::vector<Id> distinct_attachment_ids(const MessageRow& draft);

// Replaces the placeholders read_message left in each message's `attachments`
// (rows.hpp) with the attachment rows, in ascending id order: one query for all
// of them, none when no message has any.
Status fill_attachments(Connection& db, std::span<MessageRow* const> messages);
Status fill_attachments(Connection& db, std::vector<MessageRow>& messages);
Status fill_attachments(Connection& db, MessageRow& message);

// Gives `ids` (distinct) to message `message`: each must be an upload of
// `sender` into `conversation`, unattached and not deleted; else conflict
// "attachment_unavailable" (some may have been claimed: the caller's savepoint
// undoes it). Returns the claimed rows in ascending id order.
Result<std::vector<AttachmentRow>> claim_attachments(Connection& db, Id message, Id conversation, Id sender,
                                                     std::span<const Id> ids);
// A deleted message's attachments: deleted_at set (kept if already set).
Status mark_attachments_deleted(Connection& db, Id message, TimeMs at);

Result<std::monostate> insert_attachment(Connection& db, const AttachmentRow& row, TimeMs quota_since,
                                         std::int64_t quota_bytes, const std::optional<JobRow>& preview_job);
Result<std::optional<AttachmentRow>> attachment_by_id(Connection& db, Id id);
Result<std::int64_t> uploaded_bytes_since(Connection& db, Id user, TimeMs since);
Result<std::optional<MessageRow>> finish_preview(Connection& db, Id attachment, const AttachmentRow& outcome,
                                                 Id job_id);
Result<std::vector<AttachmentRow>> reclaimable_attachments(Connection& db, TimeMs unattached_before, int limit);
// Only rows still reclaimable (deleted, or unattached) go, with their preview
// jobs: an upload attached since it was listed stays.
Result<std::monostate> purge_attachments(Connection& db, const std::vector<Id>& ids);

}  // namespace parley::store::sqlite
