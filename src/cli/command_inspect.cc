// msearch inspect FILE...: runs the media pipeline on files in this process,
// without a server or catalog, and prints what it extracts.

#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/console.h"
#include "common/clock.h"
#include "common/content_hash.h"
#include "config/config_loader.h"
#include "media/init.h"
#include "media/media_error.h"
#include "media/media_kind.h"
#include "media/probe.h"
#include "pipeline/analysis_json.h"
#include "pipeline/analysis_options.h"
#include "pipeline/file_analysis.h"

namespace msearch::cli {
namespace {

struct InspectOptions {
  std::vector<std::string> files;
  bool no_ocr = false;
  std::string thumbnail_dir;
};

// Inspects one file. Returns its JSON report; "error" is set when the file
// cannot be indexed.
nlohmann::json InspectFile(const std::filesystem::path& path,
                           const pipeline::AnalysisOptions& options) {
  nlohmann::json report = {{"path", path.string()}};
  std::string extension = path.extension().string();
  std::optional<std::string> kind = media::KindForExtension(extension);
  if (!kind) {
    report["error"] = fmt::format(
        "'{}' has no image, video or audio extension ({}), so msearch does not index it",
        path.string(), extension.empty() ? "none" : extension);
    return report;
  }
  report["kind"] = *kind;

  double started = MonotonicSeconds();
  try {
    store::MediaInfo info = media::ProbeFile(path, *kind, options.limits);
    double probed = MonotonicSeconds();
    report["kind"] = info.kind;
    report["info"] = info.ToJson();
    report["content_hash"] = SampledContentHash(path);
    report["full_hash"] = FullContentHash(path);
    pipeline::FileAnalysis analysis = pipeline::AnalyzeFile(path, info, options);
    report["analysis"] = pipeline::AnalysisToJson(analysis);
    report["timing"] = {{"probe_seconds", probed - started},
                        {"analysis_seconds", MonotonicSeconds() - probed}};
  } catch (const Error& error) {
    report["error"] = error.what();
  } catch (const std::exception& error) {
    // One file's unexpected failure must not lose the other files' reports.
    report["error"] = fmt::format("'{}': {}", path.string(), error.what());
  }
  return report;
}

void PrintSegments(const nlohmann::json& segments, std::string_view label) {
  for (const auto& segment : segments) {
    std::cout << fmt::format("  {} {:>3}  {:8.3f} - {:8.3f} s", label, segment["index"].get<int>(),
                             segment["start"].get<double>(), segment["end"].get<double>());
    if (segment.contains("perceptual_hash")) {
      std::cout << "  phash " << segment["perceptual_hash"].get<std::string>();
    }
    std::cout << '\n';
  }
}

void PrintReport(const nlohmann::json& report) {
  std::cout << report["path"].get<std::string>() << '\n';
  if (report.contains("error")) {
    std::cout << "  error: " << report["error"].get<std::string>() << '\n';
    return;
  }
  const nlohmann::json& info = report["info"];
  std::cout << fmt::format("  {} {}", report["kind"].get<std::string>(), info.value("format", ""));
  if (info.value("width", 0) > 0) {
    std::cout << fmt::format(", {}x{}", info["width"].get<int>(), info["height"].get<int>());
  }
  if (info.value("duration", 0.0) > 0) {
    std::cout << fmt::format(", {:.3f} s", info["duration"].get<double>());
  }
  if (info.value("rotation", 0) != 0)
    std::cout << fmt::format(", rotated {}°", info["rotation"].get<int>());
  std::cout << '\n';

  std::cout << "  content hash " << report["content_hash"].get<std::string>() << '\n';
  const nlohmann::json& analysis = report["analysis"];
  if (analysis.contains("perceptual_hash")) {
    std::cout << "  perceptual hash " << analysis["perceptual_hash"].get<std::string>() << '\n';
  }

  if (analysis.contains("video")) PrintSegments(analysis["video"]["segments"], "segment");
  if (analysis.contains("audio")) PrintSegments(analysis["audio"]["windows"], "window ");
  if (analysis.contains("fingerprint")) {
    std::cout << fmt::format("  fingerprint: {} items, {:.1f} s\n",
                             analysis["fingerprint"]["items"].get<int64_t>(),
                             analysis["fingerprint"]["duration"].get<double>());
  }
  for (const auto& text : analysis["texts"]) {
    std::cout << "  text";
    if (text.contains("start")) {
      std::cout << fmt::format(" at {:.2f}-{:.2f} s", text["start"].get<double>(),
                               text["end"].get<double>());
    }
    std::cout << ": " << text["text"].get<std::string>() << '\n';
  }
  for (const auto& warning : analysis["warnings"]) {
    std::cout << "  warning: " << warning.get<std::string>() << '\n';
  }
}

int RunInspect(const GlobalOptions& global, const InspectOptions& inspect) {
  config::Config config = config::LoadConfig(global.config_path);
  pipeline::AnalysisOptions options = pipeline::AnalysisOptionsFromConfig(config);
  if (inspect.no_ocr) options.ocr = false;
  options.thumbnail_dir = inspect.thumbnail_dir;
  media::EnsureMediaInitialized();

  nlohmann::json reports = nlohmann::json::array();
  int failures = 0;
  for (const std::string& file : inspect.files) {
    nlohmann::json report = InspectFile(file, options);
    if (report.contains("error")) ++failures;
    if (global.json) {
      reports.push_back(std::move(report));
    } else {
      PrintReport(report);
    }
  }
  if (global.json) PrintJson(reports.size() == 1 ? reports[0] : reports);
  return failures == 0 ? 0 : 1;
}

}  // namespace

void RegisterInspect(CLI::App& app, GlobalOptions& global, int* exit_code) {
  auto inspect = std::make_shared<InspectOptions>();
  auto* command = app.add_subcommand(
      "inspect",
      "Show what msearch extracts from media files: format, size, duration, streams, tags, "
      "segments, audio windows, text, fingerprint and hashes (exit code 1 when a file fails)");
  command->add_option("files", inspect->files, "Image, video or audio files")->required();
  command->add_flag("--json", global.json, "Print JSON (an array when several files are given)");
  command->add_flag("--no-ocr", inspect->no_ocr, "Skip text recognition");
  command->add_option("--thumbnails", inspect->thumbnail_dir,
                      "Write a JPEG thumbnail of each video segment into this folder");
  command->callback([&global, inspect, exit_code] { *exit_code = RunInspect(global, *inspect); });
}

}  // namespace msearch::cli
