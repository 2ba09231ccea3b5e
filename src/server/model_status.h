#pragma once

#include <nlohmann/json.hpp>

#include "server/server_context.h"

namespace msearch::server {

// The models the configuration names: models.image, each of models.text and
// models.audio. Each entry has role, config_key, model_id, model_name (its
// folder name in models.dir, also its embedding space) and status
// (installed, not_installed or invalid). It also has problem, family,
// modalities, size_bytes, embedding_dim, vectors, device, loaded, loaded_in
// and the manifest's source, revision and installed_at.
//
// `loaded` is inferred, because the embedding workers do not report their
// models. An image or audio model counts as loaded in an embedding worker
// when a running embedding worker completed an embed task of its modality
// within models.idle_unload_seconds. A model also counts as loaded in the
// API process when the query_models_loaded hook lists it.
nlohmann::json ConfiguredModels(ServerContext& context);

// Every model folder under models.dir: name, status, problem, family,
// modalities, size_bytes, used_by (configuration keys), source, origin.
nlohmann::json InstalledModels(ServerContext& context);

// The `models` list of GET /api/v1/system/info: model_id, model_name,
// status, embedding_dim, device and loaded of each configured model.
nlohmann::json SystemInfoModels(const nlohmann::json& configured_models);

}  // namespace msearch::server
