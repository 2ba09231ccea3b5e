#include "search/rank_fusion.h"

#include <algorithm>

namespace msearch::search {

double Calibrate(double raw, const ScoreCalibration& calibration) {
  double span = calibration.ceiling - calibration.floor;
  if (span <= 0) return raw >= calibration.ceiling ? 1.0 : 0.0;
  return std::clamp((raw - calibration.floor) / span, 0.0, 1.0);
}

double CombineScores(std::span<const double> scores) {
  double miss = 1.0;
  for (double score : scores) miss *= 1.0 - std::clamp(score, 0.0, 1.0);
  return 1.0 - miss;
}

std::string_view ModalityName(Modality modality) {
  switch (modality) {
    case Modality::kImage:
      return "image";
    case Modality::kVideo:
      return "video";
    case Modality::kAudio:
      return "audio";
    case Modality::kText:
      return "text";
  }
  return "unknown";
}

double ModalityWeights::For(Modality modality) const {
  switch (modality) {
    case Modality::kImage:
      return image;
    case Modality::kVideo:
      return video;
    case Modality::kAudio:
      return audio;
    case Modality::kText:
      return text;
  }
  return 0;
}

ModalityWeights ShiftToAudio(ModalityWeights weights, double factor) {
  weights.audio *= std::max(1.0, factor);
  double largest = std::max({weights.image, weights.video, weights.audio, weights.text});
  if (largest <= 0) return weights;
  weights.image /= largest;
  weights.video /= largest;
  weights.audio /= largest;
  weights.text /= largest;
  return weights;
}

}  // namespace msearch::search
