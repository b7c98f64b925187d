// parley-search-bench: full-text search latency in the embedded (SQLite) store
// (docs/features.md, "Search"), through store::open_store like the server, without
// the server. Fills a fresh store in a temporary folder with `--messages` messages
// of chat-like text (words drawn from a Zipf-like distribution over a fixed
// vocabulary) in `--conversations` conversations of 3–8 members, appended with
// append_message_async as the server does (closed loop, `--window` in flight), then
// runs `--searches` searches of each shape as `--searchers` users who are each a
// member of `--member-of` conversations, one at a time, and prints one line per
// shape: p50/p99 latency and the mean hits. Most searches are built from words of
// messages the searcher can see (a sample kept while filling), as people search
// for what they remember; see kShapes. docs/benchmarks.md ("Search") quotes it.
//
//   build/release/bench/parley-search-bench --messages 1000000
//   build/release/bench/parley-search-bench --messages 100000 --searches 100   # quick
//   build/release/bench/parley-search-bench --messages 200000 --search-index off  # fill rate only
//
// The folder is removed at exit unless --keep. Deterministic for a given --seed.

#include <CLI/CLI.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "store/open_store.hpp"

namespace {

using namespace parley;
using namespace parley::store;
using SteadyClock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// The most frequent words of chat text, most frequent first (ranks 1..N of the
// vocabulary); generated pronounceable words follow them for the long tail.
constexpr std::array kCommonWords = {
    "the", "i", "to", "you", "a", "and", "it", "is", "that", "of", "in", "we", "for", "on", "this", "be", "have",
    "do", "not", "with", "so", "can", "just", "are", "will", "at", "if", "but", "me", "what", "my", "was", "ok",
    "yes", "no", "get", "it's", "there", "all", "about", "think", "know", "one", "out", "up", "now", "like", "go",
    "here", "time", "good", "thanks", "see", "they", "how", "from", "then", "would", "should", "could", "need",
    "today", "tomorrow", "meeting", "call", "let", "when", "want", "work", "check", "sure", "more", "some", "new",
    "back", "fix", "build", "test", "release", "review", "please", "morning", "later", "still", "done", "yeah",
    "also", "any", "maybe", "week", "file", "issue", "bug", "deploy", "server", "branch", "merge", "doc", "team",
    "lunch", "again", "right", "sorry", "looks", "great", "update", "question", "problem", "idea", "plan",
    "customer", "change", "before", "after", "because", "which", "where", "who", "last", "next", "first", "only",
    "into", "over", "our", "your", "their", "them", "him", "her", "did", "has", "had", "been", "than", "too",
    "very", "much", "well", "way", "said", "take", "make", "look", "give", "find", "tell", "ask", "try", "feel",
    "leave", "put", "mean", "keep", "begin", "seem", "help", "talk", "turn", "start", "show", "hear", "play",
    "run", "move", "live", "believe", "bring", "happen", "write", "provide", "sit", "stand", "lose", "pay",
    "meet", "include", "continue", "set", "learn", "lead", "understand", "watch", "follow", "stop", "create",
    "speak", "read", "allow", "add", "spend", "grow", "open", "walk", "win", "offer", "remember", "love",
    "consider", "appear", "buy", "wait", "serve", "die", "send", "expect", "stay", "fall", "cut", "reach",
    "kill", "remain", "suggest", "raise", "pass", "sell", "require", "report", "decide", "pull"};

// `n` distinct words: the common ones, then syllable words of 2–4 syllables.
std::vector<std::string> make_vocabulary(std::size_t n, std::mt19937_64& rng) {
  static constexpr std::array kOnsets = {"b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t",
                                         "v", "w", "z", "br", "ch", "cl", "dr", "fl", "gr", "pl", "pr", "sh", "st",
                                         "th", "tr"};
  static constexpr std::array kNuclei = {"a", "e", "i", "o", "u", "ai", "ea", "ee", "oo", "ou"};
  static constexpr std::array kCodas = {"", "", "", "n", "r", "s", "t", "l", "m", "nd", "rt", "st", "ck"};
  std::vector<std::string> words(kCommonWords.begin(), kCommonWords.end());
  std::unordered_set<std::string> seen(words.begin(), words.end());
  std::uniform_int_distribution<int> syllables(2, 4);
  while (words.size() < n) {
    std::string w;
    for (int s = syllables(rng); s > 0; --s) {
      w += kOnsets[rng() % kOnsets.size()];
      w += kNuclei[rng() % kNuclei.size()];
      w += kCodas[rng() % kCodas.size()];
    }
    if (seen.insert(w).second) words.push_back(std::move(w));
  }
  return words;
}

// Draws ranks 0..n-1 with P(rank k) ∝ 1/(k+1)^s: the shape of word frequencies in text.
class Zipf {
 public:
  Zipf(std::size_t n, double s) : cdf_(n) {
    double sum = 0;
    for (std::size_t k = 0; k < n; ++k) cdf_[k] = (sum += 1.0 / std::pow(static_cast<double>(k + 1), s));
    for (double& c : cdf_) c /= sum;
  }
  std::size_t operator()(std::mt19937_64& rng) const {
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<std::size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

struct Shape {
  const char* name;
  const char* what;
};

// Most shapes look for something the searcher has seen: words of a message of
// one of their conversations, sampled while filling (people search for what they
// remember). "absent" looks for a word others use: matches the searcher may not see.
constexpr std::array kShapes = {
    Shape{"rare", "the rarest word of a message the searcher can see"},
    Shape{"two-words", "the rarest word of a visible message and another of its words"},
    Shape{"prefix", "the first 3 letters of the rarest word of a visible message, as typed"},
    Shape{"one-conversation", "the rarest word of a visible message, in its conversation only"},
    Shape{"common", "one word of rank 1-50 (\"the\", \"meeting\")"},
    Shape{"absent", "a word of rank 2,000-20,000, most of whose messages the searcher cannot see"},
};

// A message of a searcher's conversation, kept to build searches from.
struct Remembered {
  Id conversation = 0;
  std::vector<std::uint32_t> ranks;  // its words' vocabulary ranks, in order
};

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

std::uint64_t folder_bytes(const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  long messages_n = 1'000'000;
  int conversations_n = 5'000;
  int users_n = 5'000;
  int searchers_n = 10;
  int member_of = 40;
  int searches_n = 200;
  double shape_seconds = 120;
  int window = 512;
  int vocabulary_n = 50'000;
  double zipf_s = 1.07;
  std::string search_index = "on";
  std::string dir_option;
  bool keep = false;
  std::uint64_t seed = 16;
  CLI::App cli{"full-text search latency in the SQLite store over a filled store"};
  cli.add_option("--messages", messages_n, "messages to store")->check(CLI::Range(1000L, 100'000'000L))->capture_default_str();
  cli.add_option("--conversations", conversations_n, "conversations, 3-8 members each")->check(CLI::Range(10, 10'000'000))->capture_default_str();
  cli.add_option("--users", users_n, "users (members are drawn from them)")->check(CLI::Range(20, 10'000'000))->capture_default_str();
  cli.add_option("--searchers", searchers_n, "users who search, in turn")->check(CLI::Range(1, 1000))->capture_default_str();
  cli.add_option("--member-of", member_of, "conversations each searcher is a member of")->check(CLI::Range(1, 100'000))->capture_default_str();
  cli.add_option("--searches", searches_n, "measured searches per shape")->check(CLI::Range(1, 1'000'000))->capture_default_str();
  cli.add_option("--shape-seconds", shape_seconds, "stop a shape's searches once they took this long in all")
      ->check(CLI::Range(1.0, 86400.0))->capture_default_str();
  cli.add_option("--window", window, "appends in flight while filling")->check(CLI::Range(1, 60'000))->capture_default_str();
  cli.add_option("--vocabulary", vocabulary_n, "distinct words")->check(CLI::Range(1000, 10'000'000))->capture_default_str();
  cli.add_option("--zipf", zipf_s, "Zipf exponent of word frequencies")->capture_default_str();
  cli.add_option("--search-index", search_index, "the store's index (off: fill only)")->check(CLI::IsMember({"on", "off"}))->capture_default_str();
  cli.add_option("--dir", dir_option, "data folder to create the store in (default: a new one under the temp folder)");
  cli.add_option("--seed", seed, "random seed")->capture_default_str();
  cli.add_flag("--keep", keep, "keep the data folder");
  CLI11_PARSE(cli, argc, argv);
  if (member_of > conversations_n) member_of = conversations_n;

  fs::path dir;
  if (dir_option.empty()) {
    std::string pattern = (fs::temp_directory_path() / "parley-search-bench.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("search-bench: mkdtemp");
      return 1;
    }
    dir = pattern;
  } else {
    dir = dir_option;
    fs::create_directories(dir);
  }
  struct Cleanup {
    fs::path dir;
    bool keep;
    ~Cleanup() {
      std::error_code ec;
      if (!keep) fs::remove_all(dir, ec);
    }
  } cleanup{dir, keep};

  StoreConfig config;
  config.data_dir = dir.string();
  config.search.enabled = search_index == "on";
  auto opened = open_store(config);
  if (!opened.ok()) {
    std::fprintf(stderr, "search-bench: %s\n", opened.error().message.c_str());
    return 1;
  }
  std::unique_ptr<Store> store_owner = std::move(*opened);
  Store& store = *store_owner;

  std::mt19937_64 rng(seed);
  const auto vocabulary = make_vocabulary(static_cast<std::size_t>(vocabulary_n), rng);
  const Zipf word_rank(vocabulary.size(), zipf_s);

  // ---- users and conversations. Searchers are users 1..searchers_n; each is in
  // `member_of` conversations, spread evenly over all of them.
  const Id user_base = 1'000'000;
  const Id conversation_base = 10'000'000;
  const auto setup_start = SteadyClock::now();
  // Setup writes block until committed: from 32 threads at once, so that the
  // writer's group commit takes them many per transaction.
  auto in_parallel = [](int n, const std::function<bool(int)>& one) {
    std::atomic<int> next{0};
    std::atomic<bool> ok{true};
    std::vector<std::thread> threads;
    for (int t = 0; t < 32; ++t)
      threads.emplace_back([&] {
        for (int i; ok && (i = next++) < n;)
          if (!one(i)) ok = false;
      });
    for (auto& t : threads) t.join();
    return ok.load();
  };
  if (!in_parallel(users_n, [&](int i) {
        std::string name = "user" + std::to_string(i + 1);
        return store.insert_user(UserRow{user_base + i + 1, name, name + "@bench", name, "-", 1, 0}).ok();
      })) {
    std::fprintf(stderr, "search-bench: insert_user failed\n");
    return 1;
  }
  std::vector<std::vector<Id>> members(static_cast<std::size_t>(conversations_n));
  std::vector<std::vector<int>> searchers_in(static_cast<std::size_t>(conversations_n));
  std::uniform_int_distribution<int> member_count(3, 8);
  std::uniform_int_distribution<int> any_user(searchers_n + 1, users_n);
  for (int s = 0; s < searchers_n; ++s) {
    for (int k = 0; k < member_of; ++k) {
      // An even spread, shifted per searcher, so searchers share some conversations.
      auto c = static_cast<std::size_t>((static_cast<long>(k) * conversations_n / member_of + s * 7) % conversations_n);
      if (std::find(members[c].begin(), members[c].end(), user_base + s + 1) == members[c].end()) {
        members[c].push_back(user_base + s + 1);
        searchers_in[c].push_back(s);
      }
    }
  }
  for (int c = 0; c < conversations_n; ++c) {
    auto& m = members[static_cast<std::size_t>(c)];
    for (int want = member_count(rng); static_cast<int>(m.size()) < want;) {
      Id u = user_base + any_user(rng);
      if (std::find(m.begin(), m.end(), u) == m.end()) m.push_back(u);
    }
  }
  if (!in_parallel(conversations_n, [&](int c) {
        const auto& m = members[static_cast<std::size_t>(c)];
        ConversationRow row{conversation_base + c, ConversationType::group, "conversation " + std::to_string(c), m[0],
                            1, 0, 0};
        std::vector<MemberRow> rows;
        for (Id u : m) rows.push_back(MemberRow{row.id, u, u == m[0] ? MemberRole::admin : MemberRole::member, 0, 1});
        return store.create_conversation(row, rows).ok();
      })) {
    std::fprintf(stderr, "search-bench: create_conversation failed\n");
    return 1;
  }
  std::fprintf(stderr, "search-bench: %d users and %d conversations created in %.1f s\n", users_n, conversations_n,
               std::chrono::duration<double>(SteadyClock::now() - setup_start).count());

  // ---- fill. Conversation activity is skewed too (a few busy ones, many quiet);
  // message length 1–40 words, mostly 4–15.
  const Zipf conversation_rank(static_cast<std::size_t>(conversations_n), 0.6);
  std::vector<std::size_t> conversation_of_rank(static_cast<std::size_t>(conversations_n));
  for (std::size_t i = 0; i < conversation_of_rank.size(); ++i) conversation_of_rank[i] = i;
  std::shuffle(conversation_of_rank.begin(), conversation_of_rank.end(), rng);
  std::lognormal_distribution<double> length(2.1, 0.6);

  constexpr std::size_t kRemembered = 4096;
  std::vector<std::vector<Remembered>> remembered(static_cast<std::size_t>(searchers_n));
  std::vector<std::uint64_t> visible(static_cast<std::size_t>(searchers_n));

  std::mutex mu;
  std::condition_variable freed;
  int in_flight = 0;  // GUARDED_BY(mu)
  long failed = 0;    // GUARDED_BY(mu)
  std::string first_error;  // GUARDED_BY(mu)
  std::uint64_t body_bytes = 0;
  const TimeMs t0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count() - messages_n;
  const auto fill_start = SteadyClock::now();
  auto last_progress = fill_start;
  for (long i = 0; i < messages_n; ++i) {
    auto c = conversation_of_rank[conversation_rank(rng)];
    const auto& m = members[c];
    MessageRow draft;
    draft.id = 100'000'000 + i;
    draft.conversation_id = conversation_base + static_cast<Id>(c);
    draft.sender_id = m[rng() % m.size()];
    int words = std::clamp(static_cast<int>(length(rng)), 1, 40);
    Remembered message{draft.conversation_id, {}};
    for (int w = 0; w < words; ++w) {
      if (w) draft.body += ' ';
      auto rank = word_rank(rng);
      draft.body += vocabulary[rank];
      message.ranks.push_back(static_cast<std::uint32_t>(rank));
    }
    // A uniform sample (reservoir) of each searcher's visible messages.
    for (int s : searchers_in[c]) {
      auto& kept = remembered[static_cast<std::size_t>(s)];
      auto seen = ++visible[static_cast<std::size_t>(s)];
      if (kept.size() < kRemembered) {
        kept.push_back(message);
      } else if (auto slot = rng() % seen; slot < kRemembered) {
        kept[slot] = message;
      }
    }
    body_bytes += draft.body.size();
    draft.client_msg_id = std::to_string(i);
    draft.created_at = t0 + i;
    std::unique_lock lock(mu);
    freed.wait(lock, [&] { return in_flight < window; });
    ++in_flight;
    lock.unlock();
    // The completion only counts and wakes this thread (it must not call the store).
    store.append_message_async(std::move(draft), [&](Result<AppendResult> result) {
      {
        std::lock_guard g(mu);
        --in_flight;
        if (!result.ok() && failed++ == 0) first_error = result.error().message;
      }
      freed.notify_one();
    });
    if (auto now = SteadyClock::now(); now - last_progress > std::chrono::seconds(10)) {
      last_progress = now;
      std::fprintf(stderr, "search-bench: %ld messages stored\n", i);
    }
  }
  {
    std::unique_lock lock(mu);
    freed.wait(lock, [&] { return in_flight == 0; });
    if (failed) {
      std::fprintf(stderr, "search-bench: %ld appends failed, the first: %s\n", failed, first_error.c_str());
      return 1;
    }
  }
  const double fill_s = std::chrono::duration<double>(SteadyClock::now() - fill_start).count();
  std::printf("search-bench: fill %ld messages (%.0f bytes of text each on average) in %d conversations, "
              "index %s: %.1f s, %.0f messages/s; data folder %.0f MB\n",
              messages_n, static_cast<double>(body_bytes) / static_cast<double>(messages_n), conversations_n,
              search_index.c_str(), fill_s, static_cast<double>(messages_n) / fill_s,
              static_cast<double>(folder_bytes(dir)) / 1e6);
  const StoreStats stats = store.stats();
  std::fprintf(stderr, "search-bench: fill: %llu write transactions, largest batch %llu, %.1f s in COMMIT, %llu checkpoints\n",
               static_cast<unsigned long long>(stats.write_transactions),
               static_cast<unsigned long long>(stats.largest_write_batch), stats.commit_seconds,
               static_cast<unsigned long long>(stats.checkpoints));
  std::fflush(stdout);
  // Closing checkpoints the WAL into the database file: timed apart, not part of the fill.
  auto close = [&] {
    const auto at = SteadyClock::now();
    store_owner.reset();
    std::fprintf(stderr, "search-bench: store closed in %.1f s\n",
                 std::chrono::duration<double>(SteadyClock::now() - at).count());
  };
  if (search_index == "off") {
    close();
    return 0;
  }

  // ---- the index lag: the SQLite index is kept by a background thread
  // (search_indexer.hpp) that trails the writes; the searches start once it
  // holds every message (polled in <db>-search.db; the bench deletes nothing).
  {
    const auto at = SteadyClock::now();
    const std::string search_db = (dir / "parley.db-search.db").string();
    long indexed = -1;
    while (std::chrono::duration<double>(SteadyClock::now() - at).count() < 600) {
      sqlite3* db = nullptr;
      if (sqlite3_open_v2(search_db.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 2000);
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM message_search", -1, &st, nullptr) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW) {
          indexed = static_cast<long>(sqlite3_column_int64(st, 0));
        }
        sqlite3_finalize(st);
      }
      sqlite3_close(db);
      if (indexed >= messages_n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::printf("search-bench: index lag after the fill: %.1f s until all %ld messages were indexed (%ld)\n",
                std::chrono::duration<double>(SteadyClock::now() - at).count(), messages_n, indexed);
    std::fflush(stdout);
  }

  // ---- searches: each shape `searches_n` times after 10 unmeasured ones, the
  // searchers in turn, limit 20 (the API's default).
  auto word_in = [&](std::size_t lo, std::size_t hi) {
    hi = std::min(hi, vocabulary.size());
    return vocabulary[lo + rng() % (hi - lo)];
  };
  std::printf("search-bench: %d searches per shape, %d searchers each a member of %d of %d conversations, limit 20\n",
              searches_n, searchers_n, member_of, conversations_n);
  int exit_code = 0;
  for (const Shape& shape : kShapes) {
    std::vector<double> ms;
    long hits = 0, errors = 0;
    std::string error, slowest;
    double slowest_ms = 0, spent_ms = 0;
    // 3 unmeasured searches first; a shape stops early once its searches took
    // --shape-seconds in all (at 1,000,000 messages a frequent word can take seconds).
    constexpr int kWarmup = 3;
    for (int n = 0; n < searches_n + kWarmup && spent_ms < shape_seconds * 1000; ++n) {
      const auto s = static_cast<std::size_t>(n % searchers_n);
      SearchQuery q;
      q.user = user_base + static_cast<Id>(s) + 1;
      std::string_view name = shape.name;
      const auto& kept = remembered[s];
      const Remembered& seen = kept.empty() ? Remembered{} : kept[rng() % kept.size()];
      const auto rarest = seen.ranks.empty() ? 0 : *std::max_element(seen.ranks.begin(), seen.ranks.end());
      if (name == "common") {
        q.text = word_in(0, 50);
      } else if (name == "absent" || seen.ranks.empty()) {
        q.text = word_in(2000, 20000);
      } else if (name == "rare") {
        q.text = vocabulary[rarest];
      } else if (name == "two-words") {
        q.text = vocabulary[rarest] + " " + vocabulary[seen.ranks[rng() % seen.ranks.size()]];
      } else if (name == "prefix") {
        q.text = vocabulary[rarest].substr(0, 3);
      } else {
        q.text = vocabulary[rarest];
        q.conversation = seen.conversation;
      }
      auto at = SteadyClock::now();
      auto result = store.search_messages(q);
      double took = std::chrono::duration<double, std::milli>(SteadyClock::now() - at).count();
      if (n < kWarmup) continue;
      spent_ms += took;
      if (took > slowest_ms) slowest_ms = took, slowest = q.text + (q.conversation ? " (one conversation)" : "");
      if (!result.ok()) {
        if (errors++ == 0) error = result.error().message;
        continue;
      }
      ms.push_back(took);
      hits += static_cast<long>(result->size());
    }
    if (errors) {
      std::printf("search-bench: %-16s %ld of %d searches failed, the first: %s\n", shape.name, errors, searches_n,
                  error.c_str());
      exit_code = 1;
    }
    if (!ms.empty()) {
      const auto count = static_cast<double>(ms.size());
      const double p50 = pct(ms, 0.5), p99 = pct(ms, 0.99), max = ms.back();  // pct sorted ms
      std::printf("search-bench: %-16s p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms  mean hits %4.1f  (%s)%s\n", shape.name,
                  p50, p99, max, static_cast<double>(hits) / count, shape.what,
                  ms.size() < static_cast<std::size_t>(searches_n)
                      ? (" [" + std::to_string(ms.size()) + " searches: --shape-seconds reached]").c_str()
                      : "");
      std::fprintf(stderr, "search-bench: %s: the slowest search, %.0f ms: \"%s\"\n", shape.name, slowest_ms,
                   slowest.c_str());
    }
    std::fflush(stdout);
  }
  close();
  return exit_code;
}
