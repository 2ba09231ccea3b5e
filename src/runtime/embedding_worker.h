#pragma once

#include "config/config.h"
#include "runtime/child_session.h"

namespace msearch::runtime {

// Main loop of an embedding worker process. It claims up to
// processes.embedding_worker.batch_size "embed" tasks at a time and runs
// them with the models named by models.image and models.audio, loaded from
// models.dir on first use and unloaded after models.idle_unload_seconds
// without work:
//   image  still images, in one batch across files, one vector per file;
//   video  one vector per video segment from the frames the media pipeline
//          picked (see EmbedVideo), handed over in shared memory;
//   audio  the audio track in consecutive windows, each stored as an audio
//          segment with its vector.
// Vectors go to the catalog's embeddings table under the model's space.
// Long tasks report progress, and the worker sends a "vectors_stored" event
// to the main process after each store. A task whose model is not installed
// goes back to waiting for it. A task for a modality that no longer has a
// configured model is skipped. Returns the process exit code.
int RunEmbeddingWorker(const config::Config& config, const ChildIdentity& identity);

}  // namespace msearch::runtime
