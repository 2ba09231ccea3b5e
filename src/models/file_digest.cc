#include "models/file_digest.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "common/error.h"

namespace msearch::models {

struct Sha256::State {
  EVP_MD_CTX* context = nullptr;
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  state_->context = EVP_MD_CTX_new();
  if (state_->context == nullptr ||
      EVP_DigestInit_ex(state_->context, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(state_->context);
    throw Error("OpenSSL failed to initialise a SHA-256 context");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(state_->context); }

void Sha256::Update(const void* data, size_t size) {
  if (EVP_DigestUpdate(state_->context, data, size) != 1) {
    throw Error("OpenSSL failed to update a SHA-256 digest");
  }
}

std::string Sha256::FinishHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(state_->context, digest, &length) != 1) {
    throw Error("OpenSSL failed to finish a SHA-256 digest");
  }
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

std::string Sha256File(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    throw Error(fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
  }
  Sha256 hash;
  std::vector<char> buffer(1 << 20);
  while (stream) {
    stream.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hash.Update(buffer.data(), static_cast<size_t>(stream.gcount()));
  }
  if (stream.bad()) {
    throw Error(fmt::format("reading '{}' failed: {}", path.string(), std::strerror(errno)));
  }
  return hash.FinishHex();
}

}  // namespace msearch::models
