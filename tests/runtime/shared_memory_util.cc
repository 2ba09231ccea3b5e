#include "shared_memory_util.h"

#include <filesystem>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/shared_buffer.h"

namespace msearch::testing {

std::string BlockOfKilledChild(const std::string& prefix) {
  int fds[2];
  if (pipe(fds) != 0) return "";
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    ipc::SharedBuffer block = ipc::SharedBuffer::Create(prefix, 4096);
    std::string name = block.name() + "\n";
    if (write(fds[1], name.data(), name.size()) < 0) _exit(2);
    pause();
    _exit(0);
  }
  close(fds[1]);
  std::string name;
  char c = 0;
  while (read(fds[0], &c, 1) == 1 && c != '\n') name.push_back(c);
  close(fds[0]);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  return name;
}

bool ShmExists(const std::string& name) { return std::filesystem::exists("/dev/shm" + name); }

std::vector<std::string> ShmBlocks(const std::string& prefix) {
  std::vector<std::string> names;
  for (const ipc::SharedBufferInfo& block : ipc::ListSharedBuffers(prefix)) {
    names.push_back(block.name);
  }
  return names;
}

}  // namespace msearch::testing
