#include "config/config_loader.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/process_info.h"

namespace msearch::config {
namespace {

// Walks one YAML mapping, reading known keys into fields and collecting a
// message for every invalid value. Keys never read are reported as unknown
// by Finish().
class MappingReader {
 public:
  MappingReader(const YAML::Node& node, std::string prefix, std::vector<std::string>* errors)
      : node_(node), prefix_(std::move(prefix)), errors_(errors) {
    if (node_ && !node_.IsNull() && !node_.IsMap()) {
      AddError(prefix_.empty() ? "(top level)" : prefix_, Describe(node_),
               "a mapping of keys to values");
    }
  }

  bool valid() const { return node_ && node_.IsMap(); }

  // True if the mapping sets `key`, even to an empty list.
  bool Has(const std::string& key) const {
    YAML::Node value = valid() ? Lookup(key) : YAML::Node();
    return value && !value.IsNull();
  }

  MappingReader Child(const std::string& key) {
    known_.insert(key);
    YAML::Node child = valid() ? Lookup(key) : YAML::Node();
    return MappingReader(child, Join(key), errors_);
  }

  void Int(const std::string& key, int* out, int min, int max) {
    std::optional<YAML::Node> node = Take(key);
    if (!node) return;
    const YAML::Node& value = *node;
    int parsed = 0;
    if (!value.IsScalar() || !YAML::convert<int>::decode(value, parsed) || parsed < min ||
        parsed > max) {
      AddError(Join(key), Describe(value), fmt::format("an integer from {} to {}", min, max));
      return;
    }
    *out = parsed;
  }

  void Double(const std::string& key, double* out, double min, double max) {
    std::optional<YAML::Node> node = Take(key);
    if (!node) return;
    const YAML::Node& value = *node;
    double parsed = 0;
    // Written as a negated range test so that .nan, which compares false
    // with everything, is rejected too.
    if (!value.IsScalar() || !YAML::convert<double>::decode(value, parsed) ||
        !(parsed >= min && parsed <= max)) {
      AddError(Join(key), Describe(value), fmt::format("a number from {} to {}", min, max));
      return;
    }
    *out = parsed;
  }

  void Bool(const std::string& key, bool* out) {
    std::optional<YAML::Node> node = Take(key);
    if (!node) return;
    const YAML::Node& value = *node;
    bool parsed = false;
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, parsed)) {
      AddError(Join(key), Describe(value), "true or false");
      return;
    }
    *out = parsed;
  }

  void String(const std::string& key, std::string* out,
              const std::vector<std::string>& allowed = {}) {
    std::optional<YAML::Node> node = Take(key);
    if (!node) return;
    const YAML::Node& value = *node;
    if (!value.IsScalar()) {
      AddError(Join(key), Describe(value), "a string");
      return;
    }
    std::string text = value.Scalar();
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
      AddError(Join(key), Describe(value),
               "one of: " + fmt::format("{}", fmt::join(allowed, ", ")));
      return;
    }
    *out = text;
  }

  void Path(const std::string& key, std::filesystem::path* out,
            const std::filesystem::path& base_dir) {
    std::string text;
    String(key, &text);
    if (!text.empty()) *out = Resolve(text, base_dir);
  }

  void StringList(const std::string& key, std::vector<std::string>* out) {
    std::optional<YAML::Node> node = Take(key);
    if (!node) return;
    const YAML::Node& value = *node;
    if (!value.IsSequence()) {
      AddError(Join(key), Describe(value), "a list of strings");
      return;
    }
    std::vector<std::string> items;
    for (size_t i = 0; i < value.size(); ++i) {
      if (!value[i].IsScalar()) {
        AddError(fmt::format("{}[{}]", Join(key), i), Describe(value[i]), "a string");
        return;
      }
      items.push_back(value[i].Scalar());
    }
    *out = std::move(items);
  }

  void IntMap(const std::string& key, std::map<std::string, int>* out, int min, int max) {
    std::optional<YAML::Node> node = Take(key);
    if (!node) return;
    const YAML::Node& value = *node;
    if (!value.IsMap()) {
      AddError(Join(key), Describe(value), "a mapping of task type to an integer");
      return;
    }
    for (const auto& entry : value) {
      std::string name = entry.first.Scalar();
      int parsed = 0;
      if (!entry.second.IsScalar() || !YAML::convert<int>::decode(entry.second, parsed) ||
          parsed < min || parsed > max) {
        AddError(Join(key) + "." + name, Describe(entry.second),
                 fmt::format("an integer from {} to {}", min, max));
        continue;
      }
      (*out)[name] = parsed;
    }
  }

  // Reports keys present in the mapping that no reader asked for.
  void Finish() {
    if (!valid()) return;
    for (const auto& entry : node_) {
      std::string key = entry.first.Scalar();
      if (known_.count(key) != 0) continue;
      std::string hint = Suggest(key);
      errors_->push_back(fmt::format("unknown key '{}'{}", Join(key),
                                     hint.empty() ? "" : "; did you mean '" + Join(hint) + "'?"));
    }
  }

  static std::filesystem::path Resolve(const std::string& text,
                                       const std::filesystem::path& base_dir) {
    std::filesystem::path path = text;
    if (text == "~" || text.rfind("~/", 0) == 0) {
      const char* home = std::getenv("HOME");
      path = home != nullptr && *home != '\0' ? home : "/";
      // "~" alone stays the home folder itself, without a trailing slash.
      if (text.size() > 2) path /= text.substr(2);
    }
    if (path.is_relative()) path = base_dir / path;
    return path.lexically_normal();
  }

 private:
  // Reads through a const node: yaml-cpp's non-const operator[] would insert
  // the missing key into the mapping.
  YAML::Node Lookup(const std::string& key) const {
    const YAML::Node& node = node_;
    return node[key];
  }

  // Marks `key` as known and returns its value, or nullopt when the key is
  // missing or set to null. (A default-constructed YAML::Node is a defined
  // null node, so it cannot stand for "missing".)
  std::optional<YAML::Node> Take(const std::string& key) {
    known_.insert(key);
    if (!valid()) return std::nullopt;
    YAML::Node value = Lookup(key);
    if (!value || value.IsNull()) return std::nullopt;
    return value;
  }

  std::string Join(const std::string& key) const {
    return prefix_.empty() ? key : prefix_ + "." + key;
  }

  void AddError(const std::string& key, const std::string& value, const std::string& expected) {
    errors_->push_back(fmt::format("invalid value {} for '{}': expected {}", value, key, expected));
  }

  static std::string Describe(const YAML::Node& node) {
    if (node.IsScalar()) return "'" + node.Scalar() + "'";
    if (node.IsSequence()) return "(a list)";
    if (node.IsMap()) return "(a mapping)";
    return "(empty)";
  }

  // The known key closest to `key` by edit distance, if any is close.
  std::string Suggest(const std::string& key) const {
    std::string best;
    size_t best_distance = 3;
    for (const std::string& candidate : known_) {
      size_t distance = EditDistance(key, candidate);
      if (distance < best_distance) {
        best_distance = distance;
        best = candidate;
      }
    }
    return best;
  }

  static size_t EditDistance(const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        size_t above = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
        diagonal = above;
      }
    }
    return row[b.size()];
  }

  YAML::Node node_;
  std::string prefix_;
  std::vector<std::string>* errors_;
  std::set<std::string> known_;
};

bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

std::string NormalizeExtension(std::string extension) {
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!extension.empty() && extension[0] != '.') extension.insert(extension.begin(), '.');
  return extension;
}

void ReadProcesses(MappingReader& reader, const std::filesystem::path& base_dir,
                   ProcessesConfig* processes) {
  MappingReader monitor = reader.Child("file_monitor");
  if (monitor.Has("watched_dirs")) {
    std::vector<std::string> dirs;
    monitor.StringList("watched_dirs", &dirs);
    processes->file_monitor.watched_dirs.clear();
    for (const std::string& dir : dirs) {
      processes->file_monitor.watched_dirs.push_back(MappingReader::Resolve(dir, base_dir));
    }
  }
  std::vector<std::string> extensions;
  monitor.StringList("supported_extensions", &extensions);
  if (!extensions.empty()) {
    processes->file_monitor.supported_extensions.clear();
    for (std::string& extension : extensions) {
      processes->file_monitor.supported_extensions.push_back(NormalizeExtension(extension));
    }
  }
  monitor.StringList("ignore_patterns", &processes->file_monitor.ignore_patterns);
  monitor.Bool("recursive", &processes->file_monitor.recursive);
  monitor.Int("scan_interval", &processes->file_monitor.scan_interval, 5, 7 * 24 * 3600);
  monitor.Int("debounce_ms", &processes->file_monitor.debounce_ms, 0, 60000);
  monitor.Finish();

  MappingReader embedding = reader.Child("embedding_worker");
  embedding.String("device", &processes->embedding_worker.device, {"cpu", "cuda", "auto"});
  embedding.Int("batch_size", &processes->embedding_worker.batch_size, 1, 1024);
  embedding.Int("num_instances", &processes->embedding_worker.num_instances, 0, 16);
  embedding.Int("memory_limit_mb", &processes->embedding_worker.memory_limit_mb, 0, 1 << 22);
  embedding.Finish();

  MappingReader task = reader.Child("task_worker");
  task.Int("num_instances", &processes->task_worker.num_instances, 1, 64);
  task.Int("task_timeout", &processes->task_worker.task_timeout, 1, 24 * 3600);
  task.Int("task_cpu_limit", &processes->task_worker.task_cpu_limit, 1, 24 * 3600);
  task.Int("memory_limit_mb", &processes->task_worker.memory_limit_mb, 0, 1 << 22);
  task.Finish();
  reader.Finish();
}

void ReadStorage(MappingReader& root, const std::filesystem::path& base_dir, Config* config) {
  MappingReader storage = root.Child("storage");
  storage.Path("data_dir", &config->storage.data_dir, base_dir);
  // The other stores default to files inside data_dir, wherever it moved.
  config->storage.catalog_path = config->storage.data_dir / "catalog.db";
  config->storage.thumbnail_dir = config->storage.data_dir / "thumbnails";
  storage.Path("catalog_path", &config->storage.catalog_path, base_dir);
  storage.Path("thumbnail_dir", &config->storage.thumbnail_dir, base_dir);
  storage.Finish();

  // The queue and state databases follow data_dir unless set on their own.
  config->ipc.task_queue.path = config->storage.data_dir / "task_queue.db";
  config->ipc.state_cache.path = config->storage.data_dir / "state_cache.db";
}

void ReadIpc(MappingReader& reader, const std::filesystem::path& base_dir, IpcConfig* ipc) {
  MappingReader queue = reader.Child("task_queue");
  queue.Path("path", &ipc->task_queue.path, base_dir);
  queue.Int("max_size", &ipc->task_queue.max_size, 1, 100000000);
  queue.Bool("auto_commit", &ipc->task_queue.auto_commit);
  queue.Int("lease_seconds", &ipc->task_queue.lease_seconds, 5, 24 * 3600);
  queue.Int("max_attempts", &ipc->task_queue.max_attempts, 1, 100);
  queue.Double("retry_base_seconds", &ipc->task_queue.retry_base_seconds, 0, 3600);
  queue.Double("retry_max_seconds", &ipc->task_queue.retry_max_seconds, 0, 24 * 3600);
  queue.Int("max_running", &ipc->task_queue.max_running, 1, 1024);
  queue.IntMap("type_limits", &ipc->task_queue.type_limits, 0, 1024);
  queue.Finish();

  MappingReader cache = reader.Child("state_cache");
  cache.Path("path", &ipc->state_cache.path, base_dir);
  cache.Int("memory_capacity", &ipc->state_cache.memory_capacity, 1, 10000000);
  cache.Int("cleanup_interval", &ipc->state_cache.cleanup_interval, 10, 30 * 24 * 3600);
  cache.Finish();

  MappingReader local = reader.Child("local_ipc");
  local.Path("socket_path", &ipc->local_ipc.socket_path, base_dir);
  local.Int("timeout", &ipc->local_ipc.timeout, 1, 3600);
  local.Int("max_message_bytes", &ipc->local_ipc.max_message_bytes, 1024, 64 << 20);
  local.Finish();
  reader.Finish();
}

void ReadRest(MappingReader& root, const std::filesystem::path& base_dir, Config* config,
              std::vector<std::string>* errors) {
  MappingReader api = root.Child("api");
  api.String("host", &config->api.host);
  api.Int("port", &config->api.port, 0, 65535);
  api.String("token", &config->api.token);
  api.Int("threads", &config->api.threads, 1, 256);
  api.Finish();
  if (!IsLoopback(config->api.host) && config->api.token.empty()) {
    errors->push_back(fmt::format(
        "invalid value '{}' for 'api.host': listening beyond this machine needs 'api.token' set "
        "to a secret that clients send as a Bearer token",
        config->api.host));
  }

  MappingReader logging = root.Child("logging");
  logging.Path("dir", &config->logging.dir, base_dir);
  logging.String("level", &config->logging.level,
                 {"trace", "debug", "info", "warn", "error", "critical", "off"});
  logging.Int("max_file_mb", &config->logging.max_file_mb, 1, 10240);
  logging.Int("max_files", &config->logging.max_files, 1, 1000);
  logging.Finish();

  MappingReader supervisor = root.Child("supervisor");
  SupervisorConfig& s = config->supervisor;
  supervisor.Double("heartbeat_interval", &s.heartbeat_interval, 0.1, 600);
  supervisor.Double("heartbeat_timeout", &s.heartbeat_timeout, 1, 3600);
  supervisor.Double("restart_backoff_initial", &s.restart_backoff_initial, 0, 600);
  supervisor.Double("restart_backoff_max", &s.restart_backoff_max, 0, 3600);
  supervisor.Int("max_restarts", &s.max_restarts, 0, 1000);
  supervisor.Double("restart_window", &s.restart_window, 1, 24 * 3600);
  supervisor.Double("shutdown_timeout", &s.shutdown_timeout, 0.1, 600);
  supervisor.Finish();
  if (s.heartbeat_timeout <= s.heartbeat_interval) {
    errors->push_back(
        fmt::format("invalid value '{}' for 'supervisor.heartbeat_timeout': expected more than "
                    "'supervisor.heartbeat_interval' ({})",
                    s.heartbeat_timeout, s.heartbeat_interval));
  }

  MappingReader media = root.Child("media");
  media.Int("thumbnail_size", &config->media.thumbnail_size, 16, 4096);
  media.Int("max_image_megapixels", &config->media.max_image_megapixels, 1, 10000);

  VideoAnalysisConfig& v = config->media.video;
  MappingReader video = media.Child("video");
  video.Double("min_segment_s", &v.min_segment_s, 0.1, 600);
  video.Double("max_segment_s", &v.max_segment_s, 1, 3600);
  video.Double("single_segment_max_s", &v.single_segment_max_s, 0, 3600);
  video.Int("frames_per_segment", &v.frames_per_segment, 1, 32);
  video.Int("frame_size", &v.frame_size, 64, 2048);
  video.Int("decode_threads", &v.decode_threads, 1, 16);
  video.Finish();
  if (v.max_segment_s < 2 * v.min_segment_s) {
    errors->push_back(
        fmt::format("invalid value '{}' for 'media.video.max_segment_s': expected at least twice "
                    "'media.video.min_segment_s' ({})",
                    v.max_segment_s, v.min_segment_s));
  }

  AudioAnalysisConfig& a = config->media.audio;
  MappingReader audio = media.Child("audio");
  audio.Double("window_s", &a.window_s, 1, 600);
  audio.Double("hop_s", &a.hop_s, 0.5, 600);
  audio.Double("min_duration_s", &a.min_duration_s, 0, 600);
  audio.Bool("fingerprints", &a.fingerprints);
  audio.Finish();
  if (a.min_duration_s > a.window_s) {
    errors->push_back(
        fmt::format("invalid value '{}' for 'media.audio.min_duration_s': expected at most "
                    "'media.audio.window_s' ({})",
                    a.min_duration_s, a.window_s));
  }
  if (a.hop_s > a.window_s) {
    errors->push_back(fmt::format(
        "invalid value '{}' for 'media.audio.hop_s': expected at most 'media.audio.window_s' ({}), "
        "or audio between windows would never be embedded",
        a.hop_s, a.window_s));
  }

  MappingReader ocr = media.Child("ocr");
  ocr.Bool("enabled", &config->media.ocr.enabled);
  ocr.StringList("languages", &config->media.ocr.languages);
  ocr.Finish();
  media.Finish();
}

void ReadSearch(MappingReader& root, SearchConfig* search, std::vector<std::string>* errors) {
  MappingReader reader = root.Child("search");
  MappingReader weights = reader.Child("weights");
  weights.Double("image", &search->image_weight, 0, 1);
  weights.Double("video", &search->video_weight, 0, 1);
  weights.Double("audio", &search->audio_weight, 0, 1);
  weights.Double("text", &search->text_weight, 0, 1);
  weights.Finish();
  reader.Double("sound_audio_factor", &search->sound_audio_factor, 1, 10);
  MappingReader index = reader.Child("index");
  index.Int("exact_up_to", &search->exact_up_to, 0, 100'000'000);
  index.Int("scan_up_to", &search->scan_up_to, 0, 1'000'000'000);
  index.Int("hnsw_ef_search", &search->hnsw_ef_search, 16, 8192);
  index.Finish();
  reader.Finish();
  if (search->image_weight + search->video_weight + search->audio_weight + search->text_weight <=
      0) {
    errors->push_back(
        "invalid values for 'search.weights': every weight is 0, so no search could match; set "
        "at least one of image, video, audio and text above 0");
  }
}

// A model name in the configuration: a hub id ("owner/name" or "name") or a
// store folder name. Hub ids use letters, digits, '-', '_' and '.'.
bool IsModelReference(const std::string& name) {
  if (name.empty() || name.size() > 200) return false;
  size_t slashes = 0;
  for (char c : name) {
    if (c == '/') {
      ++slashes;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  if (slashes > 1 || name.front() == '/' || name.back() == '/') return false;
  // Neither part may start with '.', which also rules out "." and "..".
  size_t slash = name.find('/');
  return name.front() != '.' && (slash == std::string::npos || name[slash + 1] != '.');
}

// The hub endpoint without trailing slashes, or nullopt when it is not an
// http:// or https:// URL.
std::optional<std::string> NormalizeEndpoint(std::string endpoint) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  bool has_scheme = endpoint.rfind("http://", 0) == 0 || endpoint.rfind("https://", 0) == 0;
  size_t host_start = endpoint.find("://") + 3;
  if (!has_scheme || endpoint.size() <= host_start) return std::nullopt;
  return endpoint;
}

void CheckModelReference(const std::string& key, const std::string& name,
                         std::vector<std::string>* errors) {
  if (name.empty() || IsModelReference(name)) return;
  errors->push_back(
      fmt::format("invalid value '{}' for '{}': expected a Hugging Face model id such as "
                  "'openai/clip-vit-base-patch32' or the folder name of an installed model",
                  name, key));
}

void ReadModels(MappingReader& root, const std::filesystem::path& base_dir, Config* config,
                std::vector<std::string>* errors) {
  ModelsConfig& m = config->models;
  // The models folder follows data_dir unless set on its own.
  m.dir = config->storage.data_dir / "models";
  const std::string endpoint_before = m.hub_endpoint;

  MappingReader models = root.Child("models");
  models.Path("dir", &m.dir, base_dir);
  models.String("image", &m.image);
  models.StringList("text", &m.text);
  models.String("audio", &m.audio);
  models.String("hub_endpoint", &m.hub_endpoint);
  models.Int("idle_unload_seconds", &m.idle_unload_seconds, 0, 7 * 24 * 3600);
  models.Int("inference_threads", &m.inference_threads, 0, 1024);
  models.Finish();

  CheckModelReference("models.image", m.image, errors);
  for (size_t i = 0; i < m.text.size(); ++i) {
    CheckModelReference(fmt::format("models.text[{}]", i), m.text[i], errors);
  }
  CheckModelReference("models.audio", m.audio, errors);

  std::optional<std::string> endpoint = NormalizeEndpoint(m.hub_endpoint);
  if (endpoint) {
    m.hub_endpoint = *endpoint;
  } else {
    bool from_environment = m.hub_endpoint == endpoint_before;
    errors->push_back(fmt::format(
        "invalid value '{}' for 'models.hub_endpoint'{}: expected an http:// or https:// URL "
        "such as https://huggingface.co",
        m.hub_endpoint, from_environment ? " (from $HF_ENDPOINT)" : ""));
  }
}

std::filesystem::path BaseDirFor(const std::filesystem::path& file) {
  if (const char* home = std::getenv("MSEARCH_HOME"); home != nullptr && *home != '\0') {
    return std::filesystem::absolute(home).lexically_normal();
  }
  std::filesystem::path folder = std::filesystem::absolute(file).parent_path();
  if (folder.filename() == "config") return folder.parent_path();
  return folder;
}

}  // namespace

Config DefaultConfig(const std::filesystem::path& base_dir) {
  Config config;
  config.base_dir = base_dir;
  auto& monitor = config.processes.file_monitor;
  monitor.watched_dirs = {base_dir / "samples"};
  monitor.supported_extensions = {
      ".jpg",  ".jpeg", ".png", ".gif",  ".webp", ".bmp",  ".tif", ".tiff", ".heic",
      ".heif", ".avif", ".mp4", ".mov",  ".mkv",  ".webm", ".avi", ".m4v",  ".mpg",
      ".mpeg", ".ts",   ".mts", ".m2ts", ".wmv",  ".flv",  ".3gp", ".mp3",  ".wav",
      ".flac", ".ogg",  ".oga", ".opus", ".m4a",  ".aac",  ".wma", ".aiff", ".aif"};
  monitor.ignore_patterns = {".*",         "*.tmp", "*.temp", "*.part", "*.crdownload",
                             "*.download", "~$*",   "*~",     "*.swp"};
  config.ipc.task_queue.path = base_dir / "data" / "task_queue.db";
  config.ipc.task_queue.type_limits = {{"probe", 2}, {"thumbnail", 2}};
  config.ipc.state_cache.path = base_dir / "data" / "state_cache.db";
  config.storage.data_dir = base_dir / "data";
  config.storage.catalog_path = base_dir / "data" / "catalog.db";
  config.storage.thumbnail_dir = base_dir / "data" / "thumbnails";
  config.logging.dir = base_dir / "logs";
  config.models.dir = base_dir / "data" / "models";
  config.models.image = "openai/clip-vit-base-patch32";
  config.models.text = {"openai/clip-vit-base-patch32", "OFA-Sys/chinese-clip-vit-base-patch16"};
  config.models.audio = "laion/clap-htsat-unfused";
  // huggingface_hub reads the same variable, so a mirror set for it applies here too.
  if (const char* endpoint = std::getenv("HF_ENDPOINT"); endpoint != nullptr && *endpoint != '\0') {
    config.models.hub_endpoint = NormalizeEndpoint(endpoint).value_or(endpoint);
  }
  return config;
}

Config ParseConfig(const std::string& yaml_text, const std::filesystem::path& source,
                   const std::filesystem::path& base_dir) {
  Config config = DefaultConfig(base_dir);
  config.source = source;

  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& error) {
    throw ConfigError(fmt::format("{}: not valid YAML at line {}, column {}: {}", source.string(),
                                  error.mark.line + 1, error.mark.column + 1, error.msg));
  }

  std::vector<std::string> errors;
  MappingReader reader(root, "", &errors);
  ReadStorage(reader, base_dir, &config);
  MappingReader processes = reader.Child("processes");
  ReadProcesses(processes, base_dir, &config.processes);
  MappingReader ipc = reader.Child("ipc");
  ReadIpc(ipc, base_dir, &config.ipc);
  ReadRest(reader, base_dir, &config, &errors);
  ReadModels(reader, base_dir, &config, &errors);
  ReadSearch(reader, &config.search, &errors);
  reader.Finish();

  if (!errors.empty()) {
    std::ostringstream message;
    message << source.string() << ": " << errors.size() << " configuration error"
            << (errors.size() == 1 ? "" : "s") << ":";
    for (const std::string& error : errors) message << "\n  " << error;
    throw ConfigError(message.str());
  }
  return config;
}

Config LoadConfigFile(const std::filesystem::path& file) {
  std::error_code error;
  if (std::filesystem::is_directory(file, error)) {
    // An ifstream opens a directory without error and reads nothing, which
    // would pass for an empty configuration.
    throw ConfigError(
        fmt::format("configuration file '{}' is a directory; give the path of a YAML file such as "
                    "config/config.yml",
                    file.string()));
  }
  std::ifstream stream(file);
  if (!stream) {
    throw ConfigError(fmt::format("cannot read configuration file '{}': {}", file.string(),
                                  std::strerror(errno)));
  }
  std::stringstream text;
  text << stream.rdbuf();
  return ParseConfig(text.str(), std::filesystem::absolute(file), BaseDirFor(file));
}

std::optional<std::filesystem::path> FindConfigFile(
    const std::optional<std::filesystem::path>& flag_path) {
  if (flag_path) return *flag_path;
  if (const char* env = std::getenv("MSEARCH_CONFIG"); env != nullptr && *env != '\0') {
    return std::filesystem::path(env);
  }
  std::error_code error;
  std::filesystem::path local = std::filesystem::current_path(error) / "config" / "config.yml";
  if (std::filesystem::exists(local, error)) return local;
  std::filesystem::path installed =
      ExecutablePath().parent_path().parent_path() / "config" / "config.yml";
  if (std::filesystem::exists(installed, error)) return installed;
  return std::nullopt;
}

Config LoadConfig(const std::optional<std::filesystem::path>& flag_path) {
  std::optional<std::filesystem::path> file = FindConfigFile(flag_path);
  if (file) return LoadConfigFile(*file);
  const char* home = std::getenv("MSEARCH_HOME");
  return DefaultConfig(home != nullptr && *home != '\0' ? std::filesystem::path(home)
                                                        : std::filesystem::current_path());
}

}  // namespace msearch::config
