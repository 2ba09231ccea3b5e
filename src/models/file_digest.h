#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

namespace msearch::models {

// An incremental SHA-256 (OpenSSL EVP). Not thread-safe.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  // The digest as 64 lower-case hex digits. The object cannot be updated after.
  std::string FinishHex();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The SHA-256 of a whole file as lower-case hex. Throws msearch::Error naming
// the file when it cannot be read.
std::string Sha256File(const std::filesystem::path& path);

}  // namespace msearch::models
