#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/console.h"
#include "common/clock.h"
#include "common/process_info.h"
#include "config/config_loader.h"
#include "queue/state_cache.h"

namespace msearch::cli {
namespace {

int RunStatus(const GlobalOptions& global) {
  config::Config config = config::LoadConfig(global.config_path);
  queue::StateCache state_cache(config.ipc.state_cache.path, queue::StateCacheOptions{});
  std::vector<queue::ProcessState> processes = state_cache.ListProcesses();

  // The table outlives a killed main process, so trust only live pids.
  bool main_alive = false;
  for (const queue::ProcessState& process : processes) {
    if (process.process_type == "main" && process.pid && process.status != "stopped" &&
        ProcessAlive(static_cast<pid_t>(*process.pid))) {
      main_alive = true;
    }
  }

  double now = NowSeconds();
  nlohmann::json rows = nlohmann::json::array();
  for (const queue::ProcessState& process : processes) {
    bool alive = main_alive && process.pid && ProcessAlive(static_cast<pid_t>(*process.pid));
    std::string state = alive ? process.status : (main_alive ? process.status : "stopped");
    uint64_t rss = alive ? ResidentBytes(static_cast<pid_t>(*process.pid)).value_or(0) : 0;
    uint64_t pss = alive ? ProportionalBytes(static_cast<pid_t>(*process.pid)).value_or(0) : 0;
    double uptime = alive && process.started_at ? now - *process.started_at : 0;
    rows.push_back({{"process_id", process.process_id},
                    {"process_type", process.process_type},
                    {"state", state},
                    {"pid", alive ? nlohmann::json(*process.pid) : nlohmann::json(nullptr)},
                    {"uptime_seconds", uptime},
                    {"restarts", process.restarts},
                    {"rss_bytes", rss},
                    {"pss_bytes", pss},
                    {"last_error", process.last_error ? nlohmann::json(*process.last_error)
                                                      : nlohmann::json(nullptr)}});
  }

  if (global.json) {
    PrintJson({{"running", main_alive}, {"processes", rows}});
    return main_alive ? 0 : 3;
  }
  if (!main_alive) {
    std::cout << "msearch is not running\n";
    return 3;
  }
  // Memory is the proportional set size: shared libraries count once across
  // the tree, so the total is what msearch costs the machine.
  uint64_t total_pss = 0;
  std::cout << fmt::format("{:<20} {:<17} {:>8} {:<11} {:>12} {:>8} {:>10}\n", "PROCESS", "TYPE",
                           "PID", "STATE", "UPTIME", "RESTARTS", "MEMORY");
  for (const auto& row : rows) {
    total_pss += row["pss_bytes"].get<uint64_t>();
    std::cout << fmt::format(
        "{:<20} {:<17} {:>8} {:<11} {:>12} {:>8} {:>10}\n", row["process_id"].get<std::string>(),
        row["process_type"].get<std::string>(),
        row["pid"].is_null() ? "-" : std::to_string(row["pid"].get<int64_t>()),
        row["state"].get<std::string>(), HumanDuration(row["uptime_seconds"].get<double>()),
        row["restarts"].get<int>(), HumanBytes(row["pss_bytes"].get<uint64_t>()));
  }
  std::cout << fmt::format("Total memory (proportional set size): {}\n", HumanBytes(total_pss));
  for (const auto& row : rows) {
    if (!row["last_error"].is_null() && row["state"] == "error") {
      std::cout << fmt::format("{}: {}\n", row["process_id"].get<std::string>(),
                               row["last_error"].get<std::string>());
    }
  }
  return 0;
}

}  // namespace

void RegisterStatus(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* command = app.add_subcommand(
      "status", "Show each process: pid, state, uptime, restarts and memory (exit code 3 when "
                "msearch is not running)");
  command->add_flag("--json", global.json, "Print JSON");
  command->callback([&global, exit_code] { *exit_code = RunStatus(global); });
}

}  // namespace msearch::cli
