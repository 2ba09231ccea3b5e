#pragma once

#include <string>
#include <string_view>

namespace msearch::inference {

// Activation functions of the MLP blocks, named as Hugging Face configs name
// them in `hidden_act`.
enum class Activation {
  kQuickGelu,  // "quick_gelu": x * sigmoid(1.702 x), OpenAI CLIP
  kGelu,       // "gelu": x * Phi(x) with the exact erf, BERT
  kGeluTanh,   // "gelu_new" or "gelu_pytorch_tanh": the tanh approximation
  kRelu,       // "relu"
};

// Parses a `hidden_act` value; throws ModelError naming `source` and listing
// the supported names when it is unknown.
Activation ParseActivation(std::string_view name, std::string_view source);

std::string_view ActivationName(Activation activation);

}  // namespace msearch::inference
