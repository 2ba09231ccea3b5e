// msearch: one executable for every role. `msearch serve` runs the main
// process, which starts its children as `msearch child --role ...`; the other
// subcommands are the command-line interface.

#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "common/error.h"

int main(int argc, char** argv) {
  // Log messages go to stderr, so stdout carries only a command's output
  // (JSON with --json). serve and child replace this logger with their files.
  spdlog::set_default_logger(spdlog::stderr_color_mt("msearch"));

  CLI::App app{"msearch: local multimodal media search"};
  app.set_version_flag("--version", std::string("msearch ") + MSEARCH_VERSION);
  // At most one subcommand. Requiring exactly one here would make CLI11 report
  // a mistyped subcommand as "A subcommand is required" without naming it, so
  // its absence is checked after parsing instead.
  app.require_subcommand(0, 1);
  // Options of the top level, such as --config, may follow the subcommand too.
  app.fallthrough();

  msearch::cli::GlobalOptions global;
  app.add_option("-c,--config", global.config_path,
                 "Configuration file (default: $MSEARCH_CONFIG, else config/config.yml)");

  int exit_code = 0;
  msearch::cli::RegisterServe(app, global, &exit_code);
  msearch::cli::RegisterChild(app, global, &exit_code);
  msearch::cli::RegisterSearch(app, global, &exit_code);
  msearch::cli::RegisterIndex(app, global, &exit_code);
  msearch::cli::RegisterTask(app, global, &exit_code);
  msearch::cli::RegisterStatus(app, global, &exit_code);

  try {
    app.parse(argc, argv);
    if (app.get_subcommands().empty()) throw CLI::RequiredError("A subcommand");
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  } catch (const msearch::Error& error) {
    std::fprintf(stderr, "msearch: %s\n", error.what());
    return 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "msearch: unexpected error: %s\n", error.what());
    return 1;
  }
  return exit_code;
}
