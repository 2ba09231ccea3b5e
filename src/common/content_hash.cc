#include "common/content_hash.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"

namespace msearch {
namespace {

constexpr uint64_t kBlockBytes = 64 * 1024;

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
};

void ReadAt(int fd, uint64_t offset, uint64_t length, std::vector<unsigned char>* buffer,
            const std::filesystem::path& path) {
  buffer->resize(length);
  uint64_t done = 0;
  while (done < length) {
    ssize_t n = pread(fd, buffer->data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw Error(fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
    }
    if (n == 0) break;  // the file shrank while we read it
    done += static_cast<uint64_t>(n);
  }
  buffer->resize(done);
}

}  // namespace

std::string SampledContentHash(const std::filesystem::path& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw Error(
        fmt::format("cannot open '{}' to hash it: {}", path.string(), std::strerror(errno)));
  }
  FdCloser closer{fd};
  struct stat info {};
  if (fstat(fd, &info) != 0) {
    throw Error(fmt::format("cannot stat '{}': {}", path.string(), std::strerror(errno)));
  }
  const auto size = static_cast<uint64_t>(info.st_size);

  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    throw Error("cannot initialise SHA-256 (OpenSSL)");
  }
  std::string size_text = std::to_string(size) + ":";
  EVP_DigestUpdate(context.get(), size_text.data(), size_text.size());

  std::vector<unsigned char> buffer;
  if (size <= 3 * kBlockBytes) {
    ReadAt(fd, 0, size, &buffer, path);
    EVP_DigestUpdate(context.get(), buffer.data(), buffer.size());
  } else {
    for (uint64_t offset : {uint64_t{0}, size / 2 - kBlockBytes / 2, size - kBlockBytes}) {
      ReadAt(fd, offset, kBlockBytes, &buffer, path);
      EVP_DigestUpdate(context.get(), buffer.data(), buffer.size());
    }
  }

  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_length = 0;
  EVP_DigestFinal_ex(context.get(), digest.data(), &digest_length);
  std::string hex = "s1:";
  for (unsigned int i = 0; i < digest_length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace msearch
