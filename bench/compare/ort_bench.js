// Times the ONNX export of the reference CLIP model with ONNX Runtime
// (onnxruntime-node, CPU execution provider) as bench/inference_bench times
// msearch: images/s at batch 1 (16 calls of one image per run) and batch 16
// (one call per run), and the latency of one 12-token text (20 calls per
// run, unpadded), each over --runs timed runs after one warm-up run. Prints
// one JSON object with the per-run values and the process's peak RSS (VmHWM).
//
// Usage: node ort_bench.js --onnx-dir DIR --pixels FILE [--threads N]
//        [--runs R] [--image-size S] [--no-spinning 1] [--disable-prepacking 1]
//        [--embeddings-out DIR]
//
// --no-spinning 1 makes idle intra-op threads sleep instead of spinning
// (session.intra_op.allow_spinning = 0). --disable-prepacking 1 stops ONNX
// Runtime from packing constant weights once at session creation
// (session.disable_prepacking = 1), to measure what that packing gains.

'use strict';

const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const NUMERIC_SETTINGS = ['threads', 'runs', 'imageSize', 'noSpinning', 'disablePrepacking'];

function parseArguments(argv) {
  const settings = {threads: 2, runs: 5, imageSize: 224, noSpinning: 0, disablePrepacking: 0,
                    embeddingsOut: null};
  const names = {
    '--onnx-dir': 'onnxDir',
    '--pixels': 'pixels',
    '--threads': 'threads',
    '--runs': 'runs',
    '--image-size': 'imageSize',
    '--embeddings-out': 'embeddingsOut',
    '--no-spinning': 'noSpinning',
    '--disable-prepacking': 'disablePrepacking',
  };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]];
    if (!key || i + 1 >= argv.length) {
      throw new Error(`invalid argument '${argv[i]}'; see the usage in ort_bench.js`);
    }
    const value = argv[i + 1];
    settings[key] = NUMERIC_SETTINGS.includes(key) ? Number(value) : value;
  }
  if (!settings.onnxDir || !settings.pixels) {
    throw new Error('--onnx-dir and --pixels are required');
  }
  return settings;
}

function peakRssKib() {
  const match = fs.readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s+(\d+)/m);
  if (!match) throw new Error('/proc/self/status has no VmHWM line');
  return Number(match[1]);
}

// Seconds per call of `body` over `runs` calls, after one warm-up call.
async function timeRuns(runs, body) {
  await body();
  const seconds = [];
  for (let run = 0; run < runs; ++run) {
    const start = process.hrtime.bigint();
    await body();
    seconds.push(Number(process.hrtime.bigint() - start) * 1e-9);
  }
  return seconds;
}

function writeFloats(file, tensor) {
  const data = tensor.data;
  fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

async function main() {
  const settings = parseArguments(process.argv.slice(2));
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: settings.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  const session = {};
  if (settings.noSpinning) session.intra_op = {allow_spinning: '0'};
  if (settings.disablePrepacking) session.disable_prepacking = '1';
  options.extra = {session};
  const loadStart = process.hrtime.bigint();
  const vision = await ort.InferenceSession.create(path.join(settings.onnxDir, 'vision.onnx'), options);
  const text = await ort.InferenceSession.create(path.join(settings.onnxDir, 'text.onnx'), options);
  const loadSeconds = Number(process.hrtime.bigint() - loadStart) * 1e-9;

  const imageValues = 3 * settings.imageSize * settings.imageSize;
  const raw = fs.readFileSync(settings.pixels);
  const pixels = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  if (pixels.length < 16 * imageValues) {
    throw new Error(`--pixels ${settings.pixels} contains fewer than 16 images of ${imageValues} floats`);
  }

  const figures = {};
  for (const batch of [1, 16]) {
    const input = new ort.Tensor('float32', pixels.slice(0, batch * imageValues),
                                 [batch, 3, settings.imageSize, settings.imageSize]);
    const feeds = {pixel_values: input};
    if (settings.embeddingsOut) {
      const result = await vision.run(feeds);
      writeFloats(path.join(settings.embeddingsOut, `image_embeds_b${batch}.f32`),
                  result.image_embeds);
    }
    const calls = Math.max(1, 16 / batch);
    const seconds = await timeRuns(settings.runs, async () => {
      for (let call = 0; call < calls; ++call) await vision.run(feeds);
    });
    figures[`images_b${batch}`] = seconds.map((s) => (calls * batch) / s);
  }

  // The 12-token text of bench/inference_bench: start, 320 + 17 * t, end.
  const ids = [49406n];
  for (let t = 1; t < 11; ++t) ids.push(BigInt(320 + 17 * t));
  ids.push(49407n);
  const textFeeds = {input_ids: new ort.Tensor('int64', BigInt64Array.from(ids), [1, ids.length])};
  if (settings.embeddingsOut) {
    const result = await text.run(textFeeds);
    writeFloats(path.join(settings.embeddingsOut, 'text_embeds_b1.f32'), result.text_embeds);
  }
  const textSeconds = await timeRuns(settings.runs, async () => {
    for (let call = 0; call < 20; ++call) await text.run(textFeeds);
  });
  figures.text_ms = textSeconds.map((s) => (s * 1e3) / 20);

  console.log(JSON.stringify({
    engine: 'onnxruntime',
    version: ort.env.versions.node,
    threads: settings.threads,
    load_s: loadSeconds,
    figures,
    vmhwm_kib: peakRssKib(),
  }));
}

main().catch((error) => {
  console.error(`ort_bench: ${error.message}`);
  process.exit(1);
});
