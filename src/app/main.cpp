// parley: reads the command line, then hands over to the composition root.
#include <cstdio>
#include <variant>

#include "app/backup.hpp"
#include "app/config.hpp"
#include "app/conformance.hpp"
#include "app/serve.hpp"

int main(int argc, char** argv) {
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
  if (auto* backup = std::get_if<parley::app::BackupConfig>(&command)) return parley::app::run_backup(*backup);
  if (auto* restore = std::get_if<parley::app::RestoreConfig>(&command)) return parley::app::run_restore(*restore);
  return parley::app::serve(std::get<parley::app::ServeConfig>(command));
}
