#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/console.h"
#include "config/config_loader.h"
#include "queue/task_queue.h"
#include "runtime/queue_options.h"

namespace msearch::cli {
namespace {

int RunTaskStats(const GlobalOptions& global) {
  config::Config config = config::LoadConfig(global.config_path);
  queue::TaskQueue queue(config.ipc.task_queue.path, runtime::QueueOptionsFromConfig(config));
  queue::QueueStats stats = queue.Stats();

  if (global.json) {
    PrintJson({{"by_status", stats.by_status},
               {"by_type", stats.by_type},
               {"by_type_and_status", stats.by_type_and_status},
               {"queue_length", stats.pending},
               {"running", stats.running},
               {"completed_last_minute", stats.completed_last_minute},
               {"oldest_pending_age_seconds",
                stats.oldest_pending_age_seconds ? nlohmann::json(*stats.oldest_pending_age_seconds)
                                                 : nlohmann::json(nullptr)},
               {"paused", stats.paused_all},
               {"paused_scopes", stats.paused_scopes}});
    return 0;
  }

  std::cout << fmt::format("Queue: {} pending, {} running, {} completed in the last minute{}\n",
                           stats.pending, stats.running, stats.completed_last_minute,
                           stats.paused_all ? " (paused)" : "");
  if (stats.oldest_pending_age_seconds) {
    std::cout << fmt::format("Oldest pending task waits for {}\n",
                             HumanDuration(*stats.oldest_pending_age_seconds));
  }
  std::cout << fmt::format("{:<12} {:>9} {:>8} {:>11} {:>10} {:>7} {:>10}\n", "type", "pending",
                           "waiting", "processing", "completed", "failed", "cancelled");
  for (const auto& [type, counts] : stats.by_type_and_status) {
    auto count = [&](const char* status) {
      auto it = counts.find(status);
      return it == counts.end() ? int64_t{0} : it->second;
    };
    std::cout << fmt::format("{:<12} {:>9} {:>8} {:>11} {:>10} {:>7} {:>10}\n", type,
                             count("pending"), count("waiting"), count("processing"),
                             count("completed"), count("failed"), count("cancelled"));
  }
  return 0;
}

}  // namespace

void RegisterTask(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* command = app.add_subcommand("task", "Inspect the task queue");
  command->require_subcommand(1);
  auto* stats = command->add_subcommand("stats", "Show task counts by type and status");
  stats->add_flag("--json", global.json, "Print JSON");
  stats->callback([&global, exit_code] { *exit_code = RunTaskStats(global); });
}

}  // namespace msearch::cli
