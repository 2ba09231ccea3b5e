#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/console.h"
#include "common/clock.h"
#include "config/config_loader.h"
#include "ipc/client.h"
#include "ipc/protocol.h"
#include "media/init.h"
#include "monitor/file_monitor.h"
#include "queue/task_queue.h"
#include "runtime/queue_options.h"
#include "runtime/socket_location.h"
#include "runtime/task_executor.h"
#include "runtime/task_types.h"
#include "store/catalog.h"

namespace msearch::cli {
namespace {

struct IndexOptions {
  std::string directory;
  bool once = false;
  bool recursive = true;
};

std::filesystem::path CheckedDirectory(const std::string& text) {
  std::error_code error;
  std::filesystem::path path = std::filesystem::absolute(text, error);
  if (error || !std::filesystem::is_directory(path, error)) {
    throw Error(fmt::format("'{}' is not a directory; give the folder to index", text));
  }
  return std::filesystem::canonical(path, error);
}

// Tells a running main process that the watched directories changed.
// Returns false when msearch is not running.
bool NotifyMainProcess(const config::Config& config) {
  std::filesystem::path socket = runtime::ResolveSocketPath(config);
  if (!std::filesystem::exists(socket)) return false;
  try {
    ipc::IpcClient client;
    client.Connect(socket, std::chrono::milliseconds(500));
    client.Send(ipc::MakeEvent("directories_changed"));
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// Collects the files a one-shot scan found to process.
class CollectingSink : public monitor::WorkSink {
 public:
  void FilesChanged(std::span<const store::UpsertOutcome> outcomes) override {
    files.insert(files.end(), outcomes.begin(), outcomes.end());
  }
  std::vector<store::UpsertOutcome> files;
};

int IndexOnce(const config::Config& config, const std::filesystem::path& directory,
              bool recursive, bool json) {
  store::Catalog catalog(config.storage.catalog_path);
  bool existed = catalog.FindDirectoryByPath(directory).has_value();
  store::DirectoryRecord record = catalog.AddDirectory(directory, recursive, false);
  if (!existed) {
    // Indexed once, not watched: the monitor leaves paused directories alone
    // until 'msearch index DIR' (without --once) starts watching it.
    catalog.SetDirectoryState(record.id, "paused", std::nullopt);
  }

  CollectingSink sink;
  monitor::ScanStats scan = monitor::ScanOnce(catalog, record, config.processes.file_monitor, sink);
  // Files an earlier run left unfinished are processed too: 'pending' ones,
  // and 'processing' ones whose run was killed. Probing is idempotent, so a
  // file that a running service probes at the same moment only costs time.
  std::vector<int64_t> file_ids;
  for (const store::UpsertOutcome& outcome : sink.files) file_ids.push_back(outcome.file_id);
  for (const char* status : {"pending", "processing"}) {
    store::FileFilter unfinished;
    unfinished.status = status;
    unfinished.directory_id = record.id;
    unfinished.limit = 1 << 30;
    for (const store::FileRecord& file : catalog.ListFiles(unfinished)) {
      if (std::find(file_ids.begin(), file_ids.end(), file.id) == file_ids.end()) {
        file_ids.push_back(file.id);
      }
    }
  }

  media::EnsureMediaInitialized();
  runtime::TaskExecutor executor(config, catalog);
  ProgressBar progress("indexing");
  int64_t indexed = 0;
  int64_t failed = 0;
  nlohmann::json errors = nlohmann::json::array();
  double started = MonotonicSeconds();
  for (size_t i = 0; i < file_ids.size(); ++i) {
    std::optional<store::FileRecord> file = catalog.FindFile(file_ids[i]);
    if (!file) continue;
    progress.Update(static_cast<int64_t>(i), static_cast<int64_t>(file_ids.size()), file->name);
    std::vector<queue::NewTask> follow_ups;
    try {
      executor.Run(runtime::kTaskProbe, {{"file_id", file->id}}, &follow_ups);
      for (const queue::NewTask& follow_up : follow_ups) {
        try {
          executor.Run(follow_up.type, follow_up.data, nullptr);
        } catch (const runtime::TaskFailure& error) {
          errors.push_back({{"path", file->path}, {"task", follow_up.type}, {"error", error.what()}});
        }
      }
      ++indexed;
    } catch (const runtime::TaskFailure& error) {
      ++failed;
      errors.push_back({{"path", file->path}, {"task", runtime::kTaskProbe}, {"error", error.what()}});
    }
  }
  progress.Update(static_cast<int64_t>(file_ids.size()), static_cast<int64_t>(file_ids.size()), "");
  progress.Finish();
  double elapsed = MonotonicSeconds() - started;

  nlohmann::json scan_errors = nlohmann::json::array();
  for (const monitor::ScanError& error : scan.errors) {
    scan_errors.push_back({{"path", error.path}, {"error", error.message}});
  }
  if (json) {
    PrintJson({{"directory", directory.string()},
               {"scan",
                {{"seen", scan.seen},
                 {"added", scan.added},
                 {"modified", scan.modified},
                 {"renamed", scan.renamed},
                 {"removed", scan.removed},
                 {"unchanged", scan.unchanged},
                 {"skipped", scan.skipped},
                 {"errors", scan_errors}}},
               {"processed", file_ids.size()},
               {"indexed", indexed},
               {"failed", failed},
               {"errors", errors},
               {"seconds", elapsed}});
  } else {
    std::cout << fmt::format(
        "{}: {} media file(s) found ({} new, {} changed, {} renamed, {} removed); processed {} in "
        "{}: {} indexed, {} failed\n",
        directory.string(), scan.seen, scan.added, scan.modified, scan.renamed, scan.removed,
        file_ids.size(), HumanDuration(elapsed), indexed, failed);
    for (const auto& error : scan_errors) {
      std::cout << fmt::format("  skipped {}: {}\n", error["path"].get<std::string>(),
                               error["error"].get<std::string>());
    }
    for (const auto& error : errors) {
      std::cout << fmt::format("  failed {}: {}\n", error["path"].get<std::string>(),
                               error["error"].get<std::string>());
    }
  }
  return failed > 0 ? 4 : 0;
}

int AddWatchedDirectory(const config::Config& config, const std::filesystem::path& directory,
                        bool recursive, bool json) {
  store::Catalog catalog(config.storage.catalog_path);
  store::DirectoryRecord record = catalog.AddDirectory(directory, recursive, false);
  if (record.state == "paused") catalog.SetDirectoryState(record.id, "initializing", std::nullopt);
  bool notified = NotifyMainProcess(config);
  if (json) {
    PrintJson({{"directory", directory.string()},
               {"directory_id", record.id},
               {"recursive", recursive},
               {"running", notified}});
  } else if (notified) {
    std::cout << fmt::format("Watching {}; msearch is indexing it now ('msearch index status' "
                             "shows progress)\n",
                             directory.string());
  } else {
    std::cout << fmt::format("Added {}; it is indexed when msearch starts "
                             "('scripts/msearchctl start'), or now with 'msearch index {} --once'\n",
                             directory.string(), directory.string());
  }
  return 0;
}

int RunIndexStatus(const config::Config& config, bool json) {
  store::Catalog catalog(config.storage.catalog_path);
  queue::TaskQueue queue(config.ipc.task_queue.path, runtime::QueueOptionsFromConfig(config));
  store::CatalogCounts totals = catalog.Counts();
  queue::QueueStats stats = queue.Stats();

  nlohmann::json directories = nlohmann::json::array();
  for (const store::DirectoryRecord& directory : catalog.ListDirectories()) {
    store::CatalogCounts counts = catalog.Counts(directory.id);
    directories.push_back({{"id", directory.id},
                           {"path", directory.path},
                           {"state", directory.state},
                           {"error", directory.error ? nlohmann::json(*directory.error)
                                                     : nlohmann::json(nullptr)},
                           {"total_files", counts.total},
                           {"indexed_files", counts.indexed},
                           {"pending_files", counts.pending + counts.processing},
                           {"failed_files", counts.failed},
                           {"by_kind", counts.by_kind}});
  }
  if (json) {
    PrintJson({{"total_files", totals.total},
               {"indexed_files", totals.indexed},
               {"pending_files", totals.pending + totals.processing},
               {"failed_files", totals.failed},
               {"by_kind", totals.by_kind},
               {"queue_length", stats.pending},
               {"running_tasks", stats.running},
               {"directories", directories}});
    return 0;
  }
  std::cout << fmt::format("{} file(s): {} indexed, {} pending, {} failed; {} task(s) queued, {} "
                           "running\n",
                           totals.total, totals.indexed, totals.pending + totals.processing,
                           totals.failed, stats.pending, stats.running);
  for (const auto& directory : directories) {
    std::cout << fmt::format("  {:<12} {}  ({} files: {} indexed, {} pending, {} failed)\n",
                             directory["state"].get<std::string>(),
                             directory["path"].get<std::string>(),
                             directory["total_files"].get<int64_t>(),
                             directory["indexed_files"].get<int64_t>(),
                             directory["pending_files"].get<int64_t>(),
                             directory["failed_files"].get<int64_t>());
    if (!directory["error"].is_null()) {
      std::cout << "               " << directory["error"].get<std::string>() << '\n';
    }
  }
  return 0;
}

}  // namespace

void RegisterIndex(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* command = app.add_subcommand(
      "index", "Watch a directory (or index it once with --once), or show indexing status");
  auto options = std::make_shared<IndexOptions>();
  command->add_option("directory", options->directory, "Folder of images, videos and audio");
  command->add_flag("--once", options->once,
                    "Index the folder now in this process, with a progress bar, without watching it");
  command->add_flag("!--no-recursive", options->recursive, "Do not descend into subfolders");
  command->add_flag("--json", global.json, "Print JSON");

  auto* status = command->add_subcommand("status", "Show file counts per watched directory");
  status->add_flag("--json", global.json, "Print JSON");
  status->callback([&global, exit_code] {
    *exit_code = RunIndexStatus(config::LoadConfig(global.config_path), global.json);
  });

  command->callback([command, &global, exit_code, options] {
    if (command->got_subcommand("status")) return;
    if (options->directory.empty()) {
      throw CLI::RequiredError("directory (or the 'status' subcommand)");
    }
    config::Config config = config::LoadConfig(global.config_path);
    std::filesystem::path directory = CheckedDirectory(options->directory);
    *exit_code = options->once ? IndexOnce(config, directory, options->recursive, global.json)
                               : AddWatchedDirectory(config, directory, options->recursive,
                                                     global.json);
  });
}

}  // namespace msearch::cli
