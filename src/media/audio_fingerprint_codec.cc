#include "media/audio_fingerprint_codec.h"

#include <limits>

#include <chromaprint.h>
#include <fmt/format.h>

#include "common/error.h"

namespace msearch::media {
namespace {

// Chromaprint's compression spends at least 3 bits on each item (a 3-bit
// terminator after the changed bit positions), so a decoded item count above
// 8/3 per input byte means the header lied.
bool PlausibleItemCount(int items, size_t bytes) {
  return static_cast<size_t>(items) * 3 <= bytes * 8;
}

std::string Encode(const AudioFingerprint& fingerprint, bool base64) {
  if (fingerprint.items.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    throw Error(
        fmt::format("cannot encode a fingerprint of {} items: too long", fingerprint.items.size()));
  }
  char* encoded = nullptr;
  int encoded_size = 0;
  int rc = chromaprint_encode_fingerprint(
      fingerprint.items.data(), static_cast<int>(fingerprint.items.size()), fingerprint.algorithm,
      &encoded, &encoded_size, base64 ? 1 : 0);
  if (rc != 1 || encoded == nullptr) throw Error("Chromaprint failed to encode a fingerprint");
  std::string result(encoded, static_cast<size_t>(encoded_size));
  chromaprint_dealloc(encoded);
  return result;
}

AudioFingerprint Decode(std::string_view data, bool base64) {
  std::string_view form = base64 ? "base64 fingerprint" : "fingerprint";
  // Header: one byte of algorithm, then the item count as 24-bit big-endian.
  if (data.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      data.size() < (base64 ? 6u : 4u)) {
    throw Error(
        fmt::format("invalid {} of {} bytes: too short or too long to be a Chromaprint "
                    "fingerprint",
                    form, data.size()));
  }
  uint32_t* items = nullptr;
  int size = 0;
  int algorithm = -1;
  int rc = chromaprint_decode_fingerprint(data.data(), static_cast<int>(data.size()), &items, &size,
                                          &algorithm, base64 ? 1 : 0);
  if (rc != 1 || size < 0 || algorithm < CHROMAPRINT_ALGORITHM_TEST1 ||
      algorithm > CHROMAPRINT_ALGORITHM_TEST5 || !PlausibleItemCount(size, data.size())) {
    if (items != nullptr) chromaprint_dealloc(items);
    throw Error(fmt::format(
        "invalid {} of {} bytes: Chromaprint cannot decode it; fingerprint the file again", form,
        data.size()));
  }
  AudioFingerprint fingerprint;
  fingerprint.algorithm = algorithm;
  fingerprint.item_seconds = FingerprintItemSeconds(algorithm);
  if (items != nullptr) {
    fingerprint.items.assign(items, items + size);
    chromaprint_dealloc(items);
  }
  return fingerprint;
}

}  // namespace

std::string EncodeFingerprint(const AudioFingerprint& fingerprint) {
  return Encode(fingerprint, false);
}

std::string EncodeFingerprintBase64(const AudioFingerprint& fingerprint) {
  return Encode(fingerprint, true);
}

AudioFingerprint DecodeFingerprint(std::string_view bytes) { return Decode(bytes, false); }

AudioFingerprint DecodeFingerprintBase64(std::string_view text) { return Decode(text, true); }

}  // namespace msearch::media
