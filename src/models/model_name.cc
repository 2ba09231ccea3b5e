#include "models/model_name.h"

#include <cctype>

#include <fmt/format.h>

#include "common/error.h"

namespace msearch::models {
namespace {

bool IsNameCharacter(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
}

// One part of a hub id: the owner or the repository name.
bool IsValidIdPart(std::string_view part) {
  if (part.empty() || part.size() > 96 || part.front() == '.' || part.front() == '-') return false;
  if (part.find("--") != std::string_view::npos || part.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : part) {
    if (!IsNameCharacter(c)) return false;
  }
  return true;
}

}  // namespace

HubModelRef ParseHubModelRef(std::string_view text) {
  HubModelRef ref;
  std::string_view id = text;
  if (size_t at = text.find('@'); at != std::string_view::npos) {
    id = text.substr(0, at);
    ref.revision = std::string(text.substr(at + 1));
    if (ref.revision.empty()) {
      throw Error(fmt::format(
          "invalid model '{}': the revision after '@' is empty; give a branch, tag or commit",
          text));
    }
  }
  size_t slash = id.find('/');
  bool valid = slash == std::string_view::npos
                   ? IsValidIdPart(id)
                   : IsValidIdPart(id.substr(0, slash)) && IsValidIdPart(id.substr(slash + 1));
  if (!valid) {
    throw Error(fmt::format(
        "invalid model id '{}': expected 'owner/name' (letters, digits, '-', '_' and '.'), "
        "for example openai/clip-vit-base-patch32",
        id));
  }
  ref.repo_id = std::string(id);
  return ref;
}

std::string StoreName(std::string_view repo_id_or_name) {
  std::string name;
  for (char c : repo_id_or_name) {
    if (c == '/') {
      name += "--";
    } else {
      name += c;
    }
  }
  return name;
}

void CheckStoreName(std::string_view name) {
  bool valid = !name.empty() && name.size() <= 200 && name.front() != '.';
  for (char c : name) valid = valid && IsNameCharacter(c);
  if (!valid) {
    throw Error(
        fmt::format("invalid model name '{}': expected 1 to 200 letters, digits, '-', '_' or '.', "
                    "not starting with '.'",
                    name));
  }
}

}  // namespace msearch::models
