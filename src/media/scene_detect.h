#pragma once

#include <cstdint>
#include <deque>
#include <vector>

namespace msearch::media {

// Size of the analysis images scene detection compares. 64x36 keeps the
// 16:9 shape of most video, and averaging that far down hides noise and
// compression artefacts.
inline constexpr int kAnalysisWidth = 64;
inline constexpr int kAnalysisHeight = 36;
inline constexpr int kAnalysisPlaneSize = kAnalysisWidth * kAnalysisHeight;

// Three planes, Y then U then V, each kAnalysisWidth x kAnalysisHeight, 8-bit.
using AnalysisImage = std::vector<uint8_t>;

// Returns how much two analysis images differ, from 0 (identical) to 1, as
// the mean of two terms. The pixel term is the mean absolute difference of
// Y, U and V, summed and divided by 255, at most 1. The histogram term is
// half the L1 distance between 16-bin luma histograms (weight 1/2) and
// between 8-bin U and V histograms (weight 1/4 each), where each value is
// shared between its two nearest bins. The pixel term detects cuts between shots of
// similar colours, and the histogram term, which moving content barely
// changes, keeps camera and subject motion from scoring as high as a cut.
double SceneScore(const AnalysisImage& previous, const AnalysisImage& current);

struct SceneDetectOptions {
  // Minimum SceneScore of a cut. The hard cuts of the test corpus score 0.6
  // to 0.9, and its moving pictures 0.12 or less between decoded frames.
  double threshold = 0.15;
  // A cut must also score this many times the median score of the preceding
  // `history` frames, so that video with constant fast motion needs a
  // stronger change.
  double ratio = 3.0;
  int history = 15;
  // Frames after a candidate cut that must all still differ from the frame
  // before it, by at least half the candidate's score. A flash or damaged
  // stretch of up to this many frames, after which the picture returns, is
  // therefore no cut. The candidate must likewise differ from the
  // lookahead + 1 frames before it, so the return from a flash is no cut.
  int lookahead = 2;
};

// The verdict on one frame, delivered once its lookahead frames have arrived.
struct FrameVerdict {
  double time_s = 0;
  double score = 0;  // SceneScore against the previous frame, 0 for the first
  bool cut = false;  // the frame starts a new shot
};

// Finds hard cuts in a stream of analysis images with an adaptive
// threshold. A frame starts a new shot when three conditions hold. Its
// score is at least options.threshold. It is at least options.ratio times
// the median of the recent scores, which steady motion and gradual fades
// keep low and even. The change persists through the lookahead frames, so
// flashes do not count. Not thread-safe.
class SceneDetector {
 public:
  explicit SceneDetector(const SceneDetectOptions& options = {});

  // Adds the next frame, in presentation order. Returns the verdict on the
  // oldest undecided frame once `lookahead` frames follow it, else nothing.
  std::vector<FrameVerdict> Add(double time_s, AnalysisImage image);

  // Returns the verdicts on the frames still waiting for lookahead frames,
  // judged on the frames there are, and resets the detector.
  std::vector<FrameVerdict> Finish();

 private:
  struct Pending {
    double time_s;
    AnalysisImage image;
    double score;
  };

  FrameVerdict Decide();
  double RecentMedian() const;

  SceneDetectOptions options_;
  std::deque<Pending> pending_;
  // Images of the last lookahead + 1 decided frames, oldest first.
  std::deque<AnalysisImage> recent_images_;
  AnalysisImage last_added_;
  std::deque<double> recent_scores_;
};

}  // namespace msearch::media
