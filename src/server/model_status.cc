#include "server/model_status.h"

#include <fstream>
#include <set>

#include <fmt/format.h>

#include "common/clock.h"
#include "models/model_name.h"
#include "models/model_store.h"
#include "models/model_usage.h"
#include "server/system_status.h"
#include "store/embedding_store.h"

namespace msearch::server {
namespace {

struct ModelRole {
  std::string role;
  std::string config_key;
  std::string model_id;
};

std::vector<ModelRole> Roles(const config::ModelsConfig& models) {
  std::vector<ModelRole> roles;
  if (!models.image.empty()) roles.push_back({"image", "models.image", models.image});
  for (size_t i = 0; i < models.text.size(); ++i) {
    roles.push_back({"text", fmt::format("models.text[{}]", i), models.text[i]});
  }
  if (!models.audio.empty()) roles.push_back({"audio", "models.audio", models.audio});
  return roles;
}

// The output size of a checkpoint from its config.json, when it states one.
std::optional<int> ProjectionDim(const std::filesystem::path& model_dir) {
  std::ifstream input(model_dir / "config.json");
  if (!input) return std::nullopt;
  nlohmann::json config = nlohmann::json::parse(input, nullptr, false);
  if (!config.is_object()) return std::nullopt;
  auto it = config.find("projection_dim");
  if (it == config.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int>();
}

std::optional<std::string> StoreNameOf(const std::string& model_id) {
  try {
    return models::StoreName(model_id);
  } catch (const Error&) {
    return std::nullopt;  // the configuration loader already rejects such names
  }
}

// The modalities ("image", "video", "audio") whose embed tasks a running
// embedding worker completed within the idle unload time.
std::set<std::string> RecentlyEmbeddedModalities(ServerContext& context,
                                                 const nlohmann::json& processes,
                                                 queue::TaskQueue& queue) {
  std::set<std::string> modalities;
  bool worker_running = false;
  for (const nlohmann::json& process : processes) {
    if (process.is_object() && process.value("type", "") == "embedding_worker" &&
        process.value("status", "") == "running") {
      worker_running = true;
    }
  }
  if (!worker_running) return modalities;

  queue::TaskFilter filter;
  filter.type = "embed";
  filter.status = queue::TaskStatus::kCompleted;
  filter.include_archived = true;
  filter.limit = 100;
  int idle_unload = context.config.models.idle_unload_seconds;
  double since = NowSeconds() - idle_unload;
  for (const queue::TaskRecord& task : queue.List(filter).tasks) {
    if (idle_unload > 0 && task.completed_at.value_or(0) < since) continue;
    if (task.data.is_object() && task.data.contains("modality") &&
        task.data["modality"].is_string()) {
      modalities.insert(task.data["modality"].get<std::string>());
    }
  }
  return modalities;
}

std::set<std::string> QueryModelsLoaded(ServerContext& context) {
  std::set<std::string> names;
  if (!context.hooks.query_models_loaded) return names;
  std::vector<std::string> loaded;
  CallHook(context, "query_models_loaded",
           [&context, &loaded] { loaded = context.hooks.query_models_loaded(); });
  names.insert(loaded.begin(), loaded.end());
  return names;
}

nlohmann::json ManifestFields(const models::InstalledModel& model) {
  if (!model.manifest) {
    return {
        {"source", nullptr}, {"origin", nullptr}, {"revision", nullptr}, {"installed_at", nullptr}};
  }
  return {{"source", model.manifest->source},
          {"origin", model.manifest->origin},
          {"revision", model.manifest->revision.empty() ? nlohmann::json()
                                                        : nlohmann::json(model.manifest->revision)},
          {"installed_at", model.manifest->installed_at}};
}

}  // namespace

nlohmann::json ConfiguredModels(ServerContext& context) {
  const config::Config& config = context.config;
  models::ModelStore store(config.models.dir);
  bool processes_ok = true;
  nlohmann::json processes = ProcessList(context, &processes_ok);

  DatabasePool::Lease lease = context.databases.Acquire();
  store::EmbeddingStore embeddings(lease.catalog().database());
  std::set<std::string> embedded = RecentlyEmbeddedModalities(context, processes, lease.queue());
  std::set<std::string> query_loaded = QueryModelsLoaded(context);

  nlohmann::json list = nlohmann::json::array();
  for (const ModelRole& role : Roles(config.models)) {
    std::optional<std::string> name = StoreNameOf(role.model_id);
    nlohmann::json entry = {
        {"role", role.role},
        {"config_key", role.config_key},
        {"model_id", role.model_id},
        {"model_name", name ? nlohmann::json(*name) : nlohmann::json()},
        {"device", config.processes.embedding_worker.device},
    };
    std::optional<models::InstalledModel> installed;
    if (name && store.Contains(*name)) installed = store.Inspect(*name);

    entry["status"] = !installed                   ? "not_installed"
                      : installed->problem.empty() ? "installed"
                                                   : "invalid";
    entry["problem"] = installed && !installed->problem.empty() ? nlohmann::json(installed->problem)
                                                                : nlohmann::json();
    entry["family"] = installed && installed->family
                          ? nlohmann::json(models::FamilyName(*installed->family))
                          : nlohmann::json();
    entry["modalities"] =
        installed ? nlohmann::json(installed->modalities) : nlohmann::json::array();
    entry["size_bytes"] = installed ? nlohmann::json(installed->size_bytes) : nlohmann::json();

    int64_t vectors = name ? embeddings.Count(*name) : 0;
    std::optional<int> dimension = name ? embeddings.SpaceDimension(*name) : std::nullopt;
    if (!dimension && installed) dimension = ProjectionDim(installed->path);
    entry["vectors"] = vectors;
    entry["embedding_dim"] = dimension ? nlohmann::json(*dimension) : nlohmann::json();

    nlohmann::json loaded_in = nlohmann::json::array();
    bool worker_model = role.role == "image"
                            ? embedded.contains("image") || embedded.contains("video")
                        : role.role == "audio" ? embedded.contains("audio")
                                               : false;
    if (installed && worker_model) loaded_in.push_back("embedding_worker");
    if (name && query_loaded.contains(*name)) loaded_in.push_back("api");
    entry["loaded"] = !loaded_in.empty();
    entry["loaded_in"] = std::move(loaded_in);
    if (installed) {
      entry.update(ManifestFields(*installed));
    } else {
      entry.update(ManifestFields(models::InstalledModel{}));
    }
    list.push_back(std::move(entry));
  }
  return list;
}

nlohmann::json InstalledModels(ServerContext& context) {
  models::ModelStore store(context.config.models.dir);
  nlohmann::json list = nlohmann::json::array();
  for (const models::InstalledModel& model : store.List()) {
    nlohmann::json entry = {
        {"name", model.name},
        {"status", model.problem.empty() ? "installed" : "invalid"},
        {"problem", model.problem.empty() ? nlohmann::json() : nlohmann::json(model.problem)},
        {"family",
         model.family ? nlohmann::json(models::FamilyName(*model.family)) : nlohmann::json()},
        {"modalities", model.modalities},
        {"size_bytes", model.size_bytes},
        {"used_by", models::ConfigKeysUsing(context.config.models, model.name)},
    };
    entry.update(ManifestFields(model));
    list.push_back(std::move(entry));
  }
  return list;
}

nlohmann::json SystemInfoModels(const nlohmann::json& configured_models) {
  nlohmann::json list = nlohmann::json::array();
  for (const nlohmann::json& model : configured_models) {
    list.push_back({
        {"model_id", model["model_id"]},
        {"model_name", model["model_name"]},
        {"role", model["role"]},
        {"status", model["status"]},
        {"embedding_dim", model["embedding_dim"]},
        {"device", model["device"]},
        {"loaded", model["loaded"]},
    });
  }
  return list;
}

}  // namespace msearch::server
