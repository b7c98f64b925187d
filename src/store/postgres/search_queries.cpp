#include "store/postgres/search_queries.hpp"

#include <algorithm>

#include "store/postgres/message_extras.hpp"
#include "store/postgres/pg_rows.hpp"

namespace parley::store::postgres {

namespace {

// Membership is a join, not a filter on results: a conversation the caller
// left contributes nothing. The entry may be older than the message (the
// indexer lags a little): deleted messages are filtered here, and an edited
// message is found by its indexed words until its new entry is in; the
// snippet is always made from the body as it is now. Ties in rank go to the newest (ids follow time).
// The snippet: one fragment of at most 32 words around the best match, the
// marks as records.hpp says; "…" is added where it was shortened (below).
// ts_headline's parser drops what looks like an HTML tag, so the body goes in
// with each '<' replaced by a control character it does not contain (the
// first free one of a list; the last column says which, restored in C++;
// NULL, for a body holding all of them: the body as it is).
const Statement search_sql{
    "messages_search",
    "SELECT " PARLEY_PG_MESSAGE_COLUMNS("m") ","
    " ts_headline('parley_search', CASE WHEN h.n IS NULL THEN m.body ELSE replace(m.body, '<', chr(h.n)) END,"
    "  q.q, $7), h.n"
    " FROM (SELECT to_tsquery('parley_search', $2) AS q) q, members mb"
    " JOIN message_search s ON s.conversation_id = mb.conversation_id"
    " JOIN messages m ON m.id = s.message_id"
    " CROSS JOIN LATERAL (SELECT (SELECT n FROM unnest('{1,4,5,6,7,8,11,12,14,15,16,17,18,19,20,21,22,23,24,25,"
    "26,27,28,29,30,31}'::integer[]) AS n WHERE strpos(m.body, chr(n)) = 0 LIMIT 1) AS n) h"
    " WHERE mb.user_id = $1 AND ($3::bigint IS NULL OR mb.conversation_id = $3::bigint)"
    " AND ($4::bigint IS NULL OR s.message_id < $4::bigint) AND m.deleted_at IS NULL AND s.tsv @@ q.q"
    " ORDER BY ts_rank(s.tsv, q.q) DESC, s.message_id DESC LIMIT $5 OFFSET $6"};

const Statement targets_sql{
    "search_targets",
    "SELECT c.id, c.last_change_seq FROM members mb JOIN conversations c ON c.id = mb.conversation_id"
    " LEFT JOIN search_progress p ON p.conversation_id = c.id"
    " WHERE mb.user_id = $1 AND ($2::bigint IS NULL OR c.id = $2::bigint)"
    " AND c.last_change_seq > coalesce(p.change_seq, 0)"};
const Statement short_of_sql{
    "search_index_short_of",
    "SELECT EXISTS (SELECT 1 FROM unnest($1::bigint[], $2::bigint[]) AS w(c, cs)"
    " LEFT JOIN search_progress p ON p.conversation_id = w.c WHERE coalesce(p.change_seq, 0) < w.cs)"};

bool word_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

std::string headline_options() {
  std::string o = "MaxFragments=1, MaxWords=32, MinWords=12, ShortWord=0, HighlightAll=false, StartSel=";
  o += kSnippetOpen;
  o += ", StopSel=";
  o += kSnippetClose;
  return o;
}

// The headline without its marks.
std::string unmarked(std::string_view snippet) {
  std::string out;
  for (char c : snippet) {
    if (c != kSnippetOpen && c != kSnippetClose) out += c;
  }
  return out;
}

std::string_view trimmed(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// "…" at either end the fragment does not reach.
std::string with_ellipses(std::string snippet, std::string_view body) {
  const std::string plain = unmarked(snippet);
  const std::string_view core = trimmed(plain);
  if (core.empty()) return snippet;
  const std::string_view whole = trimmed(body);
  const bool at_start = whole.substr(0, core.size()) == core;
  const bool at_end = whole.size() >= core.size() && whole.substr(whole.size() - core.size()) == core;
  std::string out;
  if (!at_start) out += "…";
  out += std::string(trimmed(snippet));
  if (!at_end) out += "…";
  return out;
}

}  // namespace

std::string tsquery_of(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !word_byte(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t start = i;
    while (i < text.size() && word_byte(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  std::string out;
  for (std::size_t k = 0; k < words.size(); ++k) {
    if (k != 0) out += " & ";
    out += '\'';
    for (char c : words[k]) {
      if (c == '\'') out += '\'';
      if (c == '\\') out += '\\';
      out += c;
    }
    out += '\'';
    if (k + 1 == words.size()) out += ":*";
  }
  return out;
}

Result<std::vector<SearchHit>> search_messages(Connection& db, const SearchQuery& query) {
  std::vector<SearchHit> out;
  const std::string tsquery = tsquery_of(query.text);
  if (tsquery.empty() || query.limit <= 0) return out;
  Params p;
  p.add(query.user).add(tsquery);
  p.add(query.conversation ? std::optional<std::int64_t>(*query.conversation) : std::nullopt);
  p.add(query.before ? std::optional<std::int64_t>(*query.before) : std::nullopt);
  p.add(std::int64_t{query.limit}).add(std::int64_t{std::max(0, query.offset)}).add(headline_options());
  auto r = db.run(search_sql, p);
  if (!r) return r.error();
  std::vector<MessageRow> rows;
  rows.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) rows.push_back(read_message(*r, i, 0));
  if (Status s = complete_messages(db, rows); !s) return s.error();
  for (int i = 0; i < r->rows(); ++i) {
    std::string headline = r->text(i, message_column_count);
    if (auto placeholder = r->opt_i64(i, message_column_count + 1)) {
      std::replace(headline.begin(), headline.end(), static_cast<char>(*placeholder), '<');
    }
    std::string snippet = with_ellipses(std::move(headline), rows[i].body);
    out.push_back(SearchHit{std::move(rows[i]), std::move(snippet)});
  }
  return out;
}

Result<IndexTargets> search_targets(Connection& db, Id user, std::optional<Id> conversation) {
  auto r = db.run(targets_sql, Params{}.add(user).add(conversation ? std::optional<std::int64_t>(*conversation)
                                                                    : std::nullopt));
  if (!r) return r.error();
  IndexTargets out;
  for (int i = 0; i < r->rows(); ++i) {
    out.conversations.push_back(r->i64(i, 0));
    out.change_seqs.push_back(r->i64(i, 1));
  }
  return out;
}

Result<bool> search_index_short_of(Connection& db, const IndexTargets& targets) {
  if (targets.conversations.empty()) return false;
  auto r = db.run(short_of_sql, Params{}.add(int_array(targets.conversations)).add(int_array(targets.change_seqs)));
  if (!r) return r.error();
  return r->boolean(0, 0);
}

}  // namespace parley::store::postgres
