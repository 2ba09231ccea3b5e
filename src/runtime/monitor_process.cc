#include "runtime/monitor_process.h"

#include <thread>

#include <spdlog/spdlog.h>

#include "ipc/protocol.h"
#include "monitor/file_monitor.h"
#include "queue/task_queue.h"
#include "runtime/queue_options.h"
#include "runtime/queue_work_sink.h"

namespace msearch::runtime {

int RunFileMonitor(const config::Config& config, const ChildIdentity& identity) {
  ChildSession session(config, identity);
  queue::TaskQueue queue(config.ipc.task_queue.path, QueueOptionsFromConfig(config));
  QueueWorkSink sink(queue, identity.process_id, [&session](int queued) {
    session.Send(ipc::MakeEvent(ipc::kEventFilesChanged, {{"queued", queued}}));
  });
  monitor::FileMonitor file_monitor(config.storage.catalog_path, config.processes.file_monitor,
                                    sink);

  std::jthread monitor_thread([&file_monitor](std::stop_token stop) { file_monitor.Run(stop); });
  spdlog::info("{} watching {} configured folder(s)", identity.process_id,
               config.processes.file_monitor.watched_dirs.size());

  while (!session.stop_requested()) {
    std::optional<nlohmann::json> message = session.WaitForMessage(std::chrono::seconds(5));
    if (!message || message->value("type", "") != ipc::kTypeEvent) continue;
    std::string name = message->value("name", "");
    nlohmann::json data = message->value("data", nlohmann::json::object());
    if (name == "reload_directories") {
      spdlog::info("{}: reloading the watched directories", identity.process_id);
      file_monitor.ReloadDirectories();
    } else if (name == "rescan") {
      std::optional<int64_t> directory_id;
      if (data.contains("directory_id") && data["directory_id"].is_number_integer()) {
        directory_id = data["directory_id"].get<int64_t>();
      }
      spdlog::info("{}: rescan requested for {}", identity.process_id,
                   directory_id ? fmt::format("directory {}", *directory_id) : "all directories");
      file_monitor.RequestRescan(directory_id);
    }
  }

  monitor_thread.request_stop();
  monitor_thread.join();
  spdlog::info("{} stopping", identity.process_id);
  return 0;
}

}  // namespace msearch::runtime
