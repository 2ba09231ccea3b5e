#!/usr/bin/env bash
# Measures text search through the REST API over a large vector index.
# The script builds a random-weight CLIP ViT-B/32 checkpoint and fills a
# fresh catalog with placeholder files and one 512-d vector each
# (bench/search_seed). It starts `msearch serve` on them, waits until the
# vector index is open, then runs wrk with a POST /api/v1/search/text
# request under 1 and 8 concurrent connections. Every request encodes the
# query text with the model, so the figures include the text encoder, the
# index search, the catalog lookups and the JSON response.
#
# Usage: bench/search_api.sh [--count N] [--duration SECONDS] [--build DIR]
#                            [--shared DIR] [--query TEXT] [--keep]
#   --count     vectors in the index (default 100000)
#   --duration  seconds per wrk run (default 30)
#   --build     build folder with msearch, search_seed and
#               msearch_make_checkpoint (default build-bench)
#   --shared    folder with fixtures/models/clip, whose tokenizer files the
#               checkpoint uses (default $MSEARCH_SHARED_DIR, else ../shared)
#   --query     the query text (plain ASCII without quotes)
#   --keep      keep the scratch folder
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
count=100000
duration=30
build="$root/build-bench"
shared="${MSEARCH_SHARED_DIR:-$root/../shared}"
query="boats in the harbour at dawn"
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --count) count="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --shared) shared="$2"; shift 2 ;;
    --query) query="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "search_api.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

for tool in "$build/src/cli/msearch" "$build/bench/search_seed" \
            "$build/src/inference/msearch_make_checkpoint"; do
  if [[ ! -x "$tool" ]]; then
    echo "search_api.sh: '$tool' is missing; build it first (cmake --build $build)" >&2
    exit 2
  fi
done
if [[ ! -f "$shared/fixtures/models/clip/vocab.json" ]]; then
  echo "search_api.sh: no tokenizer files in '$shared/fixtures/models/clip'; pass --shared" >&2
  exit 2
fi
command -v wrk > /dev/null || { echo "search_api.sh: wrk is not installed" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/msearch-search-api.XXXXXX")
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2> /dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" || true
  fi
  if [[ $keep -eq 0 ]]; then rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "vectors: $count, query: \"$query\", $duration s per run"

mkdir -p "$work/media" "$work/data" "$work/models"
"$build/src/inference/msearch_make_checkpoint" --preset clip-vit-b32 \
  --output "$work/models/bench-clip" --tokenizer-from "$shared/fixtures/models/clip" > /dev/null
cat > "$work/config.yml" << EOF
processes:
  file_monitor:
    watched_dirs: ["$work/media"]
  task_worker:
    num_instances: 1
  embedding_worker:
    num_instances: 0
api:
  port: 0
  threads: 8
storage:
  data_dir: "$work/data"
logging:
  dir: "$work/logs"
models:
  dir: "$work/models"
  image: bench-clip
  text: [bench-clip]
  audio: ""
EOF

"$build/bench/search_seed" --catalog "$work/data/catalog.db" --space bench-clip \
  --count "$count" --model "$work/models/bench-clip" --near-text "$query"

started=$(date +%s.%N)
"$build/src/cli/msearch" --config "$work/config.yml" serve --quiet \
  > "$work/serve.out" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 600); do
  if [[ -f "$work/data/api.json" ]]; then
    port=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$work/data/api.json")
    [[ -n "$port" ]] && break
  fi
  sleep 0.1
done
if [[ -z "$port" ]]; then
  echo "search_api.sh: msearch serve did not start; see $work/serve.out" >&2
  keep=1
  exit 1
fi
url="http://127.0.0.1:$port"

# The index is open once /vector/stats reports every vector in it.
index_ready() {
  curl -sf "$url/api/v1/vector/stats" | python3 -c '
import json, sys
stats = json.load(sys.stdin)
sizes = [space["index"]["size"] for space in stats.get("spaces", []) if space.get("index")]
sys.exit(0 if sizes and sizes[0] == int(sys.argv[1]) else 1)' "$count"
}
index_deadline=$(( $(date +%s) + 3600 ))
until index_ready; do
  if ! kill -0 "$server_pid" 2> /dev/null; then
    echo "search_api.sh: msearch serve exited; see $work/serve.out" >&2
    keep=1
    exit 1
  fi
  if (( $(date +%s) > index_deadline )); then
    echo "search_api.sh: timed out after 3600 s waiting for the index of $count vectors;" \
      "see $work/serve.out" >&2
    keep=1
    exit 1
  fi
  sleep 2
done
echo "index open (built or loaded) $(python3 -c "print(round($(date +%s.%N) - $started, 1))") s after the start"
curl -sf "$url/api/v1/vector/stats" | python3 -c '
import json, sys
for space in json.load(sys.stdin)["spaces"]:
    index = space["index"]
    print("space %s: %d vectors, mode %s, %.0f MiB" %
          (space["space"], index["size"], index["mode"], index["memory_bytes"] / 2**20))'

body="{\"query\": \"$query\", \"top_k\": 20}"
# The first query loads the model.
curl -sf -X POST -H 'Content-Type: application/json' -d "$body" "$url/api/v1/search/text" \
  | python3 -c '
import json, sys
response = json.load(sys.stdin)
print("warm-up: %d results, search_time %.1f ms"
      % (response["total_results"], response["search_time"] * 1000))'

cat > "$work/post.lua" << EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$body'
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write +
                 summary.errors.status + summary.errors.timeout
  io.write(string.format("requests %d, errors %d, %.1f requests/s, p50 %.1f ms, p90 %.1f ms, " ..
                         "p99 %.1f ms\n", summary.requests, errors,
                         summary.requests / (summary.duration / 1e6),
                         latency:percentile(50) / 1000, latency:percentile(90) / 1000,
                         latency:percentile(99) / 1000))
end
EOF

for connections in 1 8; do
  threads=$(( connections < 2 ? 1 : 2 ))
  echo "--- $connections concurrent client(s)"
  wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 30s -s "$work/post.lua" \
    "$url/api/v1/search/text" | tail -1
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
