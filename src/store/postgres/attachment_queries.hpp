#pragma once
// The attachments' SQL (docs/media.md): same semantics as the SQLite store's
// attachment_queries (store.hpp). Claiming attachments for new messages is the
// appender's (appender.cpp, in its batch transaction); the attachments of
// messages read elsewhere are filled here. insert_attachment and
// finish_preview run their own transaction on `db`.
//
// Thread-safety: the caller holds the Connection for the call.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/records.hpp"

namespace parley::store::postgres {

// Replaces the placeholders read_message left in each message's `attachments`
// (pg_rows.hpp) with the rows, in ascending id order: one query for all of
// them, none (no round trip) when no message has any.
Status fill_attachments(Connection& db, std::span<MessageRow* const> messages);
Status fill_attachments(Connection& db, std::vector<MessageRow>& messages);
Status fill_attachments(Connection& db, MessageRow& message);

// Claims for messages being appended, in the caller's transaction: entry i
// gives attachment ids[i] to message messages[i] if it is an unattached,
// undeleted upload of senders[i] into conversations[i]. Returns the rows
// claimed (in no order); a missing one means its claim was refused.
Result<std::vector<AttachmentRow>> claim_attachments(Connection& db, const std::vector<Id>& ids,
                                                     const std::vector<Id>& messages,
                                                     const std::vector<Id>& conversations,
                                                     const std::vector<Id>& senders);

Status insert_attachment(Connection& db, const AttachmentRow& row, TimeMs quota_since, std::int64_t quota_bytes,
                         const std::optional<JobRow>& preview_job);
Result<std::optional<AttachmentRow>> attachment_by_id(Connection& db, Id id);
Result<std::int64_t> uploaded_bytes_since(Connection& db, Id user, TimeMs since);
Result<std::optional<MessageRow>> finish_preview(Connection& db, Id attachment, const AttachmentRow& outcome,
                                                 Id job_id);
Result<std::vector<AttachmentRow>> reclaimable_attachments(Connection& db, TimeMs unattached_before, int limit);
// Only rows still reclaimable (deleted, or unattached) go, with their preview
// jobs: an upload attached since it was listed stays.
Status purge_attachments(Connection& db, const std::vector<Id>& ids);

}  // namespace parley::store::postgres
