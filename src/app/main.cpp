// parley: reads the command line, then hands over to the composition root.
#include <cstdio>
#include <string_view>
#include <variant>

#include "app/backup.hpp"
#include "app/config.hpp"
#include "app/conformance.hpp"
#include "app/serve.hpp"
#include "app/worker.hpp"
#include "media/preview_sandbox.hpp"

int main(int argc, char** argv) {
  // Hidden: the image decoder's child process (media/preview_sandbox.hpp), not for people.
  if (argc == 2 && std::string_view(argv[1]) == "preview-child") return parley::media::run_preview_child();
  auto parsed = parley::app::parse_command_line(argc, argv);
  if (auto* error = std::get_if<parley::app::ParseError>(&parsed)) {
    std::fprintf(stderr, "parley: %s\n", error->message.c_str());
    return 2;
  }
  auto& command = std::get<parley::app::Command>(parsed);
  if (std::holds_alternative<parley::app::HelpShown>(command)) return 0;
  if (std::holds_alternative<parley::app::VersionCommand>(command)) {
    std::printf("parley %s\n", PARLEY_VERSION);
    return 0;
  }
  if (auto* conformance = std::get_if<parley::app::ConformanceConfig>(&command))
    return parley::app::run_conformance(*conformance);
  if (auto* worker = std::get_if<parley::app::WorkerConfig>(&command)) return parley::app::run_worker(*worker);
  if (auto* backup = std::get_if<parley::app::BackupConfig>(&command)) return parley::app::run_backup(*backup);
  if (auto* restore = std::get_if<parley::app::RestoreConfig>(&command)) return parley::app::run_restore(*restore);
  return parley::app::serve(std::get<parley::app::ServeConfig>(command));
}
