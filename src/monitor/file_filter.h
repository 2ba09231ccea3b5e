#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"

namespace msearch::monitor {

// Returns "image", "video" or "audio" for a lower-case extension with its
// leading dot (".jpg"), from the monitor's own table, or nullopt when the
// extension is not in that table.
std::optional<std::string_view> KindForExtension(std::string_view extension);

// Returns the extension of a file name in lower case with its leading dot, or
// an empty string when there is none. A leading dot alone (".profile") does
// not start an extension.
std::string LowerExtension(std::string_view file_name);

// Decides, from names alone, which directory entries the monitor indexes.
// Immutable after construction, so threads may share one instance.
class FileFilter {
 public:
  // An empty `supported_extensions` list means every extension of the table
  // above. Configured extensions missing from the table are logged once and
  // never indexed, because the catalog needs a kind for every file.
  explicit FileFilter(const config::FileMonitorConfig& config);

  // Returns the media kind of a file name whose extension is supported (in
  // any letter case: ".JPG" counts) and that no ignore pattern matches, else
  // nullopt. The caller checks that the entry is a regular file.
  std::optional<std::string_view> KindOf(std::string_view file_name) const;

  // Returns true unless an ignore pattern matches the directory name, so
  // hidden folders (".*") are not entered. Every pattern applies to
  // directories too: a folder named "old.tmp" is skipped under "*.tmp".
  bool AllowsDirectory(std::string_view directory_name) const;

  // Returns true when an ignore pattern matches `name`. Patterns are fnmatch
  // globs compared with the whole name, ignoring letter case.
  bool IsIgnored(std::string_view name) const;

 private:
  std::unordered_map<std::string, std::string_view> kinds_;  // extension -> kind
  std::vector<std::string> ignore_patterns_;
};

}  // namespace msearch::monitor
