#pragma once
// Runs make_previews (image_previews.hpp) in a child process with limits:
// address space (RLIMIT_AS), CPU time, a wall-clock deadline (killed when
// late), no inherited descriptors but a socket, no environment. The child is
// this same binary started as `parley preview-child` (hidden subcommand); it
// reads the request on stdin and writes the Previews on stdout (both the
// socket; media/preview_protocol.hpp). A child that crashes, is killed
// or answers garbage yields bad_request "image_refused" (the image is at
// fault) or unavailable (the machine is: fork failed), never harm to the
// server. At most `concurrency` children run at once; callers beyond wait.
//
// Thread-safety: run() may be called from any worker thread, concurrently.
// Blocks until the child finishes: worker threads only.

#include <filesystem>
#include <string>
#include <vector>

#include "media/image_previews.hpp"

namespace parley::media {

class PreviewSandbox {
 public:
  // `executable`: the parley binary (/proc/self/exe). `concurrency` >= 1.
  PreviewSandbox(std::filesystem::path executable, PreviewLimits limits, int concurrency);
  ~PreviewSandbox();

  Result<Previews> run(const std::filesystem::path& image, const std::vector<int>& max_sides);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The child's side: reads one request from stdin, writes the answer to
// stdout; the exit code says whether it succeeded. Called by main() for
// `parley preview-child`.
int run_preview_child();

}  // namespace parley::media
