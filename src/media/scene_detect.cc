#include "media/scene_detect.h"

#include <algorithm>
#include <array>
#include <cstdlib>

namespace msearch::media {
namespace {

constexpr int kLumaBins = 16;
constexpr int kChromaBins = 8;

// Half the L1 distance between the histograms of one plane, 0..1. Each
// value is shared between its two nearest bins, weighted by its closeness
// to each centre, so a slow brightness change moves the histogram
// gradually instead of jumping a whole bin at once.
template <int kBins>
double HistogramDistance(const uint8_t* previous, const uint8_t* current) {
  std::array<double, kBins + 1> counts{};
  auto add = [&counts](uint8_t value, double sign) {
    double position = std::clamp((value + 0.5) * kBins / 256.0 - 0.5, 0.0, kBins - 1.0);
    int bin = static_cast<int>(position);
    double fraction = position - bin;
    counts[bin] += sign * (1 - fraction);
    counts[bin + 1] += sign * fraction;
  };
  for (int i = 0; i < kAnalysisPlaneSize; ++i) {
    add(previous[i], 1.0);
    add(current[i], -1.0);
  }
  double total = 0;
  for (double count : counts) total += std::abs(count);
  return total / (2.0 * kAnalysisPlaneSize);
}

}  // namespace

double SceneScore(const AnalysisImage& previous, const AnalysisImage& current) {
  if (previous.size() != current.size() || previous.size() < 3 * kAnalysisPlaneSize) return 0;
  int64_t difference = 0;
  for (size_t i = 0; i < 3 * static_cast<size_t>(kAnalysisPlaneSize); ++i) {
    difference += std::abs(previous[i] - current[i]);
  }
  double pixel_term = std::min(1.0, static_cast<double>(difference) / kAnalysisPlaneSize / 255.0);

  const uint8_t* a = previous.data();
  const uint8_t* b = current.data();
  double histogram_term =
      0.5 * HistogramDistance<kLumaBins>(a, b) +
      0.25 * HistogramDistance<kChromaBins>(a + kAnalysisPlaneSize, b + kAnalysisPlaneSize) +
      0.25 * HistogramDistance<kChromaBins>(a + 2 * kAnalysisPlaneSize, b + 2 * kAnalysisPlaneSize);
  return 0.5 * (pixel_term + histogram_term);
}

SceneDetector::SceneDetector(const SceneDetectOptions& options) : options_(options) {}

std::vector<FrameVerdict> SceneDetector::Add(double time_s, AnalysisImage image) {
  double score = last_added_.empty() ? 0.0 : SceneScore(last_added_, image);
  last_added_ = image;
  pending_.push_back(Pending{time_s, std::move(image), score});

  std::vector<FrameVerdict> verdicts;
  if (static_cast<int>(pending_.size()) > std::max(0, options_.lookahead)) {
    verdicts.push_back(Decide());
  }
  return verdicts;
}

std::vector<FrameVerdict> SceneDetector::Finish() {
  std::vector<FrameVerdict> verdicts;
  while (!pending_.empty()) verdicts.push_back(Decide());
  recent_images_.clear();
  last_added_.clear();
  recent_scores_.clear();
  return verdicts;
}

double SceneDetector::RecentMedian() const {
  if (recent_scores_.empty()) return 0;
  std::vector<double> scores(recent_scores_.begin(), recent_scores_.end());
  auto middle = scores.begin() + static_cast<std::ptrdiff_t>(scores.size() / 2);
  std::nth_element(scores.begin(), middle, scores.end());
  return *middle;
}

FrameVerdict SceneDetector::Decide() {
  Pending candidate = std::move(pending_.front());
  pending_.pop_front();

  FrameVerdict verdict{candidate.time_s, candidate.score, false};
  bool has_previous = !recent_images_.empty();
  if (has_previous && candidate.score >= options_.threshold &&
      candidate.score >= options_.ratio * RecentMedian()) {
    double persistent = 0.5 * candidate.score;
    verdict.cut = true;
    // The frames after the candidate must differ from the one before it,
    // so a flash is no cut.
    int checked = 0;
    for (const Pending& later : pending_) {
      if (checked++ >= options_.lookahead) break;
      if (SceneScore(recent_images_.back(), later.image) < persistent) verdict.cut = false;
    }
    // The candidate must also differ from the lookahead + 1 frames before
    // it, so the return from a flash is no cut either.
    for (const AnalysisImage& earlier : recent_images_) {
      if (SceneScore(earlier, candidate.image) < persistent) verdict.cut = false;
    }
  }

  if (has_previous) {
    recent_scores_.push_back(candidate.score);
    while (static_cast<int>(recent_scores_.size()) > std::max(1, options_.history)) {
      recent_scores_.pop_front();
    }
  }
  recent_images_.push_back(std::move(candidate.image));
  while (static_cast<int>(recent_images_.size()) > std::max(0, options_.lookahead) + 1) {
    recent_images_.pop_front();
  }
  return verdict;
}

}  // namespace msearch::media
