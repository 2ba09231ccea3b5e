#pragma once

#include <string>
#include <string_view>

namespace msearch::models {

// A model on the Hugging Face hub: its repository id and the revision (a
// branch, tag or commit) to download.
struct HubModelRef {
  std::string repo_id;  // "openai/clip-vit-base-patch32" or "bert-base-uncased"
  std::string revision = "main";
};

// Parses "owner/name" or "owner/name@revision". Throws msearch::Error naming
// the text when the id has characters the hub does not allow, more than one
// '/', or an empty part.
HubModelRef ParseHubModelRef(std::string_view text);

// The folder name of a model in the store: the hub id with '/' written as
// "--" ("openai/clip-vit-base-patch32" -> "openai--clip-vit-base-patch32").
// The hub forbids "--" inside ids, so the mapping is reversible. A name that
// has no '/' is returned unchanged, so store names map to themselves.
std::string StoreName(std::string_view repo_id_or_name);

// Throws msearch::Error unless `name` can be a folder in the store: 1 to 200
// letters, digits, '-', '_' or '.', not starting with '.'.
void CheckStoreName(std::string_view name);

}  // namespace msearch::models
