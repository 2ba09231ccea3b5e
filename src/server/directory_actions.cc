#include "server/directory_actions.h"

#include <fmt/format.h>
#include <unistd.h>

#include "server/api_error.h"

namespace msearch::server {

std::filesystem::path RequireReadableDirectory(const std::string& text,
                                               const std::string& parameter) {
  auto invalid = [&](const std::string& problem) {
    return BadRequest(problem, {{"parameter", parameter}, {"value", text.substr(0, 1000)}});
  };
  if (text.find('\0') != std::string::npos) {
    throw invalid(
        fmt::format("invalid value for '{}': a path cannot contain a NUL byte", parameter));
  }
  std::filesystem::path requested = text;
  if (!requested.is_absolute()) {
    throw invalid(
        fmt::format("invalid value '{}' for '{}': expected an absolute path", text, parameter));
  }
  std::error_code error;
  std::filesystem::file_status status = std::filesystem::status(requested, error);
  if (!std::filesystem::exists(status)) {
    throw invalid(fmt::format("the directory '{}' does not exist", text));
  }
  if (!std::filesystem::is_directory(status)) {
    throw invalid(fmt::format("'{}' is not a directory", text));
  }
  if (access(requested.c_str(), R_OK | X_OK) != 0) {
    throw invalid(fmt::format("the directory '{}' is not readable by this user", text));
  }
  std::filesystem::path directory = std::filesystem::canonical(requested, error);
  if (error) {
    throw invalid(fmt::format("failed to resolve the directory '{}': {}", text, error.message()));
  }
  return directory;
}

AddedDirectory AddWatchedDirectory(ServerContext& context, store::Catalog& catalog,
                                   const std::filesystem::path& directory, bool recursive) {
  std::optional<store::DirectoryRecord> existing = catalog.FindDirectoryByPath(directory);
  AddedDirectory added;
  added.created = !existing || existing->detached;
  added.record = catalog.AddDirectory(directory, recursive, false);
  bool changed = added.created || (existing && existing->recursive != recursive);
  if (changed && context.hooks.directories_changed) {
    added.monitor_notified =
        CallHook(context, "directories_changed", context.hooks.directories_changed);
  }
  context.logger->info("watched directory {} {} (id {}, recursive {})", added.record.path,
                       added.created ? "added" : "already present", added.record.id,
                       added.record.recursive);
  return added;
}

std::string DirectoryScope(int64_t directory_id) { return fmt::format("dir:{}", directory_id); }

}  // namespace msearch::server
