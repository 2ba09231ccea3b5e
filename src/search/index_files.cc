#include "search/index_files.h"

#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "common/error.h"
#include "common/json_parse.h"

namespace msearch::search {
namespace {

constexpr std::array<char, 8> kKeysMagic = {'M', 'S', 'K', 'E', 'Y', 'S', '0', '1'};
constexpr size_t kKeyBytes = 3 * sizeof(uint64_t);

static_assert(std::endian::native == std::endian::little,
              "the keys file is written in the byte order of the machine, which must be "
              "little-endian");

std::string ErrnoText() { return std::strerror(errno); }

// Closes a POSIX file descriptor on scope exit.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void Fsync(const std::filesystem::path& path, int flags) {
  FileDescriptor fd(open(path.c_str(), flags | O_CLOEXEC));
  if (fd.get() < 0) {
    throw Error(
        fmt::format("cannot open '{}' to flush it to disk: {}", path.string(), ErrnoText()));
  }
  if (fsync(fd.get()) != 0) {
    throw Error(fmt::format("cannot flush '{}' to disk: {}", path.string(), ErrnoText()));
  }
}

template <typename T>
T Field(const nlohmann::json& json, const char* name, const std::filesystem::path& source) {
  auto found = json.find(name);
  if (found == json.end()) {
    throw Error(fmt::format("the index manifest '{}' has no field '{}'", source.string(), name));
  }
  try {
    return found->get<T>();
  } catch (const nlohmann::json::exception&) {
    throw Error(fmt::format("the field '{}' of the index manifest '{}' has the wrong type", name,
                            source.string()));
  }
}

}  // namespace

std::string ManifestToJson(const IndexManifest& manifest) {
  nlohmann::json json = {
      {"format", manifest.format},
      {"space", manifest.space},
      {"dimension", manifest.dimension},
      {"count", manifest.count},
      {"deleted", manifest.deleted},
      {"generation", manifest.generation},
      {"m", manifest.m},
      {"ef_construction", manifest.ef_construction},
      {"graph_file", manifest.graph_file},
      {"graph_bytes", manifest.graph_bytes},
      {"graph_sha256", manifest.graph_sha256},
      {"keys_file", manifest.keys_file},
      {"keys_bytes", manifest.keys_bytes},
      {"keys_sha256", manifest.keys_sha256},
      {"catalog_max_id", manifest.catalog_max_id},
      {"saved_at", manifest.saved_at},
  };
  return json.dump(2) + "\n";
}

IndexManifest ParseManifest(std::string_view text, const std::filesystem::path& source) {
  nlohmann::json json;
  try {
    json = ParseJsonLimited(text);
  } catch (const std::exception& e) {
    throw Error(
        fmt::format("the index manifest '{}' is not valid JSON: {}", source.string(), e.what()));
  }
  if (!json.is_object()) {
    throw Error(fmt::format("the index manifest '{}' is not a JSON object", source.string()));
  }

  IndexManifest manifest;
  manifest.format = Field<int>(json, "format", source);
  if (manifest.format != IndexManifest::kFormat) {
    throw Error(fmt::format("the index manifest '{}' has format {}, expected {}", source.string(),
                            manifest.format, IndexManifest::kFormat));
  }
  manifest.space = Field<std::string>(json, "space", source);
  manifest.dimension = Field<size_t>(json, "dimension", source);
  manifest.count = Field<size_t>(json, "count", source);
  manifest.deleted = Field<size_t>(json, "deleted", source);
  manifest.generation = Field<uint64_t>(json, "generation", source);
  manifest.m = Field<size_t>(json, "m", source);
  manifest.ef_construction = Field<size_t>(json, "ef_construction", source);
  manifest.graph_file = Field<std::string>(json, "graph_file", source);
  manifest.graph_bytes = Field<uintmax_t>(json, "graph_bytes", source);
  manifest.graph_sha256 = Field<std::string>(json, "graph_sha256", source);
  manifest.keys_file = Field<std::string>(json, "keys_file", source);
  manifest.keys_bytes = Field<uintmax_t>(json, "keys_bytes", source);
  manifest.keys_sha256 = Field<std::string>(json, "keys_sha256", source);
  manifest.catalog_max_id = Field<int64_t>(json, "catalog_max_id", source);
  manifest.saved_at = Field<double>(json, "saved_at", source);

  for (const std::string& name : {manifest.graph_file, manifest.keys_file}) {
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
      throw Error(
          fmt::format("the index manifest '{}' names an invalid file '{}'", source.string(), name));
    }
  }
  return manifest;
}

std::string SpaceFileStem(std::string_view space) {
  std::string stem;
  stem.reserve(space.size() + 9);
  for (char c : space) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-';
    stem.push_back(keep ? c : '_');
  }
  if (!stem.empty() && stem.front() == '.') stem.front() = '_';
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_Digest(space.data(), space.size(), digest, &digest_size, EVP_sha256(), nullptr);
  stem += fmt::format("-{:02x}{:02x}{:02x}{:02x}", digest[0], digest[1], digest[2], digest[3]);
  return stem;
}

std::string Sha256OfFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot open '{}' to compute its SHA-256", path.string()));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    throw Error("cannot start a SHA-256 computation (OpenSSL failed)");
  }
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0) {
      EVP_DigestUpdate(context.get(), buffer.data(), static_cast<size_t>(in.gcount()));
    }
  }
  if (in.bad()) throw Error(fmt::format("cannot read '{}'", path.string()));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_DigestFinal_ex(context.get(), digest, &digest_size);
  std::string hex;
  for (unsigned int i = 0; i < digest_size; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

void FsyncFile(const std::filesystem::path& path) { Fsync(path, O_RDONLY); }

void FsyncDirectory(const std::filesystem::path& path) { Fsync(path, O_RDONLY | O_DIRECTORY); }

void WriteFileAtomically(const std::filesystem::path& path, std::string_view contents) {
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.close();
    if (!out) {
      throw Error(fmt::format("cannot write '{}'; check free disk space and permissions",
                              temporary.string()));
    }
  }
  FsyncFile(temporary);
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    throw Error(fmt::format("cannot rename '{}' to '{}': {}", temporary.string(), path.string(),
                            error.message()));
  }
  FsyncDirectory(path.parent_path().empty() ? "." : path.parent_path());
}

std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot open '{}'", path.string()));
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(fmt::format("cannot read '{}'", path.string()));
  return contents;
}

void WriteKeysFile(const std::filesystem::path& path, std::span<const store::EmbeddingKey> keys) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(kKeysMagic.data(), kKeysMagic.size());
  uint64_t count = keys.size();
  out.write(reinterpret_cast<const char*>(&count), sizeof(count));
  std::vector<char> buffer;
  buffer.reserve(std::min<size_t>(keys.size(), 65536) * kKeyBytes);
  for (size_t i = 0; i < keys.size(); ++i) {
    const store::EmbeddingKey& key = keys[i];
    const char* fields[3] = {reinterpret_cast<const char*>(&key.id),
                             reinterpret_cast<const char*>(&key.file_id),
                             reinterpret_cast<const char*>(&key.created_at)};
    for (const char* field : fields) buffer.insert(buffer.end(), field, field + 8);
    if (buffer.size() >= 65536 * kKeyBytes || i + 1 == keys.size()) {
      out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      buffer.clear();
    }
  }
  out.close();
  if (!out) {
    throw Error(
        fmt::format("cannot write the index keys file '{}'; check free disk space", path.string()));
  }
}

std::vector<store::EmbeddingKey> ReadKeysFile(const std::filesystem::path& path) {
  std::string contents = ReadWholeFile(path);
  auto fail = [&](std::string_view what) {
    throw Error(fmt::format("the index keys file '{}' is invalid: {}", path.string(), what));
  };
  if (contents.size() < kKeysMagic.size() + sizeof(uint64_t) ||
      std::memcmp(contents.data(), kKeysMagic.data(), kKeysMagic.size()) != 0) {
    fail("it does not start with the keys file header");
  }
  uint64_t count = 0;
  std::memcpy(&count, contents.data() + kKeysMagic.size(), sizeof(count));
  size_t body = contents.size() - kKeysMagic.size() - sizeof(uint64_t);
  if (body % kKeyBytes != 0 || body / kKeyBytes != count) {
    fail(fmt::format("it claims {} keys but holds {} bytes of keys", count, body));
  }
  std::vector<store::EmbeddingKey> keys(count);
  const char* cursor = contents.data() + kKeysMagic.size() + sizeof(uint64_t);
  for (size_t i = 0; i < count; ++i, cursor += kKeyBytes) {
    std::memcpy(&keys[i].id, cursor, 8);
    std::memcpy(&keys[i].file_id, cursor + 8, 8);
    std::memcpy(&keys[i].created_at, cursor + 16, 8);
    if (i > 0 && keys[i].id <= keys[i - 1].id) fail("its ids are not strictly ascending");
  }
  return keys;
}

}  // namespace msearch::search
