#include "store/postgres/appender.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "store/postgres/attachment_queries.hpp"
#include "store/postgres/message_extras.hpp"
#include "store/postgres/message_queries.hpp"
#include "store/postgres/pg_rows.hpp"

namespace parley::store::postgres {

namespace {

using Clock = std::chrono::steady_clock;

// Locked in id order: two transactions that lock overlapping sets (another
// node's appender) cannot deadlock. NO KEY UPDATE still lets other sessions
// insert rows referencing the conversation (members, messages' foreign keys).
const Statement lock_sql{"append_lock",
                         "SELECT id, last_seq, last_change_seq FROM conversations WHERE id = ANY ($1::bigint[])"
                         " ORDER BY id FOR NO KEY UPDATE"};
// One row per job, in job order: is the sender a member, the stored copy of
// a message with the same (conversation, sender, clientMsgId) if any, and the
// message it replies to if that is in the same conversation (k.r = 0: no reply).
const Statement jobs_sql{
    "append_jobs",
    "SELECT k.i, EXISTS (SELECT 1 FROM members mb WHERE mb.conversation_id = k.c AND mb.user_id = k.s), "
    PARLEY_PG_MESSAGE_COLUMNS("m") ", p.id, p.seq, p.sender_id, p.body, p.deleted_at IS NOT NULL"
    " FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[]) WITH ORDINALITY AS k(c, s, cm, r, i)"
    " LEFT JOIN messages m ON m.conversation_id = k.c AND m.sender_id = k.s AND m.client_msg_id = k.cm"
    " LEFT JOIN messages p ON k.r <> 0 AND p.id = k.r AND p.conversation_id = k.c"
    " ORDER BY k.i"};
constexpr int job_message_at = 2;
constexpr int job_parent_at = job_message_at + message_column_count;
// Every new message of the batch and each conversation's new last_seq and
// last_change_seq in one statement. Mentions come as array literals ($13,
// one per message: unnest would flatten a two-dimensional array); reply ids
// as 0 for none. The search index is not written here: the search indexer
// (search_indexer.hpp) catches each conversation up after the commit.
const Statement insert_sql{
    "append_insert",
    "WITH ins AS (INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, created_at, body,"
    " attachment_count, change_seq, reply_to_id, mentions)"
    " SELECT v.c, v.s, v.id, v.sender, v.cm, v.at, v.body, v.n, v.cs, nullif(v.r, 0), v.mn::bigint[]"
    " FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[],"
    " $7::text[], $8::integer[], $12::bigint[], $13::bigint[], $14::text[])"
    "  AS v(c, s, id, sender, cm, at, body, n, cs, r, mn))"
    " UPDATE conversations c SET last_seq = v.s, last_activity_at = greatest(c.last_activity_at, v.a),"
    " last_change_seq = v.cs"
    " FROM unnest($9::bigint[], $10::bigint[], $11::bigint[], $15::bigint[]) AS v(id, s, a, cs) WHERE c.id = v.id"};
// The batch's mentions, for the unread-mention counts (never the sender's own).
const Statement mentions_sql{"append_mentions",
                             "INSERT INTO mentions (conversation_id, user_id, seq, message_id)"
                             " SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[])"
                             " ON CONFLICT DO NOTHING"};

constexpr std::chrono::milliseconds min_backoff{50};
constexpr std::chrono::milliseconds max_backoff{2000};

// The distinct ids of a draft's attachments, ascending.
std::vector<Id> distinct_attachment_ids(const MessageRow& draft) {
  std::vector<Id> ids;
  ids.reserve(draft.attachments.size());
  for (const AttachmentRow& a : draft.attachments) ids.push_back(a.id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

struct Tail {
  Seq last_seq = 0;
  Seq last_change_seq = 0;
  TimeMs last_activity_at = 0;
  bool appended = false;
};

}  // namespace

Appender::Appender(AppenderOptions options, std::unique_ptr<Connection> conn, WriteCounters& counters)
    : options_(std::move(options)), counters_(counters), db_(std::move(conn)) {
  thread_ = std::thread([this] { run(); });
}

Appender::~Appender() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool Appender::submit(AppendJob& job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= static_cast<std::size_t>(options_.max_queue)) return false;
    queue_.push_back(std::move(job));
  }
  counters_.queued.fetch_add(1, std::memory_order_relaxed);
  wake_.notify_one();
  return true;
}

void Appender::run() {
  std::vector<AppendJob> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is stored
      std::size_t n = std::min(queue_.size(), static_cast<std::size_t>(std::max(1, options_.max_batch)));
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    counters_.queued.fetch_sub(static_cast<std::int64_t>(batch.size()), std::memory_order_relaxed);
    process(batch);
    batch.clear();
  }
}

bool Appender::ensure_connected() {
  if (db_ && db_->probe()) return true;
  if (Clock::now() < next_connect_) return false;
  db_.reset();
  auto fresh = Connection::connect(options_.conninfo, options_.connect_timeout_s);
  if (!fresh) {
    connect_error_ = fresh.error();
    backoff_ = std::clamp(backoff_ * 2, min_backoff, max_backoff);
    next_connect_ = Clock::now() + backoff_;
    return false;
  }
  backoff_ = std::chrono::milliseconds{0};
  db_ = std::move(*fresh);
  return true;
}

void Appender::fail_all(std::vector<AppendJob>& batch, const Error& error) {
  counters_.jobs.fetch_add(batch.size(), std::memory_order_relaxed);
  for (AppendJob& job : batch) job.done(error);
}

void Appender::process(std::vector<AppendJob>& batch) {
  if (!ensure_connected()) {
    Error e = Error::unavailable(connect_error_.message.empty() ? describe_target(options_.conninfo) +
                                                                      ": connection lost; reconnecting"
                                                                : connect_error_.message);
    fail_all(batch, e);
    return;
  }
  store_range(std::span<AppendJob>(batch));
}

void Appender::store_range(std::span<AppendJob> jobs) {
  if (jobs.size() == 1) {
    counters_.jobs.fetch_add(1, std::memory_order_relaxed);
    jobs[0].done(try_alone(jobs[0]));
    return;
  }
  auto outcomes = try_batch(jobs);
  if (outcomes) {
    counters_.jobs.fetch_add(jobs.size(), std::memory_order_relaxed);
    for (std::size_t i = 0; i < jobs.size(); ++i) jobs[i].done(std::move((*outcomes)[i]));
    return;
  }
  if (!db_ || db_->broken()) {
    // Lost connection: every job's outcome is the batch's (unknown: unavailable).
    counters_.jobs.fetch_add(jobs.size(), std::memory_order_relaxed);
    for (AppendJob& job : jobs) job.done(outcomes.error());
    return;
  }
  // One job's fault (a clashing id, text the server refuses) failed the
  // statement: halve, so that the innocent halves still commit as batches and
  // the guilty job ends up alone after log2(n) rollbacks. The first half goes
  // first, so a conversation's appends keep their order.
  std::size_t half = jobs.size() / 2;
  store_range(jobs.first(half));
  store_range(jobs.subspan(half));
}

Result<AppendResult> Appender::try_alone(const AppendJob& job) {
  // Two attempts: the first may lose a race with another node storing the
  // same (conversation, sender, clientMsgId); the second then finds its copy.
  Error last = Error::internal("append_message: not attempted");
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!ensure_connected()) return Error::unavailable(connect_error_.message);
    auto outcomes = try_batch(std::span<const AppendJob>(&job, 1));
    if (outcomes) return std::move((*outcomes)[0]);
    last = outcomes.error();
    if (!db_ || db_->broken() || db_->last_sqlstate() != "23505") break;
    if (db_->last_constraint() == "messages_by_id") return Error::conflict("id_taken", "a message with this id exists");
  }
  if (last.kind == ErrorKind::not_found) return Error::not_found("unknown sender");
  return last;
}

Result<Appender::Outcomes> Appender::try_batch(std::span<const AppendJob> jobs) {
  // A reconnect that failed during an earlier part of a split batch left no connection.
  if (!db_) return Error::unavailable(connect_error_.message);
  Connection& db = *db_;
  std::vector<Id> conversations;
  std::vector<Id> senders;
  std::vector<std::string_view> client_ids;
  for (const AppendJob& job : jobs) {
    conversations.push_back(job.draft.conversation_id);
    senders.push_back(job.draft.sender_id);
    client_ids.emplace_back(job.draft.client_msg_id);
  }
  std::vector<Id> reply_ids;
  for (const AppendJob& job : jobs) reply_ids.push_back(job.draft.reply_to_id.value_or(0));
  std::vector<Id> distinct = conversations;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());

  auto fail = [&](Error e) -> Result<Outcomes> {
    db.rollback();
    counters_.failed_transactions.fetch_add(1, std::memory_order_relaxed);
    return e;
  };
  if (auto r = db.exec("BEGIN"); !r) return fail(r.error());
  auto locked = db.run(lock_sql, Params{}.add(int_array(distinct)));
  if (!locked) return fail(locked.error());
  std::unordered_map<Id, Tail> tails;
  for (int i = 0; i < locked->rows(); ++i) {
    Tail& tail = tails[locked->i64(i, 0)];
    tail.last_seq = locked->i64(i, 1);
    tail.last_change_seq = locked->i64(i, 2);
  }
  auto found = db.run(jobs_sql, Params{}
                                    .add(int_array(conversations))
                                    .add(int_array(senders))
                                    .add(text_array(client_ids))
                                    .add(int_array(reply_ids)));
  if (!found) return fail(found.error());
  if (found->rows() != static_cast<int>(jobs.size())) return fail(Error::internal("append: one row per job expected"));

  Outcomes outcomes;
  outcomes.reserve(jobs.size());
  std::vector<MessageRow> fresh;  // the rows this batch inserts
  std::vector<std::size_t> fresh_of_job(jobs.size(), SIZE_MAX);
  std::vector<char> creates(jobs.size(), 0);  // the job whose row it is (not a repeat within the batch)
  std::map<std::tuple<Id, Id, std::string_view>, std::size_t> fresh_by_key;
  // Attachments the new messages claim, one entry per (attachment, message).
  std::vector<Id> claim_ids, claim_messages, claim_conversations, claim_senders;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const MessageRow& draft = jobs[i].draft;
    const int row = static_cast<int>(i);
    auto tail = tails.find(draft.conversation_id);
    if (tail == tails.end() || !found->boolean(row, 1)) {
      outcomes.emplace_back(Error::not_found("no such conversation"));
      continue;
    }
    if (!found->is_null(row, job_message_at)) {
      // A repeat: its attachments, reactions and quote are read before COMMIT, below.
      outcomes.emplace_back(AppendResult{read_message(*found, row, job_message_at), false});
      continue;
    }
    std::optional<ReplyQuote> quote;
    if (draft.reply_to_id) {
      if (found->is_null(row, job_parent_at)) {
        // Not a message of this conversation: this job fails alone, and takes no seq.
        outcomes.emplace_back(
            Error::conflict("reply_unavailable", "the message replied to is not in this conversation"));
        continue;
      }
      quote.emplace();
      quote->id = found->i64(row, job_parent_at);
      quote->seq = found->i64(row, job_parent_at + 1);
      quote->sender_id = found->i64(row, job_parent_at + 2);
      quote->deleted = found->boolean(row, job_parent_at + 4);
      if (!quote->deleted) quote->body = found->text(row, job_parent_at + 3);
    }
    auto key = std::make_tuple(draft.conversation_id, draft.sender_id, std::string_view(draft.client_msg_id));
    if (auto same = fresh_by_key.find(key); same != fresh_by_key.end()) {
      // A repeat within this batch: answered with the copy this batch stores.
      fresh_of_job[i] = same->second;
      outcomes.emplace_back(Error::internal("pending"));
      continue;
    }
    MessageRow m = draft;
    m.seq = ++tail->second.last_seq;
    m.change_seq = ++tail->second.last_change_seq;
    m.deleted_at.reset();
    m.edited_at.reset();
    m.reply_to = std::move(quote);
    m.mentions = normalized_mentions(m.mentions);
    m.reactions.clear();
    if (!m.attachments.empty()) {
      // Claimed below; the row keeps the distinct ids until the claim answers.
      for (Id a : distinct_attachment_ids(draft)) {
        claim_ids.push_back(a);
        claim_messages.push_back(m.id);
        claim_conversations.push_back(m.conversation_id);
        claim_senders.push_back(m.sender_id);
      }
      m.attachments.clear();
    }
    tail->second.last_activity_at = std::max(tail->second.last_activity_at, m.created_at);
    tail->second.appended = true;
    fresh_by_key.emplace(key, fresh.size());
    fresh_of_job[i] = fresh.size();
    creates[i] = 1;
    fresh.push_back(std::move(m));
    outcomes.emplace_back(Error::internal("pending"));
  }

  if (!fresh.empty()) {
    std::vector<std::int64_t> c, s, id, sender, at, count, cs, reply;
    std::vector<std::string_view> cm, body, mentions;
    std::vector<std::string> mention_literals;
    mention_literals.reserve(fresh.size());
    std::vector<std::int64_t> mc, mu, ms, mm;  // the mentions table's rows
    std::unordered_map<Id, std::int64_t> wanted;  // message id -> attachments it claims
    for (std::size_t k = 0; k < claim_messages.size(); ++k) ++wanted[claim_messages[k]];
    for (const MessageRow& m : fresh) {
      c.push_back(m.conversation_id);
      s.push_back(m.seq);
      id.push_back(m.id);
      sender.push_back(m.sender_id);
      cm.emplace_back(m.client_msg_id);
      at.push_back(m.created_at);
      body.emplace_back(m.body);
      auto w = wanted.find(m.id);
      count.push_back(w == wanted.end() ? 0 : w->second);
      cs.push_back(m.change_seq);
      reply.push_back(m.reply_to_id.value_or(0));
      mention_literals.push_back(int_array(m.mentions));
      for (Id u : m.mentions) {
        if (u == m.sender_id) continue;
        mc.push_back(m.conversation_id);
        mu.push_back(u);
        ms.push_back(m.seq);
        mm.push_back(m.id);
      }
    }
    for (const std::string& literal : mention_literals) mentions.emplace_back(literal);
    std::vector<std::int64_t> tc, ts, ta, tcs;
    for (const auto& [conversation, tail] : tails) {
      if (!tail.appended) continue;
      tc.push_back(conversation);
      ts.push_back(tail.last_seq);
      ta.push_back(tail.last_activity_at);
      tcs.push_back(tail.last_change_seq);
    }
    Params p;
    p.add(int_array(c)).add(int_array(s)).add(int_array(id)).add(int_array(sender)).add(text_array(cm));
    p.add(int_array(at)).add(text_array(body)).add(int_array(count));
    p.add(int_array(tc)).add(int_array(ts)).add(int_array(ta));
    p.add(int_array(cs)).add(int_array(reply)).add(text_array(mentions));
    p.add(int_array(tcs));
    if (auto r = db.run(insert_sql, p); !r) return fail(r.error());
    if (!mc.empty()) {
      auto r = db.run(mentions_sql, Params{}.add(int_array(mc)).add(int_array(mu)).add(int_array(ms)).add(int_array(mm)));
      if (!r) return fail(r.error());
    }
    if (!claim_ids.empty()) {
      auto claimed = claim_attachments(db, claim_ids, claim_messages, claim_conversations, claim_senders);
      if (!claimed) return fail(claimed.error());
      if (claimed->size() != claim_ids.size()) {
        // Some job named an attachment it may not have: the batch is halved
        // until that job is alone, and only it fails.
        return fail(Error::conflict("attachment_unavailable",
                                    "an attachment is not an unused upload of the sender into this conversation"));
      }
      std::unordered_map<Id, std::size_t> fresh_by_id;
      for (std::size_t k = 0; k < fresh.size(); ++k) fresh_by_id.emplace(fresh[k].id, k);
      for (AttachmentRow& a : *claimed) {
        auto owner = fresh_by_id.find(a.message_id.value_or(0));
        if (owner != fresh_by_id.end()) fresh[owner->second].attachments.push_back(std::move(a));
      }
      for (MessageRow& m : fresh) {
        std::sort(m.attachments.begin(), m.attachments.end(),
                  [](const AttachmentRow& x, const AttachmentRow& y) { return x.id < y.id; });
      }
    }
  }
  {
    // Repeats: what they need beyond their row, read in this transaction
    // (one query each for attachments, reactions, quotes; none if none needs it).
    std::vector<MessageRow*> repeats;
    for (auto& outcome : outcomes) {
      if (outcome.ok()) repeats.push_back(&outcome->message);
    }
    if (Status st = complete_messages(db, repeats); !st) return fail(st.error());
  }
  auto started = Clock::now();
  if (auto r = db.exec("COMMIT"); !r) {
    // The connection dropped during COMMIT: the outcome is unknown.
    counters_.failed_transactions.fetch_add(1, std::memory_order_relaxed);
    return r.error();
  }
  counters_.append_transactions.fetch_add(1, std::memory_order_relaxed);
  counters_.committed(jobs.size(),
                      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                     Clock::now() - started)
                                                     .count()));
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (fresh_of_job[i] == SIZE_MAX) continue;
    outcomes[i] = AppendResult{fresh[fresh_of_job[i]], creates[i] != 0};
  }
  if (options_.on_commit && !fresh.empty()) {
    std::vector<Id> changed;
    for (const auto& [conversation, tail] : tails) {
      if (tail.appended) changed.push_back(conversation);
    }
    options_.on_commit(changed);
  }
  return outcomes;
}

}  // namespace parley::store::postgres
