#include "worker.hpp"

#include <arpa/inet.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fcntl.h>
#include <iterator>
#include <unistd.h>

#include "clock.hpp"
#include "proc_stats.hpp"

namespace parley::bench {

namespace json = boost::json;

namespace {

// Deliveries stop arriving once the server is drained; this much silence ends the drain.
constexpr std::uint64_t kQuietNs = 500 * kNsPerMs;
// A worker never outlives this, whatever the coordinator does.
constexpr std::uint64_t kLifetimeNs = 30ull * 60 * kNsPerSec;
// Message numbers above this are counted but not tracked for duplicates (bitmap bound).
constexpr std::uint64_t kMaxTrackedN = 1ull << 24;

// --body-text words: common chat words, most frequent first, drawn with a skew
// toward the front; one word in eight is a random 4-8 letter string instead (the
// long tail of names, typos and terms that keeps a text index growing).
constexpr std::string_view kWords[] = {
    "the", "i", "to", "you", "a", "and", "it", "is", "that", "of", "in", "we", "for", "on", "this", "be",
    "have", "do", "not", "with", "so", "can", "just", "are", "will", "at", "if", "but", "me", "what", "my",
    "ok", "yes", "no", "get", "there", "all", "about", "think", "know", "one", "out", "up", "now", "like",
    "go", "here", "time", "good", "thanks", "see", "they", "how", "from", "then", "would", "should", "need",
    "today", "tomorrow", "meeting", "call", "let", "when", "want", "work", "check", "sure", "more", "new",
    "back", "fix", "build", "test", "release", "review", "please", "morning", "later", "done", "maybe",
    "week", "file", "issue", "bug", "deploy", "server", "branch", "merge", "team", "lunch", "again",
    "right", "sorry", "looks", "great", "update", "question", "problem", "idea", "plan", "customer",
    "change", "before", "after", "because", "which", "where", "who", "last", "next", "first", "only"};

constexpr std::string_view kBodyKey = "\"body\":\"t=";
constexpr std::string_view kSeqKey = "\"seq\":";

std::size_t ring_size_for(int window) {
  std::size_t n = 1;
  while (n < static_cast<std::size_t>(window)) n <<= 1;
  return n;
}

// Parses "<digits><sep>" at the front of `text`; false if it is not there.
bool take_number(std::string_view& text, std::uint64_t& value, std::string_view sep) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc()) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  if (!text.starts_with(sep)) return false;
  text.remove_prefix(sep.size());
  return true;
}

json::object counts_json(const std::map<std::string, std::uint64_t, std::less<>>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

json::array vector_json(const std::vector<std::uint64_t>& v) {
  json::array a;
  a.reserve(v.size());
  for (std::uint64_t x : v) a.push_back(x);
  return a;
}

}  // namespace

Worker::Worker(const Options& options, const Plan& plan, int index, int command_fd, int report_fd)
    : options_(options), plan_(plan), index_(index), command_fd_(command_fd), report_fd_(report_fd) {
  recv_prefix_ = "[\"" + options_.recv_event + "\",";
  send_prefix_ = "[\"" + options_.send_event + "\",{\"conversationId\":\"";
  const std::size_t ring = ring_size_for(options_.window);
  ring_mask_ = ring - 1;
  const std::size_t rooms = plan_.room_ids.size();
  room_sent_.assign(rooms, 0);
  room_acked_.assign(rooms, 0);
  room_members_.assign(options_.nodes.size(), std::vector<std::uint64_t>(rooms, 0));
  tallies_.resize(options_.nodes.size());
  for (const Endpoint& node : options_.nodes) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(node.port);
    inet_pton(AF_INET, node.host.c_str(), &addr.sin_addr);
    node_addrs_.push_back(addr);
    node_hosts_.push_back(node.text());
  }
  for (std::size_t i = static_cast<std::size_t>(index_); i < plan_.sockets.size();
       i += static_cast<std::size_t>(options_.procs)) {
    const SocketPlan& sp = plan_.sockets[i];
    Sock sock;
    sock.global = static_cast<std::uint32_t>(i);
    sock.room = sp.room;
    sock.node = sp.node;
    sock.sio = std::make_unique<SioSocket>(loop_, static_cast<SioSocket::Listener&>(*this),
                                          static_cast<std::uint32_t>(socks_.size()), sp.auth);
    sock.seen.resize(static_cast<std::size_t>(std::max(options_.senders, 0)));
    if (sp.sender_slot >= 0) {
      sock.sender = static_cast<std::int32_t>(senders_.size());
      Sender sender;
      sender.sock = static_cast<std::uint32_t>(socks_.size());
      sender.slot = sp.sender_slot;
      if (options_.rate > 0 && options_.senders > 0) {
        const double total = static_cast<double>(plan_.room_ids.size()) * options_.senders;
        const double index = static_cast<double>(sp.room) * options_.senders + sp.sender_slot;
        sender.phase_ns = static_cast<std::uint64_t>(index / total * (1e9 / options_.rate));
      }
      if (options_.use_ack) sender.sent_ns.assign(ring, 0);
      senders_.push_back(std::move(sender));
    }
    socks_.push_back(std::move(sock));
  }
}

Worker::~Worker() = default;

int Worker::run() {
  fcntl(command_fd_, F_SETFL, fcntl(command_fd_, F_GETFL) | O_NONBLOCK);
  if (!loop_.add(command_fd_, this)) return 1;
  const std::uint64_t give_up = now_ns() + kLifetimeNs;
  while (phase_ != Phase::done) {
    loop_.poll_once(poll_timeout_ms());
    const std::uint64_t now = now_ns();
    if (now > give_up) return 3;
    tick(now);
  }
  return 0;
}

int Worker::poll_timeout_ms() const {
  switch (phase_) {
    case Phase::running: return 1;
    case Phase::connecting:
    case Phase::draining: return 10;
    default: return 100;
  }
}

// The command pipe.
void Worker::on_events(std::uint32_t) {
  char buf[512];
  for (int i = 0; i < 64; ++i) {
    const ssize_t n = ::read(command_fd_, buf, sizeof buf);
    if (n > 0) {
      command_buffer_.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) phase_ = Phase::done;  // the coordinator is gone: stop
    break;
  }
  for (std::size_t nl; (nl = command_buffer_.find('\n')) != std::string::npos;) {
    const std::string line = command_buffer_.substr(0, nl);
    command_buffer_.erase(0, nl + 1);
    on_command(line);
  }
}

void Worker::on_command(std::string_view line) {
  const std::uint64_t now = now_ns();
  if (line == "connect" && phase_ == Phase::wait_connect) {
    phase_ = Phase::connecting;
    connect_started_ns_ = now;
    connect_deadline_ns_ = now + static_cast<std::uint64_t>(options_.connect_timeout_s * 1e9);
    connect_cpu_start_ = self_cpu_seconds();
    start_more();
  } else if (line.starts_with("go ") && phase_ == Phase::wait_go) {
    unsigned long long go = 0, measure = 0, end = 0;
    if (std::sscanf(std::string(line).c_str(), "go %llu %llu %llu", &go, &measure, &end) != 3) return;
    t_go_ = go;
    t_measure_ = measure;
    t_end_ = end;
    next_tick_ = t_go_;
    phase_ = Phase::running;
  } else if (line == "quit") {
    phase_ = Phase::done;
    for (Sock& sock : socks_) sock.sio->close();
  }
}

// ---- connect phase ----

void Worker::start_more() {
  const auto window = static_cast<std::size_t>(std::max(options_.connect_window, 1));
  while (in_flight_ < window && next_to_start_ < socks_.size()) {
    Sock& sock = socks_[next_to_start_++];
    std::uint32_t source = 0;
    if (options_.source_addrs > 0) {
      source = htonl(0x7F000002u + sock.global % static_cast<std::uint32_t>(options_.source_addrs));
    }
    sock.state = SockState::connecting;
    sock.started_ns = now_ns();
    ++in_flight_;
    // A failure comes back through on_sio_closed.
    sock.sio->start(node_addrs_[sock.node], source, node_hosts_[sock.node]);
  }
}

void Worker::on_sio_connected(SioSocket& s) {
  Sock& sock = socks_[s.index()];
  if (sock.state != SockState::connecting) return;
  const std::uint64_t now = now_ns();
  handshake_.record(now - sock.started_ns);
  if (!options_.join) {
    resolve(sock, true, {});
    return;
  }
  sock.state = SockState::connected;
  sock.started_ns = now;
  body_buffer_.assign("[\"join_conversation\",{\"conversationId\":\"").append(plan_.room_ids[sock.room]).append("\"}]");
  s.emit(body_buffer_, 0);  // ack id 0 is the join; sends count from 1
  s.flush();
}

void Worker::on_sio_connect_error(SioSocket& s, std::string_view) {
  Sock& sock = socks_[s.index()];
  if (sock.state == SockState::connecting) resolve(sock, false, "connect_error");
}

void Worker::on_sio_closed(SioSocket& s, std::string_view why) {
  Sock& sock = socks_[s.index()];
  if (sock.state == SockState::connecting || sock.state == SockState::connected) {
    resolve(sock, false, why);
  } else if (sock.state == SockState::ready && phase_ != Phase::done) {
    ++dropped_[std::string(why)];
    sock.state = SockState::failed;
  }
}

void Worker::resolve(Sock& sock, bool ok, std::string_view why) {
  if (ok) {
    sock.state = SockState::ready;
    last_ready_ns_ = now_ns();
  } else {
    sock.state = SockState::failed;
    ++failures_[std::string(why)];
    if (!sock.sio->closed()) sock.sio->close();
  }
  --in_flight_;
  ++resolved_;
}

void Worker::check_connect_deadline(std::uint64_t now) {
  if (now < connect_deadline_ns_) return;
  for (Sock& sock : socks_) {
    if (sock.state == SockState::connecting || sock.state == SockState::connected) {
      resolve(sock, false, "timeout");
    } else if (sock.state == SockState::pending) {
      sock.state = SockState::failed;
      ++failures_["not_started"];
      ++resolved_;
    }
  }
}

void Worker::report_ready() {
  std::uint64_t ready = 0;
  for (const Sock& sock : socks_) {
    if (sock.state != SockState::ready) continue;
    ++ready;
    ++room_members_[sock.node][sock.room];
  }
  std::vector<std::uint64_t> members(plan_.room_ids.size(), 0);
  json::array by_node;
  for (const auto& per_room : room_members_) {
    for (std::size_t r = 0; r < per_room.size(); ++r) members[r] += per_room[r];
    by_node.push_back(vector_json(per_room));
  }
  json::object o{{"type", "ready"},
                 {"worker", index_},
                 {"sockets", socks_.size()},
                 {"connected", ready},
                 {"failures", counts_json(failures_)},
                 {"handshake", handshake_.to_json()},
                 {"join", join_.to_json()},
                 {"t_start_ns", connect_started_ns_},
                 {"t_last_ns", last_ready_ns_},
                 {"cpu_s", self_cpu_seconds() - connect_cpu_start_},
                 {"room_members", vector_json(members)}};
  if (cross_node(options_)) o["room_members_by_node"] = std::move(by_node);
  write_report(json::serialize(o));
}

// ---- traffic phase ----

void Worker::tick(std::uint64_t now) {
  switch (phase_) {
    case Phase::connecting:
      start_more();
      check_connect_deadline(now);
      if (resolved_ == socks_.size()) {
        report_ready();
        phase_ = Phase::wait_go;
      }
      break;
    case Phase::running:
      if (cpu_at_measure_ < 0 && now >= t_measure_) {
        cpu_at_measure_ = self_cpu_seconds();
        reads_at_measure_ = g_read_counters;
      }
      if (now >= t_end_) {
        cpu_at_end_ = self_cpu_seconds();
        reads_at_end_ = g_read_counters;
        drain_deadline_ = t_end_ + static_cast<std::uint64_t>(options_.drain_s * 1e9);
        phase_ = Phase::draining;
        break;
      }
      if (now >= next_tick_ || options_.rate <= 0) {
        pace_senders(now);
        next_tick_ = now + kNsPerMs;
      }
      break;
    case Phase::draining: {
      std::uint64_t outstanding = 0;
      for (const Sender& s : senders_) {
        if (!socks_[s.sock].sio->closed()) outstanding += s.outstanding;
      }
      const std::uint64_t quiet_since = std::max(last_delivery_ns_, t_end_);
      if (now >= drain_deadline_ || (outstanding == 0 && now - quiet_since >= kQuietNs)) {
        report_done();
        phase_ = Phase::wait_quit;
      }
      break;
    }
    default:
      break;
  }
}

void Worker::pace_senders(std::uint64_t now) {
  if (now < t_go_) return;
  const auto window = static_cast<std::uint64_t>(options_.window);
  for (Sender& sender : senders_) {
    SioSocket& sio = *socks_[sender.sock].sio;
    if (!sio.connected()) continue;
    if (options_.rate > 0) {
      // Open loop: the schedule does not wait for the server; a send that would exceed
      // the window is skipped (and counted), never caught up later in a burst.
      const std::uint64_t start = t_go_ + sender.phase_ns;
      const auto due =
          now < start ? 0 : static_cast<std::uint64_t>(static_cast<double>(now - start) * options_.rate / 1e9);
      while (sender.scheduled < due) {
        ++sender.scheduled;
        if (!options_.use_ack || sender.outstanding < window) {
          send_one(sender, now);
        } else {
          ++skipped_;
        }
      }
    } else {
      while (sender.outstanding < window) send_one(sender, now);
    }
    if (sio.queued_bytes() != 0) sio.flush();
  }
}

void Worker::append_words(std::string& b, std::size_t bytes) {
  constexpr std::uint64_t n = std::size(kWords);
  const std::size_t end = b.size() + bytes;
  auto next = [this] {
    word_state_ ^= word_state_ << 13;
    word_state_ ^= word_state_ >> 7;
    word_state_ ^= word_state_ << 17;
    return word_state_;
  };
  while (b.size() < end) {
    const std::uint64_t r = next();
    if (r % 8 == 0) {
      for (std::uint64_t k = 4 + (r >> 8) % 5, x = r >> 16; k > 0; --k, x /= 26) b += static_cast<char>('a' + x % 26);
    } else {
      b.append(kWords[((r >> 8) % n) * ((r >> 32) % n) / n]);  // the product of two uniforms: skewed to the front
    }
    b += ' ';
  }
  b.resize(std::max(end, b.size() - 1));  // drop the trailing space unless the prefix alone filled the body
}

void Worker::send_one(Sender& sender, std::uint64_t now) {
  Sock& sock = socks_[sender.sock];
  const std::uint64_t n = ++sender.sent;
  ++sent_;
  ++room_sent_[sock.room];
  char prefix[96];
  const int len = std::snprintf(prefix, sizeof prefix, "t=%llu;r=%u;s=%d;n=%llu;", static_cast<unsigned long long>(now),
                                sock.room, sender.slot, static_cast<unsigned long long>(n));
  std::string& b = body_buffer_;
  b.assign(send_prefix_).append(plan_.room_ids[sock.room]).append("\",\"body\":\"");
  b.append(prefix, static_cast<std::size_t>(len));
  if (options_.body_text == "words") {
    append_words(b, options_.body_bytes > len ? static_cast<std::size_t>(options_.body_bytes - len) : 0);
  } else if (options_.body_bytes > len) {
    b.append(static_cast<std::size_t>(options_.body_bytes - len), 'x');
  }
  b.append("\",\"clientMsgId\":\"").append(plan_.run_id).append("-");
  b.append(std::to_string(sock.global)).append("-").append(std::to_string(n)).append("\"}]");
  if (options_.use_ack) {
    sender.sent_ns[n & ring_mask_] = now;
    ++sender.outstanding;
    sock.sio->emit(b, static_cast<std::int64_t>(n));
  } else {
    sock.sio->emit(b, -1);
  }
}

void Worker::on_sio_ack(SioSocket& s, std::uint64_t id, std::string_view args, std::uint64_t now) {
  Sock& sock = socks_[s.index()];
  const bool ok = args.find("\"ok\":false") == std::string_view::npos;
  if (id == 0) {
    if (sock.state != SockState::connected) return;
    join_.record(now - sock.started_ns);
    resolve(sock, ok, "join_refused");
    return;
  }
  if (sock.sender < 0) return;
  Sender& sender = senders_[static_cast<std::size_t>(sock.sender)];
  if (sender.outstanding == 0 || id > sender.sent) return;  // not ours to count
  --sender.outstanding;
  const std::uint64_t sent_at = sender.sent_ns[id & ring_mask_];
  if (ok) {
    ++acked_ok_;
    ++room_acked_[sock.room];
  } else {
    ++ack_errors_;
    if (first_ack_error_.empty()) first_ack_error_ = std::string(args.substr(0, 200));
  }
  if (sent_at >= t_measure_ && now >= sent_at) ack_latency_.record(now - sent_at);
  if (now >= t_measure_ && now < t_end_) ++window_acks_;
}

void Worker::on_sio_event(SioSocket& s, std::string_view packet, std::uint64_t now) {
  if (!packet.starts_with(recv_prefix_)) {
    ++other_events_;
    return;
  }
  on_delivery(socks_[s.index()], packet, now);
}

void Worker::on_delivery(Sock& sock, std::string_view packet, std::uint64_t now) {
  // Both servers put "seq" before "body": one forward scan finds both.
  const std::size_t seq_at = packet.find(kSeqKey);
  const std::size_t at = packet.find(kBodyKey, seq_at == std::string_view::npos ? 0 : seq_at);
  if (at == std::string_view::npos) {
    ++other_events_;
    return;
  }
  std::string_view text = packet.substr(at + kBodyKey.size());
  std::uint64_t t = 0, room = 0, slot = 0, n = 0;
  if (!take_number(text, t, ";r=") || !take_number(text, room, ";s=") || !take_number(text, slot, ";n=") ||
      !take_number(text, n, ";")) {
    ++other_events_;
    return;
  }
  DeliveryTally& tally = tallies_[sock.node];
  ++tally.deliveries;
  last_delivery_ns_ = now;
  if (now >= t_measure_ && now < t_end_) ++tally.window_deliveries;
  if (t >= t_measure_ && now >= t) tally.latency.record(now - t);
  if (room != sock.room || slot >= sock.seen.size()) {
    ++tally.misrouted;
    return;
  }
  if (seq_at != std::string_view::npos) check_seq(sock, tally, packet.substr(seq_at + kSeqKey.size()));
  if (n >= kMaxTrackedN) {
    ++tally.untracked;
    return;
  }
  SeenFrom& seen = sock.seen[slot];
  const std::size_t word = n >> 6;
  if (word >= seen.bits.size()) seen.bits.resize(std::max(word + 1, seen.bits.size() * 2), 0);
  const std::uint64_t bit = 1ull << (n & 63);
  if (seen.bits[word] & bit) {
    ++tally.duplicated;
    return;
  }
  seen.bits[word] |= bit;
  ++tally.unique;
  if (n < seen.last) {
    ++tally.reordered;
  } else {
    seen.last = n;
  }
}

// Every member joined before the first send, so each socket should see its room's seq
// go 1, 2, 3, ... : a step back is an order violation, a step over a missed message.
void Worker::check_seq(Sock& sock, DeliveryTally& tally, std::string_view text) {
  std::uint64_t seq = 0;
  if (!take_number(text, seq, ",")) return;
  if (seq <= sock.last_seq) {
    ++tally.seq_backwards;
    return;
  }
  tally.seq_skipped += seq - sock.last_seq - 1;
  sock.last_seq = seq;
}

void Worker::report_done() {
  std::uint64_t outstanding = 0;
  for (const Sender& s : senders_) outstanding += s.outstanding;
  const double cpu_end = cpu_at_end_ >= 0 ? cpu_at_end_ : self_cpu_seconds();
  const double cpu_start = cpu_at_measure_ >= 0 ? cpu_at_measure_ : cpu_end;
  json::object o{{"type", "done"},
                 {"worker", index_},
                 {"sent", sent_},
                 {"skipped", skipped_},
                 {"acked_ok", acked_ok_},
                 {"ack_errors", ack_errors_},
                 {"first_ack_error", first_ack_error_},
                 {"unacked", outstanding},
                 {"window_acks", window_acks_},
                 {"other_events", other_events_},
                 {"dropped", counts_json(dropped_)},
                 {"ack_latency", ack_latency_.to_json()},
                 {"room_sent", vector_json(room_sent_)},
                 {"room_acked", vector_json(room_acked_)},
                 {"window_reads", reads_at_end_.reads - reads_at_measure_.reads},
                 {"window_frames", reads_at_end_.frames - reads_at_measure_.frames},
                 {"cpu_s", cpu_end - cpu_start}};
  DeliveryTally all;
  for (const DeliveryTally& t : tallies_) all.merge(t);
  all.put_json(o);
  if (cross_node(options_)) {
    json::array by_node;
    for (const DeliveryTally& t : tallies_) {
      json::object node;
      t.put_json(node);
      by_node.push_back(std::move(node));
    }
    o["by_node"] = std::move(by_node);
  }
  write_report(json::serialize(o));
}

void Worker::write_report(const std::string& line) {
  std::string data = line + "\n";
  std::size_t off = 0;
  for (int i = 0; i < 10000 && off < data.size(); ++i) {
    const ssize_t n = ::write(report_fd_, data.data() + off, data.size() - off);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      return;  // the coordinator is gone
    }
  }
}

}  // namespace parley::bench
