#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "models/hub_client.h"
#include "models/model_name.h"
#include "models/model_store.h"

namespace msearch::models {

// Called while a file downloads: its path in the repository, the bytes
// present so far and its size.
using PullProgress = std::function<void(const std::string& file, uint64_t done, uint64_t total)>;

// Downloads the checkpoint files of `ref` (see IsCheckpointFile) into a
// staging folder of `store`, verifies each file's size and, for LFS files,
// its SHA-256, validates the checkpoint and installs it as
// StoreName(ref.repo_id). Interrupted downloads resume from their `.part`
// file, within this call (after a transient failure, with backoff) and in a
// later call for the same model and commit.
// Throws msearch::Error naming the model and file, and installs nothing, when:
// the model is already installed or unknown to the hub; it has no
// model.safetensors; a download still fails after the retries; a checksum or
// size does not match (the bad file is deleted); or validation fails.
InstalledModel PullModel(ModelStore& store, const HubClient& hub, const HubModelRef& ref,
                         const PullProgress& progress = {});

}  // namespace msearch::models
