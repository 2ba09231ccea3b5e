#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/console.h"
#include "common/clock.h"
#include "config/config_loader.h"
#include "server/json_responses.h"
#include "store/catalog.h"

namespace msearch::cli {
namespace {

struct SearchOptions {
  std::string query;
  int top_k = 20;
  std::optional<std::string> type;
};

int RunSearch(const GlobalOptions& global, const SearchOptions& options) {
  config::Config config = config::LoadConfig(global.config_path);
  store::Catalog catalog(config.storage.catalog_path);

  double started = MonotonicSeconds();
  std::vector<store::TextHit> hits = catalog.SearchText(options.query, options.top_k, options.type);
  double elapsed = MonotonicSeconds() - started;

  if (global.json) {
    nlohmann::json results = nlohmann::json::array();
    for (const store::TextHit& hit : hits) {
      results.push_back(server::TextHitJson(hit, catalog.GetMediaInfo(hit.file.id)));
    }
    PrintJson({{"query", options.query},
               {"total_results", results.size()},
               {"results", results},
               {"search_time", elapsed},
               {"query_type", "text"}});
    return 0;
  }

  if (hits.empty()) {
    std::cout << fmt::format("No matches for \"{}\" among names, paths and tags.\n", options.query);
    return 0;
  }
  std::cout << fmt::format("{} result(s) for \"{}\" in {:.1f} ms\n", hits.size(), options.query,
                           elapsed * 1000);
  int rank = 1;
  for (const store::TextHit& hit : hits) {
    std::cout << fmt::format("{:>3}. {:.3f}  {:<5}  {}\n", rank++, hit.score, hit.file.kind,
                             hit.file.path);
  }
  return 0;
}

}  // namespace

void RegisterSearch(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto* command = app.add_subcommand("search", "Find indexed files by name, path or tags");
  auto options = std::make_shared<SearchOptions>();
  command->add_option("query", options->query, "Words to find (all must match)")->required();
  command->add_option("-k,--top-k", options->top_k, "Maximum number of results")
      ->check(CLI::Range(1, 1000));
  command->add_option("-t,--type", options->type, "Only this kind of file")
      ->check(CLI::IsMember({"image", "video", "audio"}));
  command->add_flag("--json", global.json, "Print a SearchResponse as JSON");
  command->callback([&global, exit_code, options] { *exit_code = RunSearch(global, *options); });
}

}  // namespace msearch::cli
