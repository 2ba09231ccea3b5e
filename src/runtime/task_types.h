#pragma once

#include <string>
#include <vector>

namespace msearch::runtime {

// Task types of the task queue and their priority bands (0 runs first):
// 6-8 preprocessing, 9-10 thumbnails and previews.
inline constexpr char kTaskProbe[] = "probe";
inline constexpr char kTaskThumbnail[] = "thumbnail";
inline constexpr char kTaskAnalyze[] = "analyze";
inline constexpr char kTaskEmbed[] = "embed";

inline constexpr int kProbePriority = 6;
inline constexpr int kAnalyzePriority = 7;
inline constexpr int kEmbedPriority = 8;
inline constexpr int kThumbnailPriority = 9;

// Values of the "modality" field of an embed task's data: a still image,
// the windows of an audio track, or the frames that the media pipeline
// picked for each segment of a video (embedded with the image model).
inline constexpr char kEmbedImage[] = "image";
inline constexpr char kEmbedAudio[] = "audio";
inline constexpr char kEmbedVideo[] = "video";

// The types each worker kind claims.
inline const std::vector<std::string> kTaskWorkerTypes = {kTaskProbe, kTaskAnalyze, kTaskThumbnail};
inline const std::vector<std::string> kEmbeddingWorkerTypes = {kTaskEmbed};

}  // namespace msearch::runtime
