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

using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

DigestContext NewSha256() {
  DigestContext context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    throw Error("cannot initialise SHA-256 (OpenSSL)");
  }
  return context;
}

std::string HexDigest(EVP_MD_CTX* context, std::string prefix) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_length = 0;
  EVP_DigestFinal_ex(context, digest.data(), &digest_length);
  for (unsigned int i = 0; i < digest_length; ++i) prefix += fmt::format("{:02x}", digest[i]);
  return prefix;
}

int OpenForHash(const std::filesystem::path& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw Error(
        fmt::format("cannot open '{}' to hash it: {}", path.string(), std::strerror(errno)));
  }
  return fd;
}

}  // namespace

std::string FullContentHash(const std::filesystem::path& path) {
  FdCloser closer{OpenForHash(path)};
  DigestContext context = NewSha256();
  constexpr uint64_t kReadBytes = 1 << 20;
  std::vector<unsigned char> buffer;
  for (uint64_t offset = 0;; offset += buffer.size()) {
    ReadAt(closer.fd, offset, kReadBytes, &buffer, path);
    if (buffer.empty()) break;
    EVP_DigestUpdate(context.get(), buffer.data(), buffer.size());
  }
  return HexDigest(context.get(), "sha256:");
}

std::string SampledContentHash(const std::filesystem::path& path) {
  int fd = OpenForHash(path);
  FdCloser closer{fd};
  struct stat info {};
  if (fstat(fd, &info) != 0) {
    throw Error(fmt::format("cannot stat '{}': {}", path.string(), std::strerror(errno)));
  }
  const auto size = static_cast<uint64_t>(info.st_size);

  DigestContext context = NewSha256();
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

  return HexDigest(context.get(), "s1:");
}

}  // namespace msearch
