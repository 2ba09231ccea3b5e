#pragma once

#include <string>
#include <vector>

namespace msearch::testing {

// Creates a shared memory block of `prefix` in a child process that is then
// killed, as a worker killed while it filled a block would leave it.
// Returns the block's name.
std::string BlockOfKilledChild(const std::string& prefix);

// Returns true when block `name` ("/prefix-pid-n") exists in /dev/shm.
bool ShmExists(const std::string& name);

// Returns the names of the blocks of `prefix` in /dev/shm.
std::vector<std::string> ShmBlocks(const std::string& prefix);

}  // namespace msearch::testing
