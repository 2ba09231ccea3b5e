#pragma once

#include <string>

namespace msearch::bench {

// One line naming the machine a benchmark ran on: the UTC date and time,
// CPU model and count (/proc/cpuinfo, nproc), total memory (/proc/meminfo),
// kernel release and the 1-minute load average at the call. A load average
// above the CPU count means other work competed for the CPUs.
std::string DescribeMachine();

}  // namespace msearch::bench
