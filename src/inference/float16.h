#pragma once

#include <cstdint>

namespace msearch::inference {

// Conversions between float32 and the 16-bit formats checkpoints use:
// IEEE 754 binary16 ("F16") and bfloat16 ("BF16", the upper half of a float32).
// Widening is exact; narrowing rounds to nearest even, and NaN stays NaN.
float HalfToFloat(uint16_t bits);
uint16_t FloatToHalf(float value);
float BFloat16ToFloat(uint16_t bits);
uint16_t FloatToBFloat16(float value);

}  // namespace msearch::inference
