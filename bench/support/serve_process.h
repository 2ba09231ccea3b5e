#pragma once

#include <filesystem>

#include <sys/types.h>

#include "support/bench_instance.h"

namespace msearch::bench {

// `msearch serve` of one BenchInstance, started in the constructor and
// stopped with SIGTERM in the destructor.
class ServeProcess {
 public:
  // Starts the process and waits until GET /health responds with 200 and every
  // child has registered. Throws std::runtime_error, naming the output file
  // to read, when that takes longer than `timeout_seconds` or the process
  // exits.
  ServeProcess(const BenchInstance& instance, const std::filesystem::path& msearch,
               double timeout_seconds = 60);
  ~ServeProcess();

  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Seconds from the spawn until the children had registered.
  double start_seconds() const { return start_seconds_; }

 private:
  pid_t pid_ = 0;
  double start_seconds_ = 0;
};

}  // namespace msearch::bench
