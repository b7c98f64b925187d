// The parent's side spawns, limits, feeds and reaps one child per image; the
// child's side is run_preview_child(). One socketpair carries both directions
// (the child's stdin and stdout): the parent writes with MSG_NOSIGNAL, so a
// child that died early can never raise SIGPIPE in the server.
#include "media/preview_sandbox.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "fmt/format.h"
#include "media/preview_protocol.hpp"

extern char** environ;

// Under AddressSanitizer or ThreadSanitizer the shadow memory needs terabytes
// of address space: RLIMIT_AS would stop the child before main(). The CPU
// limit and the wall-clock deadline still hold there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PARLEY_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define PARLEY_SANITIZED 1
#endif
#endif

namespace parley::media {
namespace {

namespace protocol = preview_protocol;
using Clock = std::chrono::steady_clock;

Error refused(std::string message) { return Error::bad_request("image_refused", std::move(message)); }

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Kills and reaps the child unless it was reaped already: no path leaves a
// zombie or a runaway decoder behind.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) kill_and_reap();
  }
  pid_t pid() const { return pid_; }

  int kill_and_reap() {
    if (pid_ <= 0) return 0;  // reaped already (kill(-1) would signal every process of ours)
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }
  // The exit status once the child ends by `deadline`; nullopt if it is still
  // running then (it is left to the caller, or the destructor, to kill).
  std::optional<int> wait_until(Clock::time_point deadline) {
    auto pause = std::chrono::microseconds(200);
    for (;;) {
      int status = 0;
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        pid_ = -1;
        return status;
      }
      if (done < 0 && errno != EINTR) {
        // Not ours to wait for any more (SIGCHLD ignored by someone): no status.
        pid_ = -1;
        return std::nullopt;
      }
      if (Clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(5'000));
    }
  }

 private:
  pid_t pid_;
};

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 60'000));
}

enum class ReadOutcome { complete, closed, late, failed };

// Reads exactly out.size() bytes by `deadline`.
ReadOutcome read_exactly(int fd, char* out, std::size_t size, Clock::time_point deadline) {
  std::size_t got = 0;
  while (got < size) {
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return ReadOutcome::failed;
    if (ready == 0) return ReadOutcome::late;
    const auto n = ::read(fd, out + got, size - got);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return ReadOutcome::failed;
    if (n == 0) return ReadOutcome::closed;
    got += static_cast<std::size_t>(n);
  }
  return ReadOutcome::complete;
}

bool write_all(int fd, std::string_view bytes, bool socket) {
  while (!bytes.empty()) {
    const auto n = socket ? ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) : ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Why a child that gave no usable answer ended: the image is at fault.
Error ended_badly(int status, const PreviewLimits& limits) {
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    if (signal == SIGXCPU) return refused(fmt::format("decoding the image used more than its CPU time ({} ms)", limits.timeout.count()));
    if (signal == SIGKILL) return refused("the image process was killed (CPU or memory limit)");
    if (signal == SIGXFSZ) return refused("decoding the image tried to write a large file");
    return refused(fmt::format("the image decoder crashed (signal {})", signal));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    return refused(fmt::format("the image process failed (exit code {})", WEXITSTATUS(status)));
  return refused("the image process ended without an answer");
}

Status limit_child(pid_t pid, const PreviewLimits& limits) {
  const auto cpu_seconds = static_cast<rlim_t>(std::max<long long>(1, (limits.timeout.count() + 999) / 1000));
  const rlimit cpu{cpu_seconds, cpu_seconds + 1};  // SIGXCPU at the soft limit, SIGKILL one second later
  if (::prlimit(pid, RLIMIT_CPU, &cpu, nullptr) != 0)
    return Error::unavailable(fmt::format("cannot limit the image process: {}", std::strerror(errno)));
  // No core files of a crashed decoder, and no large file written: the child
  // answers on its socket; the one file it needs is liborc's (libvips' SIMD
  // code generator maps its code through a 64 KiB temp file). A larger write
  // (a decoder spilling to disk) raises SIGXFSZ, which kills it.
  const rlimit none{0, 0};
  const rlimit small_files{1 << 20, 1 << 20};
  if (::prlimit(pid, RLIMIT_CORE, &none, nullptr) != 0 || ::prlimit(pid, RLIMIT_FSIZE, &small_files, nullptr) != 0)
    return Error::unavailable(fmt::format("cannot limit the image process: {}", std::strerror(errno)));
#ifndef PARLEY_SANITIZED
  const auto bytes = static_cast<rlim_t>(limits.max_memory_bytes);
  const rlimit memory{bytes, bytes};
  if (::prlimit(pid, RLIMIT_AS, &memory, nullptr) != 0)
    return Error::unavailable(fmt::format("cannot limit the image process: {}", std::strerror(errno)));
#endif
  return Status::success();
}

// The child's environment: none of the server's (database URLs, object store
// keys), only the sanitizers' options and the temp folder.
std::vector<std::string> child_environment() {
  std::vector<std::string> kept;
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string_view variable(*entry);
    for (std::string_view name : {"ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS=", "TSAN_OPTIONS=", "TMPDIR="})
      if (variable.substr(0, name.size()) == name) kept.emplace_back(variable);
  }
  return kept;
}

// posix_spawn (a vfork-like clone: no copy of the server's page tables) with
// the socket as stdin and stdout, /dev/null as stderr, every other descriptor
// closed, default signal dispositions, an empty signal mask and environment.
Result<pid_t> spawn(const std::filesystem::path& executable, int child_end) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attributes);
  posix_spawn_file_actions_adddup2(&actions, child_end, 0);
  posix_spawn_file_actions_adddup2(&actions, child_end, 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string program = executable.string();
  std::string subcommand = "preview-child";
  char* argv[] = {program.data(), subcommand.data(), nullptr};
  auto environment = child_environment();
  std::vector<char*> envp;
  for (auto& variable : environment) envp.push_back(variable.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int error = ::posix_spawn(&pid, program.c_str(), &actions, &attributes, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) return Error::unavailable(fmt::format("cannot start the image process: {}", std::strerror(error)));
  return pid;
}

Result<Previews> run_child(const std::filesystem::path& executable, const PreviewLimits& limits,
                           const std::filesystem::path& image, const std::vector<int>& max_sides) {
  const auto deadline = Clock::now() + limits.timeout;
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0)
    return Error::unavailable(fmt::format("cannot open a socket to the image process: {}", std::strerror(errno)));
  int parent_end = ends[0], child_end = ends[1];
  auto pid = spawn(executable, child_end);
  close_fd(child_end);
  if (!pid) {
    close_fd(parent_end);
    return pid.error();
  }
  Child child(*pid);
  struct Closer {
    int& fd;
    ~Closer() { close_fd(fd); }
  } closer{parent_end};

  // Limits before the request: the child touches no image before it has one.
  if (auto limited = limit_child(child.pid(), limits); !limited) return limited.error();
  const protocol::Request request{image.string(), max_sides, limits.max_pixels, limits.max_input_bytes};
  if (!write_all(parent_end, protocol::encode_request(request), true)) {
    const int status = child.kill_and_reap();
    return ended_badly(status, limits);
  }
  ::shutdown(parent_end, SHUT_WR);

  char prefix[4];
  auto outcome = read_exactly(parent_end, prefix, sizeof prefix, deadline);
  std::string payload;
  if (outcome == ReadOutcome::complete) {
    const auto length = protocol::frame_length(std::string_view(prefix, 4), protocol::kMaxAnswerBytes);
    if (!length) return refused("the image process answered garbage: a frame too large");
    payload.resize(*length);
    outcome = read_exactly(parent_end, payload.data(), payload.size(), deadline);
  }
  if (outcome == ReadOutcome::late) {
    child.kill_and_reap();
    return refused(fmt::format("the image took longer than {} ms to process", limits.timeout.count()));
  }
  const auto status = child.wait_until(deadline);
  if (!status) {
    child.kill_and_reap();
    return refused(fmt::format("the image took longer than {} ms to process", limits.timeout.count()));
  }
  if (outcome != ReadOutcome::complete || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0)
    return ended_badly(*status, limits);
  return protocol::decode_answer(payload, max_sides);
}

}  // namespace

struct PreviewSandbox::State {
  std::filesystem::path executable;
  PreviewLimits limits;
  int concurrency = 1;
  std::mutex mutex;
  std::condition_variable slot_free;
  int running = 0;  // GUARDED_BY(mutex)
};

PreviewSandbox::PreviewSandbox(std::filesystem::path executable, PreviewLimits limits, int concurrency)
    : state_(std::make_unique<State>()) {
  state_->executable = std::move(executable);
  state_->limits = limits;
  state_->concurrency = std::max(1, concurrency);
}

PreviewSandbox::~PreviewSandbox() = default;

Result<Previews> PreviewSandbox::run(const std::filesystem::path& image, const std::vector<int>& max_sides) {
  {
    std::unique_lock lock(state_->mutex);
    state_->slot_free.wait(lock, [&] { return state_->running < state_->concurrency; });
    ++state_->running;
  }
  auto result = run_child(state_->executable, state_->limits, image, max_sides);
  {
    std::lock_guard lock(state_->mutex);
    --state_->running;
  }
  state_->slot_free.notify_one();
  return result;
}

int run_preview_child() {
  // Whoever started us (fork+exec included) leaves nothing else open here.
  ::close_range(3, ~0U, 0);
  char prefix[4];
  const auto forever = Clock::now() + std::chrono::hours(1);  // the parent's deadline is the real one
  if (read_exactly(0, prefix, sizeof prefix, forever) != ReadOutcome::complete) return 3;
  const auto length = protocol::frame_length(std::string_view(prefix, 4), protocol::kMaxRequestBytes);
  if (!length) return 3;
  std::string payload(*length, '\0');
  if (read_exactly(0, payload.data(), payload.size(), forever) != ReadOutcome::complete) return 3;
  const auto request = protocol::decode_request(payload);
  if (!request) return 3;

  PreviewLimits limits;
  limits.max_pixels = request->max_pixels;
  limits.max_input_bytes = request->max_input_bytes;
  init_image_library();
  const auto answer = make_previews(request->path, request->max_sides, limits);
  return write_all(1, protocol::encode_answer(answer), false) ? 0 : 4;
}

}  // namespace parley::media
