#include "server/openapi_components.h"

#include "server/openapi_builders.h"

namespace msearch::server::openapi {
namespace {

Json ErrorResponses() {
  const std::pair<int, const char*> kErrors[] = {
      {400, "Invalid input: a parameter or the body is missing, malformed or out of range"},
      {401, "Missing or wrong bearer token (only when api.token is set)"},
      {403,
       "A path outside the watched directories and the upload area, or a cross-site "
       "request"},
      {404, "Unknown id, uuid or path"},
      {409, "The resource is in a state the operation does not apply to"},
      {411, "A chunked request body where Content-Length is required"},
      {413, "The request body or upload is too large"},
      {416, "The Range header cannot be satisfied; Content-Range gives the size"},
      {503,
       "A database is busy or unreachable, a needed model is missing, or too many event "
       "streams are open"},
      {507, "The upload cannot be stored on this machine"},
  };
  Json responses = Json::object();
  for (const auto& [status, description] : kErrors) {
    responses["Error" + std::to_string(status)] = JsonResponse(Ref("ErrorResponse"), description);
  }
  return responses;
}

Json FileSchemas() {
  Json schemas = Json::object();
  schemas["FileInfo"] =
      Object({{"file_uuid", String("Stable id of the file; kept across renames")},
              {"file_path", String("Absolute path")},
              {"file_name", String()},
              {"file_type", Enum({"image", "video", "audio"})},
              {"file_size", Integer("Bytes")},
              {"created_at", DateTime("When the file was first catalogued")},
              {"modified_at", DateTime("The file's modification time")},
              {"indexed", Boolean("The file was probed successfully")},
              {"has_thumbnail", Boolean()},
              {"has_preview", Boolean("Always true: the media itself is served as the preview")},
              {"extension", String("Lower case, with the dot")},
              {"indexed_at", Nullable(DateTime())},
              {"thumbnail_url", Nullable(String("GET URL of the thumbnail"))},
              {"preview_url", String("GET URL of the media, with Range support")},
              {"status", Enum({"pending", "processing", "indexed", "failed"})},
              {"error", Nullable(String())},
              {"directory_id", Integer()},
              {"metadata", AnyObject("Probe facts; only in GET /api/v1/files/{file_uuid}")}},
             {"file_uuid", "file_path", "file_name", "file_type", "file_size", "created_at",
              "modified_at", "indexed", "has_thumbnail", "has_preview"});
  schemas["FileList"] = Object({{"total_files", Integer()},
                                {"files", Array(Ref("FileInfo"))},
                                {"limit", Integer()},
                                {"offset", Integer()}},
                               {"total_files", "files"});
  schemas["Segment"] =
      Object({{"track", Enum({"video", "audio"})},
              {"index", Integer("0-based, in time order within the track")},
              {"start", Number("Seconds")},
              {"end", Number("Seconds")},
              {"centre", Number("Seconds, halfway between start and end")},
              {"representative", Number("Seconds; the moment the thumbnail shows")},
              {"duration", Number("Seconds")},
              {"has_thumbnail", Boolean()},
              {"thumbnail_url", Nullable(String())},
              {"preview_url", String("Media URL with a #t=start,end fragment")}},
             {"track", "index", "start", "end", "centre", "thumbnail_url"});
  schemas["SegmentList"] = Object({{"file_uuid", String()},
                                   {"file_path", String()},
                                   {"file_type", String()},
                                   {"total_segments", Integer()},
                                   {"segments", Array(Ref("Segment"))}},
                                  {"file_uuid", "segments"});
  schemas["UploadResponse"] =
      Object({{"success", Boolean()},
              {"message", String()},
              {"file_path", String("Path of the stored upload; usable as a query path")},
              {"filename", String()},
              {"file_size", Integer("Bytes")},
              {"content_type", String()},
              {"expires_at", DateTime("The upload is removed after this time")},
              {"timestamp", DateTime()}},
             {"success", "file_path", "filename"});
  return schemas;
}

Json TaskSchemas() {
  Json schemas = Json::object();
  schemas["TaskInfo"] = Object(
      {{"task_id", String()},
       {"task_type", String("probe, analyze, thumbnail or embed")},
       {"status", Enum({"pending", "running", "completed", "failed", "cancelled", "waiting"})},
       {"priority", IntRange(0, 11, "0 runs first")},
       {"created_at", DateTime()},
       {"started_at", Nullable(DateTime())},
       {"completed_at", Nullable(DateTime())},
       {"updated_at", DateTime()},
       {"error_message", Nullable(String())},
       {"progress", Number("Fraction done, 0 to 1")},
       {"result", Nullable(AnyObject())},
       {"file_path", Nullable(String())},
       {"duration", Nullable(Number("Seconds from start to completion"))},
       {"tags", Array(String())},
       {"attempts", Integer()},
       {"max_attempts", Integer()},
       {"paused", Boolean()},
       {"archived", Boolean()},
       {"scope", Nullable(String("Pause group, e.g. dir:3"))},
       {"worker_id", Nullable(String())},
       {"sender", String()}},
      {"task_id", "task_type", "status", "priority", "created_at", "started_at", "completed_at",
       "error_message", "progress", "result", "file_path", "duration", "tags"});
  schemas["TaskList"] = Object({{"total_tasks", Integer()},
                                {"tasks", Array(Ref("TaskInfo"))},
                                {"limit", Integer()},
                                {"offset", Integer()}},
                               {"total_tasks", "tasks"});
  schemas["TaskStats"] =
      Object({{"total_tasks", Integer()},
              {"by_status", Map(Integer())},
              {"by_type", Map(Integer())},
              {"by_type_and_status", Map(Map(Integer()))},
              {"queue_length", Integer("Pending tasks")},
              {"running", Integer()},
              {"throughput_per_minute", Integer("Tasks completed in the last minute")},
              {"oldest_pending_age_seconds", Nullable(Number())},
              {"paused", Boolean("The whole queue is paused")},
              {"paused_scopes", Array(String())},
              {"timestamp", DateTime()}},
             {"by_status", "by_type", "queue_length", "throughput_per_minute"});
  schemas["ThreadPoolStatus"] =
      Object({{"thread_pool",
               Object({{"max_workers", Integer()},
                       {"active_threads", Integer()},
                       {"idle_threads", Integer()},
                       {"load_percentage", Number()},
                       {"pending_tasks", Integer()},
                       {"worker_processes", Integer()}},
                      {"max_workers", "active_threads", "idle_threads", "load_percentage"})},
              {"workers", Array(AnyObject("A row of the process table"))},
              {"timestamp", DateTime()}},
             {"thread_pool"});
  schemas["CancelResponse"] = Object(
      {{"success", Boolean()},
       {"message", String()},
       {"result", Object({{"cancelled", Integer()},
                          {"failed", Integer("Running tasks left alone without cancel_running")},
                          {"total", Integer()}},
                         {"cancelled", "failed", "total"})},
       {"timestamp", DateTime()}},
      {"success", "message", "result"});
  return schemas;
}

Json SearchSchemas() {
  Json schemas = Json::object();
  schemas["TimestampInfo"] = Object(
      {{"start", Number("Seconds")},
       {"end", Number("Seconds")},
       {"centre", Number("Seconds, (start + end) / 2")},
       {"representative", Nullable(Number("Seconds: the moment a segment's thumbnail shows"))},
       {"duration", Number("Seconds")},
       {"score", Number("This stretch's score, 0 to 1")},
       {"index", Nullable(Integer("Segment index in its track; null for other ranges"))},
       {"track", Enum({"video", "audio"})},
       {"source", Enum({"vector", "text", "metadata", "fingerprint"})},
       {"thumbnail_url", Nullable(String("GET URL of the segment's thumbnail"))},
       {"preview_url", String("GET URL of the media with a #t=start,end fragment")}},
      {"start", "end", "centre"}, "Where in a video or audio file the match is");
  schemas["SearchResult"] =
      Object({{"file_uuid", String()},
              {"file_path", String()},
              {"file_name", String()},
              {"file_type", Enum({"image", "video", "audio"})},
              {"score", Number("Higher is better, 0 to 1")},
              {"modality", String()},
              {"thumbnail_path", Nullable(String("GET URL of the thumbnail"))},
              {"preview_path", Nullable(String("GET URL of the media"))},
              {"metadata", AnyObject()},
              {"timestamp_info", Nullable(Ref("TimestampInfo"))},
              {"match", Nullable(Enum({"vector", "text", "metadata", "fingerprint"},
                                      "The strongest way the file was found"))},
              {"sources", Array(Enum({"vector", "text", "metadata", "fingerprint"}))},
              {"matched_fields", Array(Enum({"name", "path", "tags"}))},
              {"matched_text", Nullable(String("Recognised text that matched"))},
              {"segments", Array(Ref("TimestampInfo"),
                                 "Every stretch that matched, in time "
                                 "order")}},
             {"file_uuid", "file_path", "file_name", "file_type", "score", "modality",
              "thumbnail_path", "preview_path", "metadata", "timestamp_info"});
  schemas["SearchResponse"] =
      Object({{"query", String()},
              {"total_results", Integer()},
              {"results", Array(Ref("SearchResult"))},
              {"search_time", Number("Seconds")},
              {"query_type", Enum({"text", "image", "video", "audio"})},
              {"timestamp", DateTime()},
              {"total_matches", Integer("Files that matched before top_k")},
              {"spaces", Array(String(), "Embedding spaces searched")},
              {"warnings", Array(String(), "Parts of the query that could not run")},
              {"message", String("Present when nothing matched well enough")}},
             {"query", "total_results", "results", "search_time", "query_type"});
  return schemas;
}

Json DirectorySchemas() {
  Json schemas = Json::object();
  schemas["FileCounts"] = Object({{"total", Integer()},
                                  {"indexed", Integer()},
                                  {"pending", Integer()},
                                  {"processing", Integer()},
                                  {"failed", Integer()},
                                  {"by_type", Map(Integer())}},
                                 {"total", "indexed", "pending", "processing", "failed"});
  schemas["Directory"] = Object(
      {{"id", Integer()},
       {"path", String()},
       {"recursive", Boolean()},
       {"state", Enum({"initializing", "monitoring", "paused", "error"})},
       {"error", Nullable(String())},
       {"from_config", Boolean("Listed in processes.file_monitor.watched_dirs")},
       {"detached", Boolean("Removed with its data kept: not watched, files still catalogued")},
       {"added_at", DateTime()},
       {"last_scan_at", Nullable(DateTime())},
       {"files", Ref("FileCounts")},
       {"tasks_paused", Boolean()}},
      {"id", "path", "recursive", "state", "error"});
  schemas["DirectoryList"] =
      Object({{"total_directories", Integer()}, {"directories", Array(Ref("Directory"))}},
             {"total_directories", "directories"});
  schemas["IndexStatus"] =
      Object({{"total_files", Integer()},
              {"indexed_files", Integer()},
              {"pending_files", Integer()},
              {"processing_files", Integer()},
              {"failed_files", Integer()},
              {"files_by_type", Map(Integer())},
              {"indexing_tasks", Array(Ref("TaskInfo"), "Running, then pending tasks; at most 50")},
              {"indexing_tasks_total", Integer()},
              {"timestamp", DateTime()}},
             {"total_files", "indexed_files", "pending_files", "failed_files", "indexing_tasks"});
  return schemas;
}

Json SystemSchemas() {
  Json schemas = Json::object();
  schemas["Health"] =
      Object({{"status", Enum({"ok", "degraded"})},
              {"version", String()},
              {"uptime", Number("Seconds")},
              {"processes", Array(AnyObject())},
              {"database", AnyObject()},
              {"timestamp", DateTime()}},
             {"status"}, "With api.token set, a request without the token gets only status");
  schemas["SystemModel"] =
      Object({{"model_id", String()},
              {"model_name", Nullable(String())},
              {"role", Enum({"image", "text", "audio"})},
              {"status", Enum({"installed", "not_installed", "invalid"})},
              {"embedding_dim", Nullable(Integer())},
              {"device", String()},
              {"loaded", Boolean()}},
             {"model_id", "model_name", "status", "embedding_dim", "device", "loaded"});
  schemas["SystemInfo"] =
      Object({{"version", String()},
              {"python_version", String("The C++ runtime; the key keeps its original name")},
              {"platform", String()},
              {"uptime", Number("Seconds")},
              {"models", Array(Ref("SystemModel"))},
              {"database_status", Enum({"connected", "error"})},
              {"database", AnyObject()},
              {"vector_store_status", Enum({"ready", "error", "not configured"})},
              {"timestamp", DateTime()}},
             {"version", "python_version", "platform", "uptime", "models", "database_status",
              "vector_store_status"});
  schemas["SystemStats"] = Object(
      {{"total_files", Integer()},
       {"indexed_files", Integer()},
       {"pending_files", Integer()},
       {"failed_files", Integer()},
       {"files_by_type", Map(Integer())},
       {"total_vectors", Integer()},
       {"active_tasks", Integer()},
       {"pending_tasks", Integer()},
       {"running_tasks", Integer()},
       {"waiting_tasks", Integer()},
       {"completed_tasks", Integer()},
       {"failed_tasks", Integer()},
       {"cancelled_tasks", Integer()},
       {"memory_usage", AnyObject("Bytes of this process, of all processes, of the system")},
       {"disk_usage", Nullable(AnyObject("Bytes of the file system holding the data folder"))},
       {"processes", Array(AnyObject())},
       {"uptime", Number()},
       {"timestamp", DateTime()}},
      {"total_files", "indexed_files", "total_vectors", "active_tasks", "completed_tasks",
       "failed_tasks", "memory_usage", "disk_usage"});
  schemas["VectorStats"] = Object(
      {{"total_vectors", Integer()},
       {"total_vector_bytes", Integer()},
       {"spaces", Array(Object({{"space", String("Embedding space: the model's folder name")},
                                {"model_name", String()},
                                {"modalities", Array(String())},
                                {"dimension", Integer()},
                                {"vectors", Integer()},
                                {"vector_bytes", Integer()},
                                {"index", Nullable(AnyObject("State of the in-memory index"))}},
                               {"space", "dimension", "vectors"}))},
       {"vector_store_status", String()},
       {"timestamp", DateTime()}},
      {"total_vectors", "spaces"});
  schemas["ConfiguredModel"] =
      Object({{"role", Enum({"image", "text", "audio"})},
              {"config_key", String()},
              {"model_id", String()},
              {"model_name", Nullable(String())},
              {"status", Enum({"installed", "not_installed", "invalid"})},
              {"problem", Nullable(String())},
              {"family", Nullable(String())},
              {"modalities", Array(String())},
              {"size_bytes", Nullable(Integer())},
              {"embedding_dim", Nullable(Integer())},
              {"vectors", Integer()},
              {"device", String()},
              {"loaded", Boolean("Inferred from recent embed tasks and the query encoders")},
              {"loaded_in", Array(Enum({"embedding_worker", "api"}))},
              {"source", Nullable(String())},
              {"origin", Nullable(String())},
              {"revision", Nullable(String())},
              {"installed_at", Nullable(String())}},
             {"role", "model_id", "status", "loaded"});
  schemas["Models"] = Object({{"models_dir", String()},
                              {"configured", Array(Ref("ConfiguredModel"))},
                              {"installed", Array(AnyObject("A model folder in models_dir"))},
                              {"timestamp", DateTime()}},
                             {"configured", "installed"});
  schemas["ConfigResponse"] =
      Object({{"config", AnyObject("The effective configuration; api.token is shown as ********")},
              {"source", Nullable(String("The configuration file"))},
              {"base_dir", String()},
              {"editable", Boolean("False when msearch runs without a configuration file")},
              {"timestamp", DateTime()}},
             {"config", "editable"});
  return schemas;
}

}  // namespace

Json Components() {
  Json schemas = Json::object();
  schemas["ErrorResponse"] = Object({{"error", String("Machine-readable kind")},
                                     {"message", String("What failed and what to do")},
                                     {"detail", Nullable(AnyObject())},
                                     {"timestamp", DateTime()}},
                                    {"error", "message", "detail", "timestamp"});
  schemas["SuccessResponse"] = Object({{"success", Boolean()},
                                       {"message", String()},
                                       {"data", Nullable(AnyObject())},
                                       {"timestamp", DateTime()}},
                                      {"success", "message", "data", "timestamp"});
  for (const Json& group :
       {FileSchemas(), TaskSchemas(), SearchSchemas(), DirectorySchemas(), SystemSchemas()}) {
    schemas.update(group);
  }
  Json security =
      Json::object({{"bearer", Json::object({{"type", "http"},
                                             {"scheme", "bearer"},
                                             {"description",
                                              "Required on every route but /health when "
                                              "api.token is set"}})}});
  return Json::object(
      {{"schemas", schemas}, {"responses", ErrorResponses()}, {"securitySchemes", security}});
}

}  // namespace msearch::server::openapi
