#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace msearch::config {

// The file monitor process: which folders it watches and what it indexes.
struct FileMonitorConfig {
  std::vector<std::filesystem::path> watched_dirs;
  std::vector<std::string> supported_extensions;  // lower case, with the leading dot
  std::vector<std::string> ignore_patterns;       // glob patterns matched against file names
  bool recursive = true;
  int scan_interval = 300;  // seconds between full rescans
  int debounce_ms = 500;    // quiet time before a changed file is processed
};

struct EmbeddingWorkerConfig {
  std::string device = "cpu";
  int batch_size = 8;
  int num_instances = 1;
  int memory_limit_mb = 16384;  // address-space limit per process; 0 for none
};

struct TaskWorkerConfig {
  int num_instances = 2;
  int task_timeout = 600;      // seconds a single task may run before it fails
  int task_cpu_limit = 600;    // CPU seconds (all threads) a single task may use
  int memory_limit_mb = 4096;  // address-space limit per process; 0 for none
};

struct ProcessesConfig {
  FileMonitorConfig file_monitor;
  EmbeddingWorkerConfig embedding_worker;
  TaskWorkerConfig task_worker;
};

struct TaskQueueConfig {
  std::filesystem::path path;
  int max_size = 10000;  // pending tasks; beyond it new work waits in the catalog
  bool auto_commit = true;
  int lease_seconds = 60;
  int max_attempts = 3;
  double retry_base_seconds = 2;
  double retry_max_seconds = 300;
  int max_running = 4;  // global concurrency budget across all workers
  std::map<std::string, int> type_limits;
};

struct StateCacheConfig {
  std::filesystem::path path;
  int memory_capacity = 1000;
  int cleanup_interval = 3600;  // seconds
};

struct LocalIpcConfig {
  std::filesystem::path socket_path;  // empty: a private folder chosen at start
  int timeout = 30;                   // seconds
  int max_message_bytes = 1 << 20;
};

struct IpcConfig {
  TaskQueueConfig task_queue;
  StateCacheConfig state_cache;
  LocalIpcConfig local_ipc;
};

struct ApiConfig {
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string token;  // required when host is not a loopback address
  int threads = 4;
};

struct StorageConfig {
  std::filesystem::path data_dir;
  std::filesystem::path catalog_path;
  std::filesystem::path thumbnail_dir;
};

struct LoggingConfig {
  std::filesystem::path dir;
  std::string level = "info";
  int max_file_mb = 10;
  int max_files = 5;
};

struct SupervisorConfig {
  double heartbeat_interval = 2;  // seconds between child heartbeats
  double heartbeat_timeout = 30;  // a silent child is restarted after this
  double restart_backoff_initial = 0.5;
  double restart_backoff_max = 30;
  int max_restarts = 5;  // crashes within restart_window before giving up
  double restart_window = 300;
  double shutdown_timeout = 5;  // seconds children get to exit before SIGKILL
};

// Scene segmentation of video tracks.
struct VideoAnalysisConfig {
  double min_segment_s = 1.0;
  double max_segment_s = 30.0;
  double single_segment_max_s = 6.0;  // videos up to this long are one segment
  int frames_per_segment = 4;         // frames per segment given to the image model
  int frame_size = 448;               // shorter side of those frames, in pixels
  // Threads that decode the GOPs of one video in parallel (1 to 16), for
  // frames of 1280 x 720 = 921,600 pixels or more. 1 decodes on the task
  // worker's own thread only.
  int decode_threads = 2;
};

// Windows of audio tracks for the audio model.
struct AudioAnalysisConfig {
  double window_s = 10.0;
  double hop_s = 10.0;
  double min_duration_s = 3.0;  // shorter tracks are catalogued, not embedded
  bool fingerprints = true;     // Chromaprint fingerprints for recording matches
};

struct OcrConfig {
  bool enabled = true;
  std::vector<std::string> languages = {"eng", "chi_sim"};  // Tesseract language packs
};

struct MediaConfig {
  int thumbnail_size = 320;
  int max_image_megapixels = 100;
  VideoAnalysisConfig video;
  AudioAnalysisConfig audio;
  OcrConfig ocr;
};

// Embedding models: where they are installed, which one each modality uses,
// and where `msearch models pull` downloads them from. A model is named by its
// Hugging Face hub id ("openai/clip-vit-base-patch32") or by its folder name in
// `dir` ("openai--clip-vit-base-patch32").
struct ModelsConfig {
  std::filesystem::path dir;      // default: storage.data_dir/models
  std::string image;              // empty: no image embeddings
  std::vector<std::string> text;  // one text encoder per image or audio model family
  std::string audio;              // empty: no audio embeddings
  // models.hub_endpoint when set, else $HF_ENDPOINT, else https://huggingface.co;
  // no trailing slash.
  std::string hub_endpoint = "https://huggingface.co";
  int idle_unload_seconds = 600;  // an embedding worker frees an unused model after this; 0: never
  int inference_threads = 0;      // threads per embedding worker; 0: one per CPU core
};

// Weights of the kinds of evidence that search fuses into one score per
// file. Each weight (0 to 1) scales the calibrated scores of hits of that
// modality, and 0 leaves the modality out.
struct SearchConfig {
  double image_weight = 1.0;  // still images matched by their vectors
  double video_weight = 1.0;  // video segments matched by their frames
  double audio_weight = 1.0;  // audio windows and fingerprint matches
  double text_weight = 1.0;   // OCR text, names, paths and tags
  // A text query that names sounds (music, speech, ...) multiplies the audio
  // weight by this factor (1 to 10) before the weights are rescaled.
  double sound_audio_factor = 2.0;
  // Limits, in vectors per embedding space, of the ways to search it. Up to
  // exact_up_to, a float scan of every vector (exact). Up to scan_up_to, a
  // scan of 8-bit codes with exact rescoring of the best. Above, an HNSW
  // graph (approximate).
  int exact_up_to = 20000;
  int scan_up_to = 2'000'000;
  // Candidates an HNSW search considers (16 to 8192): more is slower and
  // finds more of the true nearest vectors.
  int hnsw_ef_search = 128;
};

struct Config {
  // The file the configuration was read from, empty for built-in defaults.
  std::filesystem::path source;
  // Relative paths in the file resolve against this folder.
  std::filesystem::path base_dir;

  ProcessesConfig processes;
  IpcConfig ipc;
  ApiConfig api;
  StorageConfig storage;
  LoggingConfig logging;
  SupervisorConfig supervisor;
  MediaConfig media;
  ModelsConfig models;
  SearchConfig search;
};

}  // namespace msearch::config
