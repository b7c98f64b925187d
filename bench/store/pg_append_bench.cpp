// parley-pg-append-bench: persisted appends/s through the PostgreSQL store
// itself (open_postgres_store), without the server: `rooms` conversations,
// each with `window` appends in flight (closed loop, the shape of
// `parley-loadgen persist`), measured for `duration` seconds after a 1 s
// warm-up. Prints one line. docs/storage.md ("PostgreSQL") quotes its figures.
//
//   dir=$(mktemp -d) && url=$(scripts/pg-server.sh start $dir/pg)
//   build/release/bench/parley-pg-append-bench --url "$url" --rooms 64 --window 64 --duration 10

#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/postgres/postgres_store.hpp"

namespace {

using namespace parley;
using namespace parley::store;
using SteadyClock = std::chrono::steady_clock;

struct Room {
  Id conversation = 0;
  Id sender = 0;
  int in_flight = 0;
};

// Two users and a group conversation per room; ids from the wall clock so that
// runs against the same database do not collide.
bool create_rooms(Store& store, std::vector<Room>& rooms, std::atomic<Id>& ids) {
  for (Room& room : rooms) {
    Id members[2];
    for (Id& id : members) {
      id = ++ids;
      std::string name = "bench" + std::to_string(id);
      if (!store.insert_user(UserRow{id, name, name + "@bench", name, "-", 1, 0}).ok()) return false;
    }
    ConversationRow c{++ids, ConversationType::group, "bench", members[0], 1, 0, 0};
    auto created = store.create_conversation(
        c, {{c.id, members[0], MemberRole::admin, 0, 1}, {c.id, members[1], MemberRole::member, 0, 1}});
    if (!created.ok()) return false;
    room.conversation = c.id;
    room.sender = members[0];
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  PostgresOptions options;
  int rooms_n = 64;
  int window = 64;
  int duration_s = 10;
  CLI::App cli{"persisted appends/s through the PostgreSQL store"};
  cli.add_option("--url", options.url, "libpq URL or conninfo")->required();
  cli.add_option("--rooms", rooms_n, "conversations, one sender each");
  cli.add_option("--window", window, "appends in flight per conversation");
  cli.add_option("--duration", duration_s, "measured seconds");
  cli.add_option("--appenders", options.appenders, "PostgresOptions::appenders");
  cli.add_option("--max-batch", options.max_batch, "PostgresOptions::max_batch");
  CLI11_PARSE(cli, argc, argv);

  auto opened = open_postgres_store(options);
  if (!opened.ok()) {
    std::fprintf(stderr, "pg-append-bench: %s\n", opened.error().message.c_str());
    return 1;
  }
  Store& store = **opened;
  std::atomic<Id> ids{std::chrono::system_clock::now().time_since_epoch().count() / 1000};
  std::vector<Room> rooms(static_cast<std::size_t>(rooms_n));
  if (!create_rooms(store, rooms, ids)) {
    std::fprintf(stderr, "pg-append-bench: setup failed\n");
    return 1;
  }

  std::mutex mu;
  std::condition_variable freed;
  std::vector<double> latencies_ms;  // GUARDED_BY(mu)
  long acked = 0;                    // GUARDED_BY(mu)
  long failed = 0;                   // GUARDED_BY(mu)
  const auto measure_from = SteadyClock::now() + std::chrono::seconds(1);
  const auto measure_to = measure_from + std::chrono::seconds(duration_s);
  long sent = 0;
  std::unique_lock lock(mu);
  while (SteadyClock::now() < measure_to) {
    bool any = false;
    for (Room& room : rooms) {
      while (room.in_flight < window) {
        ++room.in_flight;
        any = true;
        MessageRow m;
        m.id = ++ids;
        m.conversation_id = room.conversation;
        m.sender_id = room.sender;
        m.body = "hello, this is a benchmark message of ordinary length";
        m.client_msg_id = std::to_string(++sent);
        m.created_at = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
        auto at = SteadyClock::now();
        lock.unlock();
        // The completion only counts and wakes this thread (it must not call the store).
        store.append_message_async(std::move(m), [&, at, r = &room](Result<AppendResult> result) {
          auto now = SteadyClock::now();
          {
            std::lock_guard g(mu);
            --r->in_flight;
            if (now >= measure_from && now < measure_to) {
              if (result.ok()) {
                ++acked;
                latencies_ms.push_back(std::chrono::duration<double, std::milli>(now - at).count());
              } else {
                ++failed;
              }
            }
          }
          freed.notify_one();
        });
        lock.lock();
      }
    }
    if (!any) freed.wait_for(lock, std::chrono::milliseconds(5));
  }
  // Wait for the appends still in flight before the store goes away.
  freed.wait_for(lock, std::chrono::seconds(60), [&] {
    return std::all_of(rooms.begin(), rooms.end(), [](const Room& r) { return r.in_flight == 0; });
  });
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    return latencies_ms[std::min(latencies_ms.size() - 1, static_cast<std::size_t>(p * latencies_ms.size()))];
  };
  StoreStats stats = store.stats();
  std::printf("acked/s %.0f  failed %ld  ack p50 %.1f ms  p99 %.1f ms  transactions %llu  largest batch %llu\n",
              static_cast<double>(acked) / duration_s, failed, pct(0.5), pct(0.99),
              static_cast<unsigned long long>(stats.write_transactions),
              static_cast<unsigned long long>(stats.largest_write_batch));
  return failed == 0 ? 0 : 1;
}
