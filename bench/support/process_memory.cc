#include "support/process_memory.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace msearch::bench {
namespace {

// Parent pid from /proc/PID/stat; the command name in field 2 may contain
// spaces and parentheses, so parsing starts after the last ')'.
std::optional<pid_t> ParentPid(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 1));
  std::string state;
  pid_t parent = 0;
  if (!(fields >> state >> parent)) return std::nullopt;
  return parent;
}

std::string ProcessName(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::vector<std::string> args;
  std::string arg;
  while (std::getline(in, arg, '\0')) args.push_back(arg);
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--id") return args[i + 1];
  }
  return "main";
}

}  // namespace

std::vector<pid_t> ProcessTree(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  std::error_code ignored;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ignored)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = std::stoi(name);
    if (std::optional<pid_t> parent = ParentPid(pid)) children.emplace(*parent, pid);
  }
  std::vector<pid_t> tree = {root};
  for (size_t i = 0; i < tree.size(); ++i) {
    auto [begin, end] = children.equal_range(tree[i]);
    for (auto it = begin; it != end; ++it) tree.push_back(it->second);
  }
  return tree;
}

std::optional<ProcessMemory> ReadProcessMemory(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
  if (!in) return std::nullopt;
  ProcessMemory memory;
  memory.pid = pid;
  memory.name = ProcessName(pid);
  std::string key;
  uint64_t kilobytes = 0;
  std::string unit;
  std::string line;
  bool found = false;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    if (!(fields >> key >> kilobytes >> unit)) continue;
    uint64_t bytes = kilobytes * 1024;
    if (key == "Rss:") {
      memory.rss = bytes;
      found = true;
    } else if (key == "Pss:") {
      memory.pss = bytes;
    } else if (key == "Private_Clean:" || key == "Private_Dirty:") {
      memory.private_bytes += bytes;
    }
  }
  if (!found) return std::nullopt;
  return memory;
}

std::vector<ProcessMemory> ReadTreeMemory(pid_t root) {
  std::vector<ProcessMemory> tree;
  for (pid_t pid : ProcessTree(root)) {
    if (std::optional<ProcessMemory> memory = ReadProcessMemory(pid)) tree.push_back(*memory);
  }
  return tree;
}

}  // namespace msearch::bench
