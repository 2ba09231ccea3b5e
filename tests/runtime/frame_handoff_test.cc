// Video frames handed from task workers to embedding workers through shared
// memory: the block format, grouping, the memory budget and the reduction
// to what the model needs.

#include "runtime/frame_handoff.h"

#include <cmath>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include "embedding/encoder.h"
#include "ipc/shared_buffer.h"
#include "shared_memory_util.h"
#include "support/shared_data.h"
#include "support/temp_dir.h"

namespace msearch::runtime {
namespace {

namespace fs = std::filesystem;
using msearch::testing::ShmBlocks;
using msearch::testing::ShmExists;

// Returns a prefix unique to this test process, so parallel tests never
// share blocks.
std::string TestPrefix() { return fmt::format("msearch.handofftest{}", getpid()); }

// A picture whose pixels depend on x, y and `seed`.
media::RgbImage Pattern(int width, int height, int seed) {
  media::RgbImage image;
  image.width = width;
  image.height = height;
  image.rgb.resize(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* pixel = &image.rgb[(static_cast<size_t>(y) * width + x) * 3];
      pixel[0] = static_cast<uint8_t>(x * 7 + seed * 31);
      pixel[1] = static_cast<uint8_t>(y * 5 + seed * 17);
      pixel[2] = static_cast<uint8_t>((x ^ y) + seed);
    }
  }
  return image;
}

media::VideoSegment Segment(int index, int frames, int width = 32, int height = 18) {
  media::VideoSegment segment;
  segment.index = index;
  segment.start_s = index * 2.0;
  segment.end_s = index * 2.0 + 2.0;
  for (int k = 0; k < frames; ++k) {
    segment.frames.push_back({segment.start_s + 0.5 * k, Pattern(width, height, index * 10 + k)});
  }
  return segment;
}

preprocess::RgbImage Whole(const media::RgbImage& image) {
  return preprocess::RgbImage{image.width, image.height, image.rgb};
}

class FrameHandoff : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const std::string& name : ShmBlocks(TestPrefix())) ipc::SharedBuffer::Unlink(name);
  }
  const FrameBlockKey key_{7, 1234, 5678, "clip-test"};
};

TEST_F(FrameHandoff, BlockRoundTrip) {
  std::vector<SegmentFrame> frames;
  for (int i = 0; i < 3; ++i) {
    media::VideoSegment segment = Segment(i, 1, 20 + i, 10);
    frames.push_back({i, segment.start_s, segment.end_s, segment.frames[0].time_s,
                      Whole(segment.frames[0].image)});
  }
  std::string name = WriteFrameBlock(TestPrefix(), key_, frames);
  FrameBlock block = FrameBlock::Open(name);

  EXPECT_EQ(block.key(), key_);
  ASSERT_EQ(block.frames().size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const FrameBlock::Entry& entry = block.frames()[i];
    EXPECT_EQ(entry.segment_index, i);
    EXPECT_EQ(entry.segment_start_s, frames[i].segment_start_s);
    EXPECT_EQ(entry.segment_end_s, frames[i].segment_end_s);
    EXPECT_EQ(entry.time_s, frames[i].time_s);
    preprocess::RgbImage image = block.Image(entry);
    EXPECT_EQ(image.width, 20 + i);
    EXPECT_EQ(image.height, 10);
    EXPECT_EQ(image.pixels, frames[i].image.pixels);
  }
}

TEST_F(FrameHandoff, RejectsBlocksThatAreNotFrameBlocks) {
  ipc::SharedBuffer junk = ipc::SharedBuffer::Create(TestPrefix(), 64);
  std::memset(junk.bytes().data(), 'x', 64);
  EXPECT_THROW(FrameBlock::Open(junk.name()), FrameBlockError);

  // A frame that claims more pixels than the block holds.
  std::vector<SegmentFrame> frames = {{0, 0, 1, 0.5, Whole(Pattern(8, 8, 1))}};
  std::string name = WriteFrameBlock(TestPrefix(), key_, frames);
  {
    int fd = shm_open(name.c_str(), O_RDWR, 0);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, 100), 0);
    close(fd);
  }
  EXPECT_THROW(FrameBlock::Open(name), FrameBlockError);
  EXPECT_THROW(FrameBlock::Open("/" + TestPrefix() + "-1-999999"), ipc::SharedBufferError);
}

TEST_F(FrameHandoff, GroupsSegmentsIntoBlocks) {
  FrameHandoffOptions options;
  options.prefix = TestPrefix();
  options.max_segments_per_block = 2;
  std::vector<std::string> names;
  {
    FrameHandoffWriter writer(options, key_, Whole);
    for (int i = 0; i < 5; ++i) writer.Add(Segment(i, 3));
    names = writer.Finish();
    EXPECT_EQ(writer.segments_handed_over(), 5);
    writer.Release();
  }
  ASSERT_EQ(names.size(), 3u);
  const std::vector<std::vector<int>> expected = {
      {0, 0, 0, 1, 1, 1}, {2, 2, 2, 3, 3, 3}, {4, 4, 4}};
  for (size_t i = 0; i < names.size(); ++i) {
    ASSERT_TRUE(ShmExists(names[i]));  // released: the writer left them
    std::vector<int> segments;
    FrameBlock block = FrameBlock::Open(names[i]);
    for (const FrameBlock::Entry& entry : block.frames()) {
      segments.push_back(entry.segment_index);
    }
    EXPECT_EQ(segments, expected[i]) << names[i];
  }
  UnlinkFrameBlocks(names);
  EXPECT_TRUE(ShmBlocks(TestPrefix()).empty());
}

TEST_F(FrameHandoff, DestructorRemovesUnreleasedBlocks) {
  FrameHandoffOptions options;
  options.prefix = TestPrefix();
  options.max_segments_per_block = 1;
  {
    FrameHandoffWriter writer(options, key_, Whole);
    writer.Add(Segment(0, 2));
    writer.Add(Segment(1, 2));
    EXPECT_EQ(ShmBlocks(TestPrefix()).size(), 2u);
    // An analysis that fails here never calls Finish or Release.
  }
  EXPECT_TRUE(ShmBlocks(TestPrefix()).empty());
}

TEST_F(FrameHandoff, StopsAtTheBudget) {
  FrameHandoffOptions options;
  options.prefix = TestPrefix();
  options.max_segments_per_block = 1;
  // Room for about two blocks of one segment of two 32x18 frames.
  options.budget_bytes = 2 * (2 * 32 * 18 * 3 + 600);
  FrameHandoffWriter writer(options, key_, Whole);
  for (int i = 0; i < 6; ++i) writer.Add(Segment(i, 2));
  std::vector<std::string> names = writer.Finish();
  writer.Release();
  EXPECT_EQ(names.size(), 2u);
  EXPECT_EQ(writer.segments_handed_over(), 2);
  UnlinkFrameBlocks(names);
}

TEST_F(FrameHandoff, ReducedFramesEmbedLikeWholeFrames) {
  MSEARCH_REQUIRE_SHARED_DIR(shared);
  const fs::path model = shared / "fixtures/models/clip";
  FrameReducer reduce = ModelFrameReducer(model);
  std::unique_ptr<embedding::Encoder> encoder = embedding::Encoder::Load(model, 1);

  std::vector<preprocess::RgbImage> whole;
  std::vector<preprocess::RgbImage> reduced;
  for (auto [width, height] : {std::pair{796, 448}, std::pair{448, 600}, std::pair{224, 224}}) {
    media::RgbImage frame = Pattern(width, height, width);
    whole.push_back(Whole(frame));
    reduced.push_back(reduce(frame));
    EXPECT_EQ(reduced.back().width, 224);
    EXPECT_EQ(reduced.back().height, 224);
  }
  std::vector<std::vector<float>> expected = encoder->EncodeImages(whole);
  std::vector<std::vector<float>> actual = encoder->EncodeImages(reduced);
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(actual[i].size(), expected[i].size());
    for (size_t k = 0; k < expected[i].size(); ++k) {
      EXPECT_NEAR(actual[i][k], expected[i][k], 1e-6) << "image " << i << " element " << k;
    }
  }
}

TEST_F(FrameHandoff, MissingPreprocessorKeepsWholeFrames) {
  testing::TempDir empty;
  FrameReducer reduce = ModelFrameReducer(empty.path());
  media::RgbImage frame = Pattern(40, 30, 3);
  preprocess::RgbImage out = reduce(frame);
  EXPECT_EQ(out.width, 40);
  EXPECT_EQ(out.height, 30);
  EXPECT_EQ(out.pixels, frame.rgb);
}

TEST(FrameBlocksOf, ReadsNamesAndIgnoresOtherData) {
  EXPECT_EQ(FrameBlocksOf({{"blocks", {"/a-1-2", "/a-1-3"}}}),
            (std::vector<std::string>{"/a-1-2", "/a-1-3"}));
  EXPECT_TRUE(FrameBlocksOf({{"file_id", 3}}).empty());
  EXPECT_TRUE(FrameBlocksOf({{"blocks", "x"}}).empty());
  EXPECT_TRUE(FrameBlocksOf(nlohmann::json::array()).empty());
}

}  // namespace
}  // namespace msearch::runtime
