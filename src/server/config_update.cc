#include "server/config_update.h"

#include <fstream>
#include <regex>
#include <sstream>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/uuid.h"
#include "config/config_loader.h"
#include "server/api_error.h"
#include "server/config_json.h"

namespace msearch::server {
namespace {

YAML::Node ToYaml(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      YAML::Node map(YAML::NodeType::Map);
      for (const auto& [key, item] : value.items()) map[key] = ToYaml(item);
      return map;
    }
    case nlohmann::json::value_t::array: {
      YAML::Node sequence(YAML::NodeType::Sequence);
      for (const nlohmann::json& item : value) sequence.push_back(ToYaml(item));
      return sequence;
    }
    case nlohmann::json::value_t::string:
      return YAML::Node(value.get<std::string>());
    case nlohmann::json::value_t::boolean:
      return YAML::Node(value.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return YAML::Node(value.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return YAML::Node(value.get<uint64_t>());
    case nlohmann::json::value_t::number_float:
      // The shortest text that reads back as the same double: "0.1", not
      // yaml-cpp's "0.10000000000000001".
      return YAML::Node(value.dump());
    default:
      return YAML::Node(YAML::NodeType::Null);
  }
}

// Merges `change` into the mapping `node`. Null values remove keys.
void Merge(YAML::Node node, const nlohmann::json& change) {
  for (const auto& [key, value] : change.items()) {
    if (value.is_null()) {
      node.remove(key);
    } else if (value.is_object() && node[key] && node[key].IsMap()) {
      Merge(node[key], value);
    } else {
      node[key] = ToYaml(value);
    }
  }
}

std::string ReadFile(const std::filesystem::path& file) {
  std::ifstream input(file);
  if (!input) {
    throw Error(fmt::format("failed to read the configuration file '{}': {}", file.string(),
                            std::strerror(errno)));
  }
  std::stringstream text;
  text << input.rdbuf();
  return text.str();
}

// Flushes `path` (a file or a folder) to disk.
void Sync(const std::filesystem::path& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
}

void WriteAtomically(const std::filesystem::path& file, const std::string& text,
                     const std::filesystem::path& backup) {
  std::filesystem::path temporary = file;
  temporary += ".tmp-" + NewUuid();
  {
    std::ofstream output(temporary, std::ios::trunc);
    output << text;
    output.flush();
    if (!output) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw Error(fmt::format("failed to write '{}': check that the folder is writable",
                              temporary.string()));
    }
  }
  Sync(temporary);
  std::error_code error;
  std::filesystem::copy_file(file, backup, std::filesystem::copy_options::overwrite_existing,
                             error);
  if (error) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw Error(fmt::format("failed to back up '{}' to '{}': {}. Check that the folder is writable",
                            file.string(), backup.string(), error.message()));
  }
  std::filesystem::rename(temporary, file, error);
  if (error) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw Error(fmt::format("failed to replace '{}': {}", file.string(), error.message()));
  }
  Sync(file.parent_path());
}

ApiError InvalidConfiguration(const config::ConfigError& error) {
  // The loader's message has a heading line, then one line per problem, each
  // naming its key in quotes: "invalid value ... for 'api.port'" or
  // "unknown key 'api.prot'".
  static const std::regex kKey(R"((?:for|unknown key) '([^']+)')");
  std::vector<std::string> errors;
  std::vector<std::string> keys;
  std::istringstream lines(error.what());
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    size_t start = line.find_first_not_of(' ');
    if (start == std::string::npos) continue;
    errors.push_back(line.substr(start));
    std::smatch match;
    if (std::regex_search(line, match, kKey)) keys.push_back(match[1]);
  }
  if (errors.empty()) errors.push_back(error.what());
  return BadRequest(fmt::format("invalid configuration: {}", fmt::join(errors, "; ")),
                    {{"keys", keys}, {"errors", errors}});
}

}  // namespace

ConfigUpdate UpdateConfigFile(const config::Config& running, const nlohmann::json& change,
                              bool replace) {
  if (running.source.empty()) {
    throw Conflict(
        "msearch runs on built-in defaults without a configuration file: start it with "
        "--config FILE (or $MSEARCH_CONFIG) to change settings through the API");
  }
  ConfigUpdate update;
  update.file = running.source;
  update.backup = running.source;
  update.backup += ".bak";

  nlohmann::json requested = change;
  if (requested.contains("api") && requested["api"].is_object() &&
      requested["api"].value("token", nlohmann::json()) == kRedactedToken) {
    if (replace) {
      requested["api"]["token"] = running.api.token;
    } else {
      requested["api"].erase("token");
    }
  }

  YAML::Node root(YAML::NodeType::Map);
  if (!replace) {
    std::string current = ReadFile(update.file);
    try {
      YAML::Node loaded = YAML::Load(current);
      if (loaded.IsMap()) root = loaded;
    } catch (const YAML::Exception& error) {
      throw Conflict(
          fmt::format("the configuration file '{}' is not valid YAML ({}): fix it, or "
                      "replace it whole with PUT /api/v1/config",
                      update.file.string(), error.msg));
    }
  }
  Merge(root, requested);

  YAML::Emitter emitter;
  emitter << root;
  std::string text = fmt::format(
      "# msearch configuration, written by the REST API at {}.\n"
      "# The previous version is in {}.\n{}\n",
      FormatIso8601(NowSeconds()), update.backup.filename().string(), emitter.c_str());

  config::Config parsed;
  try {
    parsed = config::ParseConfig(text, running.source, running.base_dir);
  } catch (const config::ConfigError& error) {
    throw InvalidConfiguration(error);
  }
  WriteAtomically(update.file, text, update.backup);

  update.config = ConfigToJson(parsed);
  update.changed_keys = ChangedKeys(ConfigToJson(running), update.config);
  if (parsed.api.token != running.api.token) update.changed_keys.push_back("api.token");
  return update;
}

}  // namespace msearch::server
