// msearch: one executable for every role. `msearch serve` runs the main
// process, which starts its children as `msearch child --role ...`; the other
// subcommands are the command-line interface.

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "cli/commands.h"
#include "common/error.h"

namespace {

// OpenBLAS's pthread build starts its worker threads when the library loads,
// before main() runs, and those threads do not block signals. A SIGTERM sent
// to the main process could then take its default action on one of them and
// kill the process instead of starting an orderly shutdown. The inference
// engine runs single-threaded GEMMs on its own thread pool, so OpenBLAS needs
// no threads of its own. The library reads OPENBLAS_NUM_THREADS only at load,
// so the process starts itself again once with the variable set, and children
// inherit it.
void RestartWithoutBlasThreads(char** argv) {
  const char* threads = std::getenv("OPENBLAS_NUM_THREADS");
  if (threads != nullptr && std::string_view(threads) == "1") return;
  setenv("OPENBLAS_NUM_THREADS", "1", 1);
  execv("/proc/self/exe", argv);
  // Without /proc the process goes on with OpenBLAS's threads.
}

}  // namespace

int main(int argc, char** argv) {
  RestartWithoutBlasThreads(argv);
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
  msearch::cli::RegisterInspect(app, global, &exit_code);
  msearch::cli::RegisterEmbed(app, global, &exit_code);
  msearch::cli::RegisterModels(app, global, &exit_code);

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
