#pragma once

#include <span>
#include <string>
#include <vector>

#include "inference/tensor.h"
#include "inference/text_batch.h"

namespace msearch::inference {

// Settings fixed when a model is loaded.
struct EngineOptions {
  // Threads for one forward pass, the caller included. OpenBLAS is set to
  // one thread per call; the engine splits work across its own threads.
  int num_threads = 1;
};

// Kinds of input a model maps into its embedding space.
enum class Modality { kText, kImage, kAudio };

// Description of a loaded model: the modalities it embeds and the shape of its inputs.
struct ModelInfo {
  std::string family;                // config.json model_type: "clip", "chinese_clip"
  std::vector<Modality> modalities;  // inputs that share the model's one embedding space
  int embedding_dim = 0;             // projection_dim
  int image_size = 0;                // pixel_values are [batch, 3, image_size, image_size]
  int max_text_length = 0;           // positions of the text tower
  int audio_sample_rate = 0;         // Hz of the waveforms EmbedWaveform takes; 0 without audio
};

// A span of a waveform that one audio embedding covers, in seconds from the
// start of the waveform.
struct AudioSegment {
  double start_seconds = 0;
  double end_seconds = 0;
};

// Embeddings of one waveform: row i of `embeddings` [segments, embedding_dim]
// covers segments[i].
struct WaveformEmbeddings {
  Tensor embeddings;
  std::vector<AudioSegment> segments;
};

// A model that maps inputs of several modalities into one shared embedding
// space, so that the cosine similarity of two embeddings ranks matches across
// modalities (text to image for CLIP, text to audio for CLAP). The embedding
// worker and the CLI use models through this interface.
//
// Calls on one object are serialised internally (one forward pass at a time,
// each using all of the object's threads), so the object may be shared
// between threads. Errors throw ModelError; a failed call leaves the model
// usable.
class EmbeddingModel {
 public:
  virtual ~EmbeddingModel() = default;

  virtual const ModelInfo& info() const = 0;

  int embedding_dim() const { return info().embedding_dim; }
  bool Supports(Modality modality) const;

  // L2-normalised image embeddings [batch, embedding_dim] of preprocessed
  // `pixel_values` [batch, 3, image_size, image_size]. The default throws
  // ModelError for models without an image tower.
  virtual Tensor EmbedImages(std::span<const float> pixel_values, int batch);

  // L2-normalised text embeddings [batch_size, embedding_dim] of tokenised
  // texts. The default throws ModelError for models without a text tower.
  virtual Tensor EmbedTexts(const TextBatch& batch);

  // L2-normalised audio embeddings of audio features. The default throws
  // ModelError for models without an audio tower.
  virtual Tensor EmbedAudio(std::span<const float> features, int batch);

  // L2-normalised embeddings of a mono waveform of any length at
  // info().audio_sample_rate, one per window the model's fixed input length
  // splits it into. The default throws ModelError for models without an
  // audio tower.
  virtual WaveformEmbeddings EmbedWaveform(std::span<const float> samples, int sample_rate);

  // exp(logit_scale): the factor the reference multiplies cosine similarities
  // by to get logits.
  virtual float logit_scale_exp() const = 0;
};

// Scales every row of a [rows, dim] tensor to unit L2 norm, in place.
void L2NormalizeRows(Tensor& embeddings);

}  // namespace msearch::inference
