#include "support/serve_process.h"

#include <chrono>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "common/clock.h"
#include "support/child_process.h"

namespace msearch::bench {

ServeProcess::ServeProcess(const BenchInstance& instance, const std::filesystem::path& msearch,
                           double timeout_seconds) {
  double started = MonotonicSeconds();
  pid_ = Spawn(instance.ServeArgv(msearch), instance.serve_output());
  while (true) {
    std::optional<nlohmann::json> health = GetJson(instance.port(), "/health");
    if (health && ChildrenRegistered(*health)) break;
    if (TryReap(pid_)) {
      pid_ = 0;
      throw std::runtime_error("msearch serve exited during start-up; see " +
                               instance.serve_output().string());
    }
    if (MonotonicSeconds() - started > timeout_seconds) {
      TerminateAndWait(pid_, 30);
      pid_ = 0;
      throw std::runtime_error(fmt::format(
          "timed out after {:.0f} s waiting for msearch serve to become healthy; see {}",
          timeout_seconds, instance.serve_output().string()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  start_seconds_ = MonotonicSeconds() - started;
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) TerminateAndWait(pid_, 30);
}

}  // namespace msearch::bench
