#include "inference/activation.h"

#include <fmt/format.h>

#include "inference/model_error.h"

namespace msearch::inference {

Activation ParseActivation(std::string_view name, std::string_view source) {
  if (name == "quick_gelu") return Activation::kQuickGelu;
  if (name == "gelu") return Activation::kGelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return Activation::kGeluTanh;
  if (name == "relu") return Activation::kRelu;
  throw ModelError(
      fmt::format("{}: unsupported hidden_act '{}'; supported: quick_gelu, gelu, gelu_new, "
                  "gelu_pytorch_tanh, relu",
                  source, name));
}

std::string_view ActivationName(Activation activation) {
  switch (activation) {
    case Activation::kQuickGelu:
      return "quick_gelu";
    case Activation::kGelu:
      return "gelu";
    case Activation::kGeluTanh:
      return "gelu_new";
    case Activation::kRelu:
      return "relu";
  }
  return "unknown";
}

}  // namespace msearch::inference
