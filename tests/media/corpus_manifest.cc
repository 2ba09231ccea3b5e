#include "media/corpus_manifest.h"

#include <algorithm>
#include <fstream>

#include "support/shared_data.h"

namespace msearch::media::testing {

std::filesystem::path CorpusEntry::FullPath() const {
  return CorpusDir() / std::filesystem::path(path);
}

std::string CorpusEntry::FileName() const {
  return std::filesystem::path(path).filename().string();
}

void PrintTo(const CorpusEntry& entry, std::ostream* out) { *out << entry.path; }

bool IsReadableBrokenFile(const CorpusEntry& entry) {
  return entry.expected.contains("format") || entry.FileName() == "wav_header_longer_than_data.wav";
}

std::vector<CorpusEntry> UnreadableBrokenEntries() {
  std::vector<CorpusEntry> entries;
  for (const auto& entry : CorpusEntriesOfKind({"broken"})) {
    if (!IsReadableBrokenFile(entry)) entries.push_back(entry);
  }
  return entries;
}

std::filesystem::path CorpusDir() {
  auto shared = msearch::testing::SharedDir();
  return shared ? *shared / "corpus" : std::filesystem::path();
}

const std::vector<CorpusEntry>& CorpusEntries() {
  static const std::vector<CorpusEntry> entries = [] {
    std::vector<CorpusEntry> loaded;
    std::filesystem::path dir = CorpusDir();
    if (dir.empty()) return loaded;
    std::ifstream file(dir / "manifest.json");
    if (!file) return loaded;
    nlohmann::json manifest = nlohmann::json::parse(file);
    for (const auto& item : manifest.at("files")) {
      loaded.push_back(CorpusEntry{item.at("path").get<std::string>(),
                                   item.at("kind").get<std::string>(),
                                   item.value("expected", nlohmann::json::object())});
    }
    return loaded;
  }();
  return entries;
}

std::vector<CorpusEntry> CorpusEntriesOfKind(std::initializer_list<std::string_view> kinds) {
  std::vector<CorpusEntry> selected;
  for (const auto& entry : CorpusEntries()) {
    if (std::find(kinds.begin(), kinds.end(), entry.kind) != kinds.end()) {
      selected.push_back(entry);
    }
  }
  return selected;
}

std::string TestNameFor(const CorpusEntry& entry, size_t index) {
  std::string name;
  for (char c : entry.path) {
    bool ascii_alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    name.push_back(ascii_alnum ? c : '_');
  }
  return name + "_" + std::to_string(index);
}

}  // namespace msearch::media::testing
