"""Time the PyTorch reference CLIP model as bench/inference_bench times msearch.

Each figure is measured over --runs timed runs after one warm-up run. The
figures are images/s at batch 1 (16 calls of one image per run), images/s at
batch 16 (one call per run) and the latency of one 12-token text (20 calls per
run, unpadded). Prints one JSON object with the per-run values and the
process's peak RSS (VmHWM). With --embeddings-out it also writes the raw
float32 embeddings of the timed inputs, named as inference_bench names them.

Run with Debian's /usr/bin/python3, which has python3-torch.
"""

import argparse
import json
import os
import time

import numpy as np
import torch

import clip_reference


def time_runs(runs, body):
    """Seconds per call of `body` over `runs` calls, after one warm-up call."""
    body()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        body()
        seconds.append(time.perf_counter() - start)
    return seconds


def peak_rss_kib():
    """VmHWM of this process from /proc/self/status, in KiB."""
    with open("/proc/self/status") as file:
        for line in file:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("/proc/self/status has no VmHWM line")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="folder with config.json and model.safetensors")
    parser.add_argument("--pixels", required=True, help="raw float32 file of [16, 3, size, size] images")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads value")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure")
    parser.add_argument("--embeddings-out", help="folder to write raw float32 embeddings to")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    load_start = time.perf_counter()
    vision, text = clip_reference.load_towers(args.model)
    load_seconds = time.perf_counter() - load_start

    with open(os.path.join(args.model, "config.json")) as file:
        size = json.load(file)["vision_config"]["image_size"]
    pixels = torch.from_numpy(np.fromfile(args.pixels, dtype=np.float32).reshape(-1, 3, size, size))
    if pixels.shape[0] < 16:
        raise SystemExit(f"torch_bench: --pixels {args.pixels} contains {pixels.shape[0]} images, expected 16")
    ids = clip_reference.benchmark_text_ids()

    figures = {}
    with torch.inference_mode():
        for batch in (1, 16):
            images = pixels[:batch].contiguous()
            if args.embeddings_out:
                vision(images).numpy().tofile(
                    os.path.join(args.embeddings_out, f"image_embeds_b{batch}.f32"))
            calls = max(1, 16 // batch)

            def run_images():
                for _ in range(calls):
                    vision(images)

            seconds = time_runs(args.runs, run_images)
            figures[f"images_b{batch}"] = [calls * batch / s for s in seconds]

        if args.embeddings_out:
            text(ids).numpy().tofile(os.path.join(args.embeddings_out, "text_embeds_b1.f32"))

        def run_text():
            for _ in range(20):
                text(ids)

        figures["text_ms"] = [s * 1e3 / 20 for s in time_runs(args.runs, run_text)]

    print(json.dumps({"engine": "pytorch", "version": torch.__version__, "threads": args.threads,
                      "load_s": load_seconds, "figures": figures, "vmhwm_kib": peak_rss_kib()}))


if __name__ == "__main__":
    main()
