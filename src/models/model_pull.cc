#include "models/model_pull.h"

#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/error.h"
#include "models/checkpoint_check.h"
#include "models/file_digest.h"

namespace msearch::models {
namespace {

namespace fs = std::filesystem;

std::vector<HubFile> SelectCheckpointFiles(const HubRepoInfo& info, const HubModelRef& ref) {
  std::vector<HubFile> files;
  bool has_safetensors = false;
  bool has_pytorch = false;
  for (const HubFile& file : info.files) {
    has_pytorch = has_pytorch || file.path == "pytorch_model.bin";
    if (!IsCheckpointFile(file.path)) continue;
    has_safetensors = has_safetensors || file.path == "model.safetensors";
    files.push_back(file);
  }
  if (!has_safetensors) {
    throw Error(
        fmt::format("model '{}' at revision '{}' has no model.safetensors{}; msearch reads only "
                    "safetensors weights{}",
                    ref.repo_id, ref.revision, has_pytorch ? " (only pytorch_model.bin)" : "",
                    has_pytorch ? ": download it with Python and convert it with "
                                  "transformers.AutoModel.from_pretrained(ID).save_pretrained(DIR, "
                                  "safe_serialization=True), then run `msearch models import DIR`"
                                : ""));
  }
  return files;
}

// True when `path` already contains the complete, verified file.
bool IsComplete(const fs::path& path, const HubFile& file) {
  std::error_code error;
  if (!fs::is_regular_file(path, error) || fs::file_size(path, error) != file.size) return false;
  return file.sha256.empty() || Sha256File(path) == file.sha256;
}

void DownloadFile(const HubClient& hub, const HubModelRef& ref, const std::string& revision,
                  const HubFile& file, const fs::path& target, const PullProgress& progress) {
  fs::path part = target;
  part += ".part";
  std::string url = hub.ResolveUrl(ref.repo_id, revision, file.path);
  DownloadProgress report;
  if (progress) {
    report = [&progress, &file](uint64_t done, uint64_t total) {
      progress(file.path, done, total);
    };
  }
  const RetryPolicy& retry = hub.retry();
  for (int attempt = 1;; ++attempt) {
    HttpResult result = hub.http().Download(url, part, file.size, report);
    std::error_code error;
    uint64_t have = fs::file_size(part, error);
    if (result.ok() && have == file.size) break;
    if (result.ok() && have > file.size) {
      fs::remove(part, error);
      throw Error(
          fmt::format("'{}' of model '{}' is larger than the {} bytes the hub listed; "
                      "deleted it, try the pull again",
                      file.path, ref.repo_id, file.size));
    }
    // A complete reply shorter than listed is retried like a cut connection.
    bool transient = result.ok() || result.transient();
    std::string failure = result.curl_code != 0 ? result.error
                          : result.ok()         ? fmt::format("got {} of {} bytes", have, file.size)
                                                : fmt::format("HTTP {}", result.status);
    if (!transient || attempt >= retry.max_attempts) {
      throw Error(fmt::format("downloading '{}' of model '{}' failed: GET {}: {}", file.path,
                              ref.repo_id, url, failure));
    }
    double delay = RetryDelaySeconds(retry, attempt);
    spdlog::warn(
        "downloading '{}' of model '{}' failed ({}) at byte {}; retry {} of {} in "
        "{:.1f} s",
        file.path, ref.repo_id, failure, have, attempt, retry.max_attempts - 1, delay);
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
  }

  if (!file.sha256.empty()) {
    std::string actual = Sha256File(part);
    if (actual != file.sha256) {
      std::error_code error;
      fs::remove(part, error);
      throw Error(fmt::format(
          "checksum mismatch for '{}' of model '{}': SHA-256 {} but the hub lists {}; deleted "
          "the download, try the pull again",
          file.path, ref.repo_id, actual, file.sha256));
    }
  }
  // NOTE: files outside Git LFS are checked by size only; the hub lists
  // their git blob id, not a SHA-256.
  fs::rename(part, target);
}

}  // namespace

InstalledModel PullModel(ModelStore& store, const HubClient& hub, const HubModelRef& ref,
                         const PullProgress& progress) {
  std::string name = StoreName(ref.repo_id);
  CheckStoreName(name);
  if (store.Contains(name)) {
    throw Error(
        fmt::format("model '{}' is already installed as '{}'; remove it first with "
                    "`msearch models remove {}`",
                    ref.repo_id, store.ModelDir(name).string(), name));
  }
  spdlog::info("pulling model '{}' at revision '{}' from {}", ref.repo_id, ref.revision,
               hub.endpoint());
  HubRepoInfo info = hub.GetRepoInfo(ref);
  std::vector<HubFile> files = SelectCheckpointFiles(info, ref);
  // Downloading by commit keeps every file from the same snapshot even if
  // the branch moves during the pull.
  std::string revision = info.commit.empty() ? ref.revision : info.commit;
  fs::path staging = store.StagingDir("pull-" + name + "@" + EscapeUrlSegment(revision));

  ModelManifest manifest;
  manifest.name = name;
  manifest.source = "hub";
  manifest.origin = ref.repo_id;
  manifest.endpoint = hub.endpoint();
  manifest.revision = ref.revision;
  manifest.commit = info.commit;
  for (const HubFile& file : files) {
    fs::path target = staging / file.path;
    if (IsComplete(target, file)) {
      spdlog::info("'{}' of model '{}' is already downloaded", file.path, ref.repo_id);
    } else {
      DownloadFile(hub, ref, revision, file, target, progress);
    }
    manifest.files.push_back({file.path, file.size, Sha256File(target)});
  }
  try {
    return store.Install(staging, std::move(manifest));
  } catch (const Error&) {
    // A checkpoint that does not validate will not validate on a rerun either.
    std::error_code error;
    if (!store.Contains(name)) fs::remove_all(staging, error);
    throw;
  }
}

}  // namespace msearch::models
