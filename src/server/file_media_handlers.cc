#include "server/file_media_handlers.h"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/error.h"
#include "server/http_response.h"
#include "server/media_streaming.h"
#include "server/request_params.h"
#include "server/watched_paths.h"

namespace msearch::server {
namespace {

// UUIDs are 36 characters, so anything much longer cannot be a file's.
constexpr size_t kMaxUuidBytes = 64;

std::string LowerExtension(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

std::filesystem::path RequirePreviewPath(ServerContext& context, const httplib::Request& request) {
  std::string text = RequireParam(request, "path");
  std::filesystem::path path = text;
  if (text.find('\0') != std::string::npos || !path.is_absolute()) {
    throw BadRequest(fmt::format("invalid value '{}' for 'path': expected an absolute path", text),
                     {{"parameter", "path"}});
  }
  if (context.uploads.Contains(path)) return path;

  std::optional<store::DirectoryRecord> directory;
  {
    DatabasePool::Lease lease = context.databases.Acquire();
    directory = FindWatchedDirectory(WatchedDirectories(lease.catalog()), path);
  }
  if (!directory) {
    throw Forbidden(
        fmt::format("'{}' is not inside a watched directory or the upload area", path.string()),
        {{"path", path.string()}});
  }
  const std::vector<std::string>& extensions =
      context.config.processes.file_monitor.supported_extensions;
  if (std::find(extensions.begin(), extensions.end(), LowerExtension(path)) == extensions.end()) {
    throw Forbidden(fmt::format("'{}' is not a media file: its extension is not in "
                                "processes.file_monitor.supported_extensions",
                                path.string()),
                    {{"path", path.string()}});
  }
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw NotFound(fmt::format("the file '{}' does not exist", path.string()),
                   {{"path", path.string()}});
  }
  return path;
}

// The server cannot store the upload: a problem of this machine, not of the request.
ApiError UploadFailed(const std::string& reason) {
  return ApiError(507, "insufficient_storage",
                  fmt::format("the upload cannot be stored: {}", reason));
}

}  // namespace

void HandlePreview(ServerContext& context, const httplib::Request& request,
                   httplib::Response& response) {
  SendFile(request, response, RequirePreviewPath(context, request));
}

void HandleFileMedia(ServerContext& context, const httplib::Request& request,
                     httplib::Response& response) {
  std::string uuid = request.matches[1];
  std::optional<store::FileRecord> file;
  if (uuid.size() <= kMaxUuidBytes) {
    DatabasePool::Lease lease = context.databases.Acquire();
    file = lease.catalog().FindFileByUuid(uuid);
  }
  if (!file) {
    throw NotFound(fmt::format("no file with uuid '{}' in the catalog", uuid),
                   {{"file_uuid", uuid}});
  }
  SendFile(request, response, file->path);
}

void HandleUpload(ServerContext& context, const httplib::Request& request,
                  httplib::Response& response, const httplib::ContentReader& content_reader) {
  if (!request.is_multipart_form_data()) {
    response.set_header("Connection", "close");
    throw BadRequest("send the upload as multipart/form-data with the file in the field 'file'",
                     {{"content_type", request.get_header_value("Content-Type").substr(0, 100)}});
  }
  UploadArea& uploads = context.uploads;
  int expired = uploads.RemoveExpired();
  if (expired > 0) context.logger->info("removed {} expired uploads", expired);

  std::optional<std::filesystem::path> target;
  std::string original_name;
  std::ofstream output;
  bool in_file = false;
  bool too_large = false;
  std::string failure;  // why the upload could not be written
  uint64_t written = 0;
  bool complete = content_reader(
      [&](const httplib::MultipartFormData& part) {
        // Only the first field named "file" is stored. Other fields are skipped.
        in_file = part.name == "file" && !target;
        if (!in_file) return true;
        original_name = part.filename;
        try {
          target = uploads.NewFilePath(part.filename);
        } catch (const Error& error) {
          failure = error.what();
          return false;
        }
        output.open(*target, std::ios::binary | std::ios::trunc);
        if (!output) failure = fmt::format("cannot create '{}'", target->string());
        return failure.empty();
      },
      [&](const char* data, size_t length) {
        if (!in_file) return true;
        written += length;
        if (written > uploads.max_bytes()) {
          too_large = true;
          return false;
        }
        output.write(data, static_cast<std::streamsize>(length));
        if (!output)
          failure = fmt::format("writing '{}' failed; is the disk full?", target->string());
        return failure.empty();
      });
  if (output.is_open()) {
    output.close();
    if (!output && failure.empty()) failure = fmt::format("writing '{}' failed", target->string());
  }
  if (target && (!complete || too_large || !failure.empty())) uploads.Remove(*target);

  if (too_large) {
    response.set_header("Connection", "close");
    throw PayloadTooLarge(
        fmt::format("the uploaded file exceeds the limit of {} bytes", uploads.max_bytes()));
  }
  if (!failure.empty()) {
    context.logger->error("upload failed: {}", failure);
    throw UploadFailed(failure);
  }
  if (!complete) {
    response.set_header("Connection", "close");
    throw BadRequest("the multipart body is malformed or ended early");
  }
  if (!target) {
    throw BadRequest("missing required multipart field 'file'", {{"parameter", "file"}});
  }

  std::string filename = target->filename().string();
  context.logger->info("stored upload '{}' ({} bytes) at {}", original_name, written,
                       target->string());
  WriteJson(response,
            {
                {"success", true},
                {"message", fmt::format("stored '{}' ({} bytes)", filename, written)},
                {"file_path", target->string()},
                {"filename", filename},
                {"file_size", written},
                {"content_type", MediaContentType(*target)},
                {"expires_at", FormatIso8601(NowSeconds() + UploadArea::kRetentionSeconds)},
                {"timestamp", NowIso8601()},
            });
}

}  // namespace msearch::server
