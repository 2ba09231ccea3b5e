#include "cli/commands.h"
#include "config/config_loader.h"
#include "runtime/main_process.h"

namespace msearch::cli {

void RegisterServe(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* command = app.add_subcommand(
      "serve", "Run the main process in the foreground: REST API, file monitor and workers");
  auto options = std::make_shared<runtime::ServeOptions>();
  command->add_option("--pid-file", options->pid_file,
                      "Write the main process id to this file once the API is up");
  command->add_flag("!--quiet", options->log_to_console,
                    "Log only to files under logging.dir, not to the terminal");
  command->callback([&global, exit_code, options] {
    config::Config config = config::LoadConfig(global.config_path);
    *exit_code = runtime::RunMainProcess(config, *options);
  });
}

}  // namespace msearch::cli
