#include "server/config_json.h"

namespace msearch::server {
namespace {

nlohmann::json Paths(const std::vector<std::filesystem::path>& paths) {
  nlohmann::json list = nlohmann::json::array();
  for (const std::filesystem::path& path : paths) list.push_back(path.string());
  return list;
}

nlohmann::json ProcessesJson(const config::ProcessesConfig& processes) {
  const config::FileMonitorConfig& monitor = processes.file_monitor;
  const config::EmbeddingWorkerConfig& embedding = processes.embedding_worker;
  const config::TaskWorkerConfig& task = processes.task_worker;
  return {
      {"file_monitor",
       {{"watched_dirs", Paths(monitor.watched_dirs)},
        {"supported_extensions", monitor.supported_extensions},
        {"ignore_patterns", monitor.ignore_patterns},
        {"recursive", monitor.recursive},
        {"scan_interval", monitor.scan_interval},
        {"debounce_ms", monitor.debounce_ms}}},
      {"embedding_worker",
       {{"device", embedding.device},
        {"batch_size", embedding.batch_size},
        {"num_instances", embedding.num_instances},
        {"memory_limit_mb", embedding.memory_limit_mb}}},
      {"task_worker",
       {{"num_instances", task.num_instances},
        {"task_timeout", task.task_timeout},
        {"task_cpu_limit", task.task_cpu_limit},
        {"memory_limit_mb", task.memory_limit_mb}}},
  };
}

nlohmann::json IpcJson(const config::IpcConfig& ipc) {
  const config::TaskQueueConfig& queue = ipc.task_queue;
  return {
      {"task_queue",
       {{"path", queue.path.string()},
        {"max_size", queue.max_size},
        {"auto_commit", queue.auto_commit},
        {"lease_seconds", queue.lease_seconds},
        {"max_attempts", queue.max_attempts},
        {"retry_base_seconds", queue.retry_base_seconds},
        {"retry_max_seconds", queue.retry_max_seconds},
        {"max_running", queue.max_running},
        {"type_limits", queue.type_limits}}},
      {"state_cache",
       {{"path", ipc.state_cache.path.string()},
        {"memory_capacity", ipc.state_cache.memory_capacity},
        {"cleanup_interval", ipc.state_cache.cleanup_interval}}},
      {"local_ipc",
       {{"socket_path", ipc.local_ipc.socket_path.string()},
        {"timeout", ipc.local_ipc.timeout},
        {"max_message_bytes", ipc.local_ipc.max_message_bytes}}},
  };
}

nlohmann::json MediaJson(const config::MediaConfig& media) {
  return {
      {"thumbnail_size", media.thumbnail_size},
      {"max_image_megapixels", media.max_image_megapixels},
      {"video",
       {{"min_segment_s", media.video.min_segment_s},
        {"max_segment_s", media.video.max_segment_s},
        {"single_segment_max_s", media.video.single_segment_max_s},
        {"frames_per_segment", media.video.frames_per_segment},
        {"frame_size", media.video.frame_size},
        {"decode_threads", media.video.decode_threads}}},
      {"audio",
       {{"window_s", media.audio.window_s},
        {"hop_s", media.audio.hop_s},
        {"min_duration_s", media.audio.min_duration_s},
        {"fingerprints", media.audio.fingerprints}}},
      {"ocr", {{"enabled", media.ocr.enabled}, {"languages", media.ocr.languages}}},
  };
}

void CollectChanges(const nlohmann::json& before, const nlohmann::json& after,
                    const std::string& prefix, std::vector<std::string>* keys) {
  if (before.is_object() && after.is_object()) {
    for (const auto& [key, value] : after.items()) {
      std::string name = prefix.empty() ? key : prefix + "." + key;
      auto old = before.find(key);
      CollectChanges(old == before.end() ? nlohmann::json() : *old, value, name, keys);
    }
    for (const auto& [key, value] : before.items()) {
      if (!after.contains(key)) keys->push_back(prefix.empty() ? key : prefix + "." + key);
    }
    return;
  }
  if (before != after) keys->push_back(prefix);
}

}  // namespace

nlohmann::json ConfigToJson(const config::Config& config) {
  const config::SupervisorConfig& supervisor = config.supervisor;
  const config::ModelsConfig& models = config.models;
  return {
      {"processes", ProcessesJson(config.processes)},
      {"ipc", IpcJson(config.ipc)},
      {"api",
       {{"host", config.api.host},
        {"port", config.api.port},
        {"token", config.api.token.empty() ? "" : std::string(kRedactedToken)},
        {"threads", config.api.threads}}},
      {"storage",
       {{"data_dir", config.storage.data_dir.string()},
        {"catalog_path", config.storage.catalog_path.string()},
        {"thumbnail_dir", config.storage.thumbnail_dir.string()}}},
      {"logging",
       {{"dir", config.logging.dir.string()},
        {"level", config.logging.level},
        {"max_file_mb", config.logging.max_file_mb},
        {"max_files", config.logging.max_files}}},
      {"supervisor",
       {{"heartbeat_interval", supervisor.heartbeat_interval},
        {"heartbeat_timeout", supervisor.heartbeat_timeout},
        {"restart_backoff_initial", supervisor.restart_backoff_initial},
        {"restart_backoff_max", supervisor.restart_backoff_max},
        {"max_restarts", supervisor.max_restarts},
        {"restart_window", supervisor.restart_window},
        {"shutdown_timeout", supervisor.shutdown_timeout}}},
      {"media", MediaJson(config.media)},
      {"models",
       {{"dir", models.dir.string()},
        {"image", models.image},
        {"text", models.text},
        {"audio", models.audio},
        {"hub_endpoint", models.hub_endpoint},
        {"idle_unload_seconds", models.idle_unload_seconds},
        {"inference_threads", models.inference_threads}}},
      {"search",
       {{"weights",
         {{"image", config.search.image_weight},
          {"video", config.search.video_weight},
          {"audio", config.search.audio_weight},
          {"text", config.search.text_weight}}},
        {"sound_audio_factor", config.search.sound_audio_factor},
        {"index",
         {{"exact_up_to", config.search.exact_up_to},
          {"scan_up_to", config.search.scan_up_to},
          {"hnsw_ef_search", config.search.hnsw_ef_search}}}}},
  };
}

std::vector<std::string> ChangedKeys(const nlohmann::json& before, const nlohmann::json& after) {
  std::vector<std::string> keys;
  CollectChanges(before, after, "", &keys);
  return keys;
}

}  // namespace msearch::server
