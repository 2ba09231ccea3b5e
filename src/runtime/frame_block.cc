#include "runtime/frame_block.h"

#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace msearch::runtime {
namespace {

constexpr char kMagic[8] = {'M', 'S', 'F', 'R', 'A', 'M', 'E', '1'};
constexpr size_t kPrefixBytes = sizeof(kMagic) + sizeof(uint64_t);
// Maximum header size in bytes. A larger header means damage, because a
// block typically contains at most a few hundred frames of about 150 header
// bytes each (an estimate).
constexpr uint64_t kMaxHeaderBytes = 16 << 20;

size_t PadTo8(size_t bytes) { return (bytes + 7) / 8 * 8; }

size_t PixelBytes(const preprocess::RgbImage& image) {
  return static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3;
}

// JSON header, start of the pixel data and total size of a block, in bytes.
struct Layout {
  std::string header;
  size_t data_start = 0;
  size_t total = 0;
};

Layout MakeLayout(const FrameBlockKey& key, std::span<const SegmentFrame> frames) {
  nlohmann::json entries = nlohmann::json::array();
  size_t offset = 0;
  for (const SegmentFrame& frame : frames) {
    entries.push_back({{"segment", frame.segment_index},
                       {"start", frame.segment_start_s},
                       {"end", frame.segment_end_s},
                       {"time", frame.time_s},
                       {"width", frame.image.width},
                       {"height", frame.image.height},
                       {"offset", offset}});
    offset += PixelBytes(frame.image);
  }
  Layout layout;
  layout.header = nlohmann::json{{"file_id", key.file_id},
                                 {"size", key.size},
                                 {"mtime_ns", key.mtime_ns},
                                 {"space", key.space},
                                 {"frames", std::move(entries)}}
                      .dump();
  layout.data_start = PadTo8(kPrefixBytes + layout.header.size());
  layout.total = layout.data_start + offset;
  return layout;
}

FrameBlockError Damaged(const std::string& name, std::string_view problem) {
  return FrameBlockError(
      fmt::format("shared buffer {} is not a frame block of this version: {}", name, problem));
}

}  // namespace

size_t FrameBlockBytes(const FrameBlockKey& key, std::span<const SegmentFrame> frames) {
  return MakeLayout(key, frames).total;
}

std::string WriteFrameBlock(std::string_view prefix, const FrameBlockKey& key,
                            std::span<const SegmentFrame> frames) {
  Layout layout = MakeLayout(key, frames);
  ipc::SharedBuffer block = ipc::SharedBuffer::Create(prefix, layout.total);
  std::byte* out = block.bytes().data();
  uint64_t header_bytes = layout.header.size();
  std::memcpy(out, kMagic, sizeof(kMagic));
  std::memcpy(out + sizeof(kMagic), &header_bytes, sizeof(header_bytes));
  std::memcpy(out + kPrefixBytes, layout.header.data(), layout.header.size());
  size_t offset = layout.data_start;
  for (const SegmentFrame& frame : frames) {
    std::memcpy(out + offset, frame.image.pixels.data(), PixelBytes(frame.image));
    offset += PixelBytes(frame.image);
  }
  return block.name();
}

FrameBlock FrameBlock::Open(const std::string& name) {
  ipc::SharedBuffer buffer = ipc::SharedBuffer::Open(name);
  std::span<const std::byte> bytes = std::as_const(buffer).bytes();
  if (bytes.size() < kPrefixBytes || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    throw Damaged(name, "no frame block signature");
  }
  uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, bytes.data() + sizeof(kMagic), sizeof(header_bytes));
  if (header_bytes > kMaxHeaderBytes || header_bytes > bytes.size() - kPrefixBytes) {
    throw Damaged(name, fmt::format("header of {} bytes in {} bytes", header_bytes, bytes.size()));
  }
  const char* header_text = reinterpret_cast<const char*>(bytes.data() + kPrefixBytes);
  nlohmann::json header = nlohmann::json::parse(header_text, header_text + header_bytes, nullptr,
                                                /*allow_exceptions=*/false);
  size_t data_start = PadTo8(kPrefixBytes + header_bytes);
  if (header.is_discarded() || !header.is_object()) throw Damaged(name, "header is not JSON");

  FrameBlockKey key;
  std::vector<Entry> frames;
  try {
    key.file_id = header.at("file_id").get<int64_t>();
    key.size = header.at("size").get<uint64_t>();
    key.mtime_ns = header.at("mtime_ns").get<int64_t>();
    key.space = header.at("space").get<std::string>();
    for (const nlohmann::json& item : header.at("frames")) {
      Entry entry;
      entry.segment_index = item.at("segment").get<int>();
      entry.segment_start_s = item.at("start").get<double>();
      entry.segment_end_s = item.at("end").get<double>();
      entry.time_s = item.at("time").get<double>();
      entry.width = item.at("width").get<int>();
      entry.height = item.at("height").get<int>();
      uint64_t offset = item.at("offset").get<uint64_t>();
      // Sides up to 65535 keep width * height * 3 far from overflowing.
      if (entry.width <= 0 || entry.height <= 0 || entry.width > 65535 || entry.height > 65535) {
        throw Damaged(name, fmt::format("frame of {}x{} pixels", entry.width, entry.height));
      }
      size_t pixels = static_cast<size_t>(entry.width) * static_cast<size_t>(entry.height) * 3;
      if (data_start > bytes.size() || offset > bytes.size() - data_start ||
          pixels > bytes.size() - data_start - offset) {
        throw Damaged(name, "a frame lies outside the block");
      }
      entry.offset = data_start + offset;
      frames.push_back(entry);
    }
  } catch (const nlohmann::json::exception& error) {
    throw Damaged(name, error.what());
  }
  return FrameBlock(std::move(buffer), std::move(key), std::move(frames));
}

preprocess::RgbImage FrameBlock::Image(const Entry& frame) const {
  preprocess::RgbImage image;
  image.width = frame.width;
  image.height = frame.height;
  const auto* start = reinterpret_cast<const uint8_t*>(buffer_.bytes().data() + frame.offset);
  image.pixels.assign(start, start + PixelBytes(image));
  return image;
}

}  // namespace msearch::runtime
