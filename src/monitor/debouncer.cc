#include "monitor/debouncer.h"

#include <algorithm>

#include <sys/stat.h>

#include "monitor/entry_probe.h"

namespace msearch::monitor {

Debouncer::Debouncer(std::chrono::milliseconds quiet_period)
    : quiet_period_(std::max(quiet_period, std::chrono::milliseconds(0))) {}

Debouncer::FileState Debouncer::Stat(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) return {};
  return FileState{
      true, static_cast<uint64_t>(info.st_size),
      static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec};
}

void Debouncer::Touch(const std::string& path, Clock::time_point now) {
  pending_[path] = Entry{now + quiet_period_, Stat(path)};
}

bool Debouncer::Cancel(const std::string& path) { return pending_.erase(path) > 0; }

size_t Debouncer::CancelTree(const std::string& directory) {
  return std::erase_if(pending_,
                       [&](const auto& item) { return IsPathWithin(item.first, directory); });
}

bool Debouncer::Rename(const std::string& old_path, const std::string& new_path) {
  auto found = pending_.find(old_path);
  if (found == pending_.end()) return false;
  Entry entry = found->second;
  pending_.erase(found);
  pending_.insert_or_assign(new_path, entry);
  return true;
}

size_t Debouncer::RenameTree(const std::string& old_directory, const std::string& new_directory) {
  std::vector<std::string> moving;
  for (const auto& [path, entry] : pending_) {
    if (path.size() > old_directory.size() && IsPathWithin(path, old_directory)) {
      moving.push_back(path);
    }
  }
  for (const std::string& path : moving) {
    Rename(path, new_directory + path.substr(old_directory.size()));
  }
  return moving.size();
}

std::vector<std::string> Debouncer::TakeReady(Clock::time_point now) {
  std::vector<std::string> ready;
  for (auto it = pending_.begin(); it != pending_.end();) {
    Entry& entry = it->second;
    if (entry.due > now) {
      ++it;
      continue;
    }
    FileState current = Stat(it->first);
    if (!current.exists) {
      it = pending_.erase(it);
      continue;
    }
    if (current == entry.state) {
      ready.push_back(it->first);
      it = pending_.erase(it);
      continue;
    }
    // Changed without an event reaching us (or since the last check): the
    // writer may still be busy, so wait another quiet period.
    entry.state = current;
    entry.due = now + quiet_period_;
    ++it;
  }
  std::sort(ready.begin(), ready.end());
  return ready;
}

std::optional<Debouncer::Clock::time_point> Debouncer::NextDeadline() const {
  std::optional<Clock::time_point> earliest;
  for (const auto& [path, entry] : pending_) {
    if (!earliest || entry.due < *earliest) earliest = entry.due;
  }
  return earliest;
}

}  // namespace msearch::monitor
