#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace msearch::cli {

// Options every subcommand shares.
struct GlobalOptions {
  std::optional<std::filesystem::path> config_path;
  bool json = false;
};

// Each Register* function adds one subcommand to `app`; the subcommand's
// callback runs it and stores the process exit code in `*exit_code`.
void RegisterServe(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterChild(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterSearch(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterIndex(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterTask(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterStatus(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterInspect(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterEmbed(CLI::App& app, GlobalOptions& global, int* exit_code);
void RegisterModels(CLI::App& app, GlobalOptions& global, int* exit_code);

}  // namespace msearch::cli
