#include <cstdlib>
#include <iostream>

#include <fmt/format.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/console.h"
#include "common/error.h"
#include "config/config_loader.h"
#include "models/hub_client.h"
#include "models/model_name.h"
#include "models/model_pull.h"
#include "models/model_store.h"
#include "models/model_usage.h"

namespace msearch::cli {
namespace {

struct ModelsOptions {
  std::string pull_name;
  std::string import_dir;
  std::string import_name;
  bool import_link = false;
  std::string remove_name;
  bool remove_force = false;
};

nlohmann::json ModelJson(const models::InstalledModel& model, const config::ModelsConfig& config) {
  nlohmann::json json = {
      {"name", model.name},
      {"path", model.path.string()},
      {"family",
       model.family ? nlohmann::json(models::FamilyName(*model.family)) : nlohmann::json(nullptr)},
      {"modalities", model.modalities},
      {"size_bytes", model.size_bytes},
      {"used_by", models::ConfigKeysUsing(config, model.name)},
      {"valid", model.problem.empty()},
      {"problem", model.problem.empty() ? nlohmann::json(nullptr) : nlohmann::json(model.problem)},
  };
  if (model.manifest) {
    json["source"] = model.manifest->source;
    json["origin"] = model.manifest->origin;
    json["revision"] = model.manifest->revision;
    json["commit"] = model.manifest->commit;
    json["linked"] = model.manifest->linked;
    json["installed_at"] = model.manifest->installed_at;
  }
  return json;
}

int RunList(const GlobalOptions& global) {
  config::Config config = config::LoadConfig(global.config_path);
  models::ModelStore store(config.models.dir);
  std::vector<models::InstalledModel> installed = store.List();
  if (global.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& model : installed) rows.push_back(ModelJson(model, config.models));
    PrintJson({{"models_dir", store.dir().string()}, {"models", rows}});
    return 0;
  }
  if (installed.empty()) {
    std::cout << fmt::format("No models installed in {}\n", store.dir().string());
    return 0;
  }
  std::cout << fmt::format("{:<44} {:<13} {:>10} {:<12} {}\n", "NAME", "FAMILY", "SIZE",
                           "MODALITIES", "USED BY");
  for (const auto& model : installed) {
    std::vector<std::string> used_by = models::ConfigKeysUsing(config.models, model.name);
    std::cout << fmt::format(
        "{:<44} {:<13} {:>10} {:<12} {}\n", model.name,
        model.family ? std::string(models::FamilyName(*model.family)) : "invalid",
        HumanBytes(model.size_bytes), fmt::format("{}", fmt::join(model.modalities, ",")),
        used_by.empty() ? "-" : fmt::format("{}", fmt::join(used_by, ", ")));
  }
  for (const auto& model : installed) {
    if (!model.problem.empty()) std::cout << fmt::format("{}: {}\n", model.name, model.problem);
  }
  return 0;
}

int RunPull(const GlobalOptions& global, const ModelsOptions& options) {
  config::Config config = config::LoadConfig(global.config_path);
  models::HubModelRef ref = models::ParseHubModelRef(options.pull_name);
  models::HttpOptions http;
  if (const char* token = std::getenv("HF_TOKEN"); token != nullptr) http.bearer_token = token;
  models::HubClient hub(config.models.hub_endpoint, http);
  models::ModelStore store(config.models.dir);

  ProgressBar bar("pull " + ref.repo_id);
  models::InstalledModel model = models::PullModel(
      store, hub, ref, [&bar](const std::string& file, uint64_t done, uint64_t total) {
        bar.Update(static_cast<int64_t>(done), static_cast<int64_t>(total), file);
      });
  bar.Finish();
  if (global.json) {
    PrintJson(ModelJson(model, config.models));
  } else {
    std::cout << fmt::format("Installed {} ({}, {}) in {}\n", model.name,
                             models::FamilyName(*model.family), HumanBytes(model.size_bytes),
                             model.path.string());
  }
  return 0;
}

int RunImport(const GlobalOptions& global, const ModelsOptions& options) {
  config::Config config = config::LoadConfig(global.config_path);
  models::ModelStore store(config.models.dir);
  models::InstalledModel model =
      store.Import(options.import_dir, {options.import_name, options.import_link});
  if (global.json) {
    PrintJson(ModelJson(model, config.models));
  } else {
    std::cout << fmt::format("Imported {} ({}, {}) into {}\n", model.name,
                             models::FamilyName(*model.family), HumanBytes(model.size_bytes),
                             model.path.string());
  }
  return 0;
}

int RunRemove(const GlobalOptions& global, const ModelsOptions& options) {
  config::Config config = config::LoadConfig(global.config_path);
  models::ModelStore store(config.models.dir);
  std::string name = models::StoreName(options.remove_name);
  std::vector<std::string> used_by = models::ConfigKeysUsing(config.models, name);
  if (!used_by.empty() && !options.remove_force) {
    throw Error(fmt::format(
        "model '{}' is in use by the configuration ({}); change {} in '{}' first, or pass "
        "--force to remove it anyway",
        name, fmt::join(used_by, ", "), fmt::join(used_by, ", "),
        config.source.empty() ? std::string("the built-in defaults") : config.source.string()));
  }
  store.Remove(name);
  std::cout << fmt::format("Removed {}\n", name);
  return 0;
}

}  // namespace

void RegisterModels(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto options = std::make_shared<ModelsOptions>();
  auto* command =
      app.add_subcommand("models", "List, download, import and remove embedding models");
  command->require_subcommand(1);

  auto* list = command->add_subcommand(
      "list",
      "List installed models: family, size, modalities and the configuration keys using them");
  list->add_flag("--json", global.json, "Print JSON");
  list->callback([&global, exit_code] { *exit_code = RunList(global); });

  auto* pull = command->add_subcommand(
      "pull",
      "Download a model from the Hugging Face hub (models.hub_endpoint or $HF_ENDPOINT; "
      "$HF_TOKEN for private models) and install it");
  pull->add_option("name", options->pull_name, "Hub model id, optionally @revision")->required();
  pull->add_flag("--json", global.json, "Print the installed model as JSON");
  pull->callback([&global, options, exit_code] { *exit_code = RunPull(global, *options); });

  auto* import = command->add_subcommand(
      "import", "Validate a local checkpoint folder and copy it into the models folder");
  import
      ->add_option("dir", options->import_dir,
                   "Checkpoint folder (config.json, model.safetensors, "
                   "tokenizer files)")
      ->required();
  import->add_option("--name", options->import_name,
                     "Name in the store (default: the folder name)");
  import->add_flag("--link", options->import_link,
                   "Create symbolic links to the files instead of copies");
  import->add_flag("--json", global.json, "Print the installed model as JSON");
  import->callback([&global, options, exit_code] { *exit_code = RunImport(global, *options);
});

auto* remove = command->add_subcommand("remove", "Delete an installed model");
remove->add_option("name", options->remove_name, "Model name or hub id")->required();
remove->add_flag("--force", options->remove_force, "Remove it even when the configuration uses it");
remove->callback([&global, options, exit_code] { *exit_code = RunRemove(global, *options); });
}  // namespace msearch::cli

}  // namespace msearch::cli
