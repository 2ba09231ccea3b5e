#pragma once

#include <string>
#include <string_view>

#include "media/audio_fingerprint.h"

namespace msearch::media {

// Compresses a fingerprint into Chromaprint's compact binary format (the
// one AcoustID stores), about 2.5 bytes per item. The format keeps the
// items and the algorithm; item_seconds follows from the algorithm.
std::string EncodeFingerprint(const AudioFingerprint& fingerprint);

// The same, as URL-safe base64 without padding (Chromaprint's text form,
// as fpcalc prints it).
std::string EncodeFingerprintBase64(const AudioFingerprint& fingerprint);

// Reverses EncodeFingerprint. Throws msearch::Error when `bytes` is not a
// Chromaprint fingerprint (truncated or corrupt catalog data).
AudioFingerprint DecodeFingerprint(std::string_view bytes);

// Reverses EncodeFingerprintBase64. Throws msearch::Error for invalid input.
AudioFingerprint DecodeFingerprintBase64(std::string_view text);

}  // namespace msearch::media
