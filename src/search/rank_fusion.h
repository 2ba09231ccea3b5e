#pragma once

#include <span>
#include <string_view>

namespace msearch::search {

// Score fusion turns the scores of different matchers into one score per
// file. First, each matcher's raw score (a cosine similarity, a full-text
// rank, a fingerprint match score) is calibrated into [0, 1] with two
// points of its own scale. At or below `floor` the match is too weak to
// show, and at or above `ceiling` it is certain. The calibrated score is
// multiplied by the weight of the hit's modality. A file's independent
// pieces of evidence are then combined by noisy-OR, 1 - prod(1 - s_i), so
// two good matches beat one and the result stays in [0, 1], where a
// threshold keeps its meaning. Reciprocal rank fusion (RRF) is not used
// because it has no absolute scale. It would rank the best of a set of poor
// matches first and could not report that nothing matched.

// Two points of a matcher's raw score scale; floor < ceiling.
struct ScoreCalibration {
  double floor = 0;
  double ceiling = 1;
};

// Maps `raw` linearly from [floor, ceiling] to [0, 1], clamped. A result of
// 0 means the match is cut off.
double Calibrate(double raw, const ScoreCalibration& calibration);

// Returns the noisy-OR of scores in [0, 1], or 0 for none. Scores outside
// [0, 1] are clamped.
double CombineScores(std::span<const double> scores);

// The kinds of evidence a result can rest on, each with its own weight.
enum class Modality {
  kImage,  // vectors of still images
  kVideo,  // vectors of video segments (frames)
  kAudio,  // vectors of audio windows and fingerprint matches
  kText,   // full-text matches of recognised text, names, paths and tags
};

std::string_view ModalityName(Modality modality);

// Relative weights of the modalities, each in [0, 1].
struct ModalityWeights {
  double image = 1.0;
  double video = 1.0;
  double audio = 1.0;
  double text = 1.0;

  double For(Modality modality) const;
};

// Multiplies the audio weight by `factor` (a factor below 1 counts as 1),
// then scales every weight so that the largest is 1 again. The other
// modalities lose weight relative to audio, and the best possible score
// stays 1.
ModalityWeights ShiftToAudio(ModalityWeights weights, double factor);

}  // namespace msearch::search
