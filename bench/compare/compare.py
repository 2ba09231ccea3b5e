"""Compare msearch's inference engine with PyTorch and ONNX Runtime.

All three run the same random-weight CLIP ViT-B/32 checkpoint on the same
inputs at the same thread count:
- msearch: bench/inference_bench of a Release build (--build);
- PyTorch: torch_bench.py, the reference model of clip_reference.py;
- ONNX Runtime: ort_bench.js (onnxruntime-node) on the export of that model.

Each engine runs in its own process, in turn, over --rounds rounds, and the
order rotates every round so that all three see the same background load.
A ratio is computed within each round and the table reports the median over
rounds. The first round also writes every engine's embeddings and checks them
against PyTorch's (maximum absolute difference). Peak RSS is the ru_maxrss
that wait4 returns for each process.

Run with Debian's /usr/bin/python3 (it needs numpy); run.sh sets it up.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import clip_reference

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINES = ("msearch", "pytorch", "onnxruntime")
FIGURES = ("images_b1", "images_b16", "text_ms")
TOLERANCE = 1e-4  # maximum absolute difference of raw embeddings accepted as the same computation

# inference_bench row names, mapped to the figure names of the other two programs.
ENGINE_ROWS = {
    "images, batch 1": "images_b1",
    "images, batch 16": "images_b16",
    "text latency, 12 tokens": "text_ms",
    "vision GFLOP/s, batch 16": "gflops_b16",
    "vision GFLOP/s, batch 1": "gflops_b1",
}


def run_process(command, env=None):
    """Run `command`; return its stdout, exit status, peak RSS in KiB and wall time in seconds.

    A failed process is not an error here: run_engine checks that its output
    contains every figure.
    """
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return output, process.returncode, usage.ru_maxrss, time.perf_counter() - started


def parse_engine_output(output):
    """Parse the median of each figure from inference_bench's table (name in the first 44 columns)."""
    figures = {}
    for line in output.splitlines():
        name = line[:44].strip()
        if name.startswith("peak sgemm") or name.startswith("peak packed GEMM"):
            threads = name.split(",")[1].split()[0]
            kind = "sgemm" if name.startswith("peak sgemm") else "packed"
            figures[f"peak_{kind}_{threads}t"] = float(line[44:].split()[0])
        elif name in ENGINE_ROWS:
            figures[ENGINE_ROWS[name]] = float(line[44:].split()[0])
    return figures


def make_inputs(args, work):
    """Write the checkpoint, the input pixels and the ONNX export under `work` unless present."""
    model = os.path.join(work, "clip-vit-b32")
    if not os.path.exists(os.path.join(model, "model.safetensors")):
        tool = os.path.join(args.build, "src/inference/msearch_make_checkpoint")
        subprocess.run([tool, "--preset", "clip-vit-b32", "--output", model], check=True)
    pixels = os.path.join(work, "pixels.f32")
    if not os.path.exists(pixels):
        with open(os.path.join(model, "config.json")) as file:
            size = json.load(file)["vision_config"]["image_size"]
        # Standard normal values, roughly what CLIP's per-channel normalisation produces.
        generator = np.random.default_rng(7)
        generator.standard_normal((16, 3, size, size), dtype=np.float32).tofile(pixels)
    onnx_dir = os.path.join(work, "onnx")
    if not os.path.exists(os.path.join(onnx_dir, "text.onnx")):
        subprocess.run([sys.executable, os.path.join(HERE, "export_onnx.py"), "--model", model,
                        "--output", onnx_dir], check=True)
    return model, pixels, onnx_dir


def engine_command(engine, args, model, pixels, onnx_dir, embeddings_out):
    """Build the command line and environment that run `engine` once."""
    env = dict(os.environ)
    if engine == "msearch":
        command = [os.path.join(args.build, "bench/inference_bench"), "--model", model,
                   "--threads", str(args.threads), "--runs", str(args.runs), "--pixels", pixels]
    elif engine == "pytorch":
        command = [sys.executable, os.path.join(HERE, "torch_bench.py"), "--model", model,
                   "--threads", str(args.threads), "--runs", str(args.runs), "--pixels", pixels]
        # GNU OpenMP threads spin while they wait for work. On a 2-core machine
        # at load average 10 that made one PyTorch text 7 times slower (908
        # against 125 ms).
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    else:
        command = ["node", os.path.join(HERE, "ort_bench.js"), "--onnx-dir", onnx_dir,
                   "--threads", str(args.threads), "--runs", str(args.runs), "--pixels", pixels,
                   "--no-spinning", "1"]
    if embeddings_out:
        os.makedirs(embeddings_out, exist_ok=True)
        command += ["--embeddings-out", embeddings_out]
    return command, env


def run_engine(engine, args, model, pixels, onnx_dir, embeddings_out, flops):
    """Run `engine` once; return its figures, exit status, peak RSS and wall time."""
    command, env = engine_command(engine, args, model, pixels, onnx_dir, embeddings_out)
    output, status, peak_kib, seconds = run_process(command, env)
    if engine == "msearch":
        figures = parse_engine_output(output)
        # inference_bench prints images/s with one decimal, GFLOP/s with three
        # significant digits or more, so the rate is derived from the latter.
        for batch in (1, 16):
            if f"gflops_b{batch}" in figures:
                figures[f"images_b{batch}"] = figures[f"gflops_b{batch}"] * 1e9 / flops
    else:
        figures = {name: statistics.median(values)
                   for name, values in json.loads(output.strip().splitlines()[-1])["figures"].items()}
    missing = [name for name in FIGURES if name not in figures]
    if missing:
        raise RuntimeError(f"{engine} exited with status {status} without the figures {missing}; "
                           f"output:\n{output}")
    return {"figures": figures, "status": status, "peak_rss_mib": peak_kib / 1024, "seconds": seconds}


def check_embeddings(work):
    """Compute the maximum absolute difference of each engine's embeddings from PyTorch's, per file."""
    differences = {}
    for name in ("image_embeds_b1.f32", "image_embeds_b16.f32", "text_embeds_b1.f32"):
        reference = np.fromfile(os.path.join(work, "embeddings", "pytorch", name), dtype=np.float32)
        for engine in ("msearch", "onnxruntime"):
            values = np.fromfile(os.path.join(work, "embeddings", engine, name), dtype=np.float32)
            if values.shape != reference.shape:
                raise RuntimeError(f"{engine} wrote {values.size} values to {name}, "
                                   f"PyTorch {reference.size}")
            differences[f"{engine} {name}"] = float(np.abs(values - reference).max())
    return differences


def speedup(figure, engine_value, other_value):
    """Return how many times faster msearch is: a rate ratio, or the inverse ratio of latencies."""
    return other_value / engine_value if figure == "text_ms" else engine_value / other_value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True, help="Release build folder with bench/inference_bench")
    parser.add_argument("--work", default=os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                                       "msearch_compare"),
                        help="folder for the checkpoint, the ONNX files and the results")
    parser.add_argument("--threads", type=int, default=2, help="threads of every engine")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the three engines")
    parser.add_argument("--runs", type=int, default=2, help="timed runs per figure in each process")
    args = parser.parse_args()

    os.makedirs(args.work, exist_ok=True)
    model, pixels, onnx_dir = make_inputs(args, args.work)
    flops = clip_reference.flops_per_image(model)

    rounds = []
    for index in range(args.rounds):
        order = ENGINES[index % 3:] + ENGINES[:index % 3]
        load_before = os.getloadavg()[0]
        results = {}
        for engine in order:
            out = os.path.join(args.work, "embeddings", engine) if index == 0 else None
            results[engine] = run_engine(engine, args, model, pixels, onnx_dir, out, flops)
            figures = results[engine]["figures"]
            print(f"round {index + 1} {engine}: {figures['images_b1']:.2f} images/s at batch 1, "
                  f"{figures['images_b16']:.2f} at batch 16, text {figures['text_ms']:.1f} ms, "
                  f"peak RSS {results[engine]['peak_rss_mib']:.0f} MiB, exit status "
                  f"{results[engine]['status']}", flush=True)
        rounds.append({"order": order, "load_before": load_before,
                       "load_after": os.getloadavg()[0], "results": results})
        if index == 0:
            differences = check_embeddings(args.work)
            for name, value in differences.items():
                print(f"max abs difference from PyTorch, {name}: {value:.2e}", flush=True)
            if max(differences.values()) > TOLERANCE:
                raise SystemExit(f"compare: embeddings differ by more than {TOLERANCE}")

    summary = summarize(rounds, flops)
    with open(os.path.join(args.work, "results.json"), "w") as file:
        json.dump({"threads": args.threads, "runs": args.runs, "rounds": rounds,
                   "differences": differences, "summary": summary}, file, indent=1)
    print_table(summary, rounds)
    print(f"results: {os.path.join(args.work, 'results.json')}")


def summarize(rounds, flops):
    """Compute the medians over rounds of each engine's figures and of msearch's speedups."""
    summary = {}
    for figure in FIGURES:
        row = {engine: statistics.median(r["results"][engine]["figures"][figure] for r in rounds)
               for engine in ENGINES}
        for other in ("pytorch", "onnxruntime"):
            row[f"vs_{other}"] = statistics.median(
                speedup(figure, r["results"]["msearch"]["figures"][figure],
                        r["results"][other]["figures"][figure]) for r in rounds)
        summary[figure] = row
    summary["peak_rss_mib"] = {engine: statistics.median(r["results"][engine]["peak_rss_mib"]
                                                         for r in rounds) for engine in ENGINES}
    figures = [r["results"]["msearch"]["figures"] for r in rounds]

    def peak(row, prefix="peak_"):
        """Return the highest GFLOP/s of the peak rows whose key starts with `prefix` (0 if none)."""
        return max([row[key] for key in row if key.startswith(prefix)], default=0.0)

    # The machine's measured peak is the faster of OpenBLAS's sgemm and the
    # engine's packed GEMM on the same 2048^3 product in the same process.
    summary["gemm"] = {
        "peak_sgemm_gflops": statistics.median(peak(f, "peak_sgemm") for f in figures),
        "peak_packed_gflops": statistics.median(peak(f, "peak_packed") for f in figures),
        "peak_gflops": statistics.median(peak(f) for f in figures),
        "fraction_b1": statistics.median(f["gflops_b1"] / peak(f) for f in figures),
        "fraction_b16": statistics.median(f["gflops_b16"] / peak(f) for f in figures),
        "flops_per_image": flops,
    }
    return summary


def print_table(summary, rounds):
    loads = [r["load_before"] for r in rounds] + [r["load_after"] for r in rounds]
    print(f"\n{len(rounds)} rounds, 1-minute load average {min(loads):.1f} to {max(loads):.1f}")
    print(f"{'figure (median over rounds)':<30} {'msearch':>9} {'PyTorch':>9} {'ORT':>9} "
          f"{'x PyTorch':>10} {'x ORT':>7}")
    names = {"images_b1": "images/s, batch 1", "images_b16": "images/s, batch 16",
             "text_ms": "text latency, ms"}
    for figure in FIGURES:
        row = summary[figure]
        print(f"{names[figure]:<30} {row['msearch']:>9.2f} {row['pytorch']:>9.2f} "
              f"{row['onnxruntime']:>9.2f} {row['vs_pytorch']:>10.2f} {row['vs_onnxruntime']:>7.2f}")
    rss = summary["peak_rss_mib"]
    print(f"{'peak RSS, MiB':<30} {rss['msearch']:>9.0f} {rss['pytorch']:>9.0f} "
          f"{rss['onnxruntime']:>9.0f}")
    gemm = summary["gemm"]
    print(f"peak GEMM {gemm['peak_gflops']:.1f} GFLOP/s (OpenBLAS sgemm "
          f"{gemm['peak_sgemm_gflops']:.1f}, msearch packed GEMM {gemm['peak_packed_gflops']:.1f}); "
          f"msearch vision tower reaches {100 * gemm['fraction_b1']:.0f} % of it at batch 1, "
          f"{100 * gemm['fraction_b16']:.0f} % at batch 16")


if __name__ == "__main__":
    main()
