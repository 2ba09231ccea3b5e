#include "inference/gemm_kernel.h"

#include <cstdlib>
#include <string_view>

#include <spdlog/spdlog.h>

namespace msearch::inference::gemm {
namespace {

std::vector<const MicroKernel*> DetectKernels() {
  std::vector<const MicroKernel*> kernels;
#if defined(__x86_64__) && defined(MSEARCH_GEMM_X86_KERNELS)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) kernels.push_back(&Avx512Kernel());
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    kernels.push_back(&Avx2Kernel());
  }
#endif
  return kernels;
}

const MicroKernel* ChooseDefault() {
  const std::vector<const MicroKernel*>& kernels = SupportedKernels();
  const MicroKernel* chosen = kernels.empty() ? nullptr : kernels.front();
  const char* requested = std::getenv("MSEARCH_GEMM");
  if (requested != nullptr && *requested != '\0') {
    const std::string_view name(requested);
    bool known = name == "blas";
    if (name == "blas") chosen = nullptr;
    for (const MicroKernel* kernel : kernels) {
      if (name == kernel->name) {
        chosen = kernel;
        known = true;
      }
    }
    if (!known) {
      spdlog::warn(
          "MSEARCH_GEMM={} is invalid or not supported on this CPU (values: avx512, avx2, "
          "blas), so the default GEMM path is used",
          name);
    }
  }
  spdlog::debug("inference GEMM: {}", chosen != nullptr ? chosen->name : "OpenBLAS");
  return chosen;
}

}  // namespace

const std::vector<const MicroKernel*>& SupportedKernels() {
  static const std::vector<const MicroKernel*> kernels = DetectKernels();
  return kernels;
}

const MicroKernel* DefaultKernel() {
  static const MicroKernel* const kernel = ChooseDefault();
  return kernel;
}

}  // namespace msearch::inference::gemm
