#include "ipc/protocol.h"

#include <algorithm>
#include <cmath>

namespace msearch::ipc {

nlohmann::json MakeRegister(std::string_view process_id, std::string_view process_type, pid_t pid) {
  return {{"type", kTypeRegister},
          {"process_id", process_id},
          {"process_type", process_type},
          {"pid", pid}};
}

nlohmann::json MakeHeartbeat(std::string_view process_id, bool busy,
                             const std::optional<std::string>& current_task,
                             std::optional<uint64_t> rss_bytes) {
  nlohmann::json message = {{"type", kTypeHeartbeat},
                            {"process_id", process_id},
                            {"status", busy ? kStatusBusy : kStatusIdle}};
  if (current_task) message["current_task"] = *current_task;
  if (rss_bytes) message["rss_bytes"] = *rss_bytes;
  return message;
}

nlohmann::json MakeProgress(std::string_view process_id, std::string_view task_id, double progress,
                            const std::optional<std::string>& message) {
  double clamped = std::isnan(progress) ? 0.0 : std::clamp(progress, 0.0, 1.0);
  nlohmann::json result = {{"type", kTypeProgress},
                           {"process_id", process_id},
                           {"task_id", task_id},
                           {"progress", clamped}};
  if (message) result["message"] = *message;
  return result;
}

nlohmann::json MakeEvent(std::string_view name, const nlohmann::json& data) {
  return {{"type", kTypeEvent}, {"name", name}, {"data", data}};
}

nlohmann::json MakeWake(const std::vector<std::string>& task_types) {
  nlohmann::json message = {{"type", kTypeWake}};
  if (!task_types.empty()) message["task_types"] = task_types;
  return message;
}

nlohmann::json MakeShutdown() { return {{"type", kTypeShutdown}}; }

nlohmann::json MakeAck(std::string_view request_type) {
  return {{"type", kTypeAck}, {"request_type", request_type}};
}

}  // namespace msearch::ipc
