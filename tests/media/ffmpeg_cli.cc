#include "media/ffmpeg_cli.h"

#include <cerrno>

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>

extern char** environ;

namespace msearch::media::testing {

bool RunFfmpeg(const std::vector<std::string>& arguments) {
  std::vector<std::string> all = {"ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"};
  all.insert(all.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (auto& argument : all) argv.push_back(argument.data());
  argv.push_back(nullptr);

  pid_t pid = 0;
  if (posix_spawnp(&pid, "ffmpeg", nullptr, nullptr, argv.data(), environ) != 0) return false;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool WriteSynthesizedWav(const std::filesystem::path& output, const std::string& left,
                         const std::string& right, double seconds) {
  return RunFfmpeg({"-f", "lavfi", "-i",
                    fmt::format("aevalsrc={}|{}:s=44100:d={}", left, right, seconds), "-c:a",
                    "pcm_s16le", output.string()});
}

}  // namespace msearch::media::testing
