#!/usr/bin/env bash
# `make bench`: Cairn's short standard benchmark suite, a few minutes on a
# 2-core machine. Builds cairn into a temporary folder, starts `cairn serve`
# on a free localhost port with a temporary storage, waits for /readyz, then
# runs
#   - hnswlib_ref (../shared/bench) on the same data when g++ and the
#     hnswlib headers are present, as the reference curve;
#   - cairn bench search: recall@10, QPS and latency over HTTP and in-process;
#   - cairn bench ingest: points/s and time until indexed;
#   - cairn bench snapshot: write stall, create/download/upload-recover, tar;
# and stops the server. Results (JSON, Markdown, PNG/SVG) go to $BENCH_OUT
# (bench/results); the generated data is cached in bench/results/tmp/.
#
# Knobs: BENCH_N (20000), BENCH_DIM (128), BENCH_QUERIES (1000),
# BENCH_EFS (16,32,64,128), BENCH_SNAPSHOT_SIZES (5000,20000),
# BENCH_SUITE (search,ingest,snapshot), BENCH_OUT (bench/results).
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
N=${BENCH_N:-20000}
DIM=${BENCH_DIM:-128}
QUERIES=${BENCH_QUERIES:-1000}
EFS=${BENCH_EFS:-16,32,64,128}
SIZES=${BENCH_SNAPSHOT_SIZES:-5000,20000}
SUITE=${BENCH_SUITE:-search,ingest,snapshot}
OUT=${BENCH_OUT:-bench/results}
DATA=bench/results/tmp/data-${N}x${DIM}-l2-q${QUERIES}
# indexing_threshold in kB of vectors: a fifth of the data set, so every
# segment the server seals or merges from the upload gets its HNSW graph
# (2,000 kB = 4,000 points of 128-d for the standard set).
THRESHOLD_KB=$((N * DIM * 4 / 1024 / 5))
[ "$THRESHOLD_KB" -ge 1 ] || THRESHOLD_KB=1
WAIT=${BENCH_WAIT_TIMEOUT:-3m}

work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench.XXXXXX")
server_pid=""
cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench.sh: $*" >&2; }

# free_port prints a localhost TCP port nobody listens on.
free_port() {
	local p
	for _ in $(seq 1 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	log "no free port found"
	return 1
}

# wait_ready polls /readyz until it answers 200 (30 s at most).
wait_ready() {
	for _ in $(seq 1 300); do
		if ! kill -0 "$server_pid" 2>/dev/null; then
			log "server exited; its log:"
			cat "$work/server.log" >&2
			return 1
		fi
		if [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz")" = 200 ]; then
			return 0
		fi
		sleep 0.1
	done
	log "server not ready after 30 s; its log:"
	cat "$work/server.log" >&2
	return 1
}

has() { case ",$SUITE," in *",$1,"*) return 0 ;; esac; return 1; }

mkdir -p "$OUT" "$(dirname "$DATA")"
log "building cairn"
$GO build -o "$work/cairn" ./cmd/cairn
CAIRN="$work/cairn"

if [ ! -f "$DATA/base.fvecs" ]; then
	"$CAIRN" bench gen -data "$DATA" -n "$N" -dim "$DIM" -queries "$QUERIES" -metric l2
fi

# The reference: hnswlib on the same data, in the same session.
ref_args=()
if has search && command -v g++ >/dev/null && [ -f /usr/include/hnswlib/hnswlib.h ]; then
	ref_bin=bench/results/tmp/hnswlib_ref
	if [ ! -x "$ref_bin" ] || [ ../shared/bench/hnswlib_ref.cpp -nt "$ref_bin" ]; then
		log "compiling hnswlib_ref"
		g++ -O3 -march=native -pthread ../shared/bench/hnswlib_ref.cpp -o "$ref_bin"
	fi
	log "hnswlib_ref on $DATA"
	"$ref_bin" "$DATA" l2 16 100 >"$OUT/hnswlib-ref.json"
	ref_args=(-hnswlib "$OUT/hnswlib-ref.json")
else
	log "hnswlib_ref skipped (needs g++ and libhnswlib-dev)"
fi

PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
log "starting cairn serve on $URL (storage $work/storage)"
"$CAIRN" serve --host 127.0.0.1 --http-port "$PORT" --storage-path "$work/storage" \
	--snapshots-path "$work/snapshots" >"$work/server.log" 2>&1 &
server_pid=$!
wait_ready

if has search; then
	"$CAIRN" bench search -url "$URL" -collection bench-search -data "$DATA" -k 10 \
		-efs "$EFS" -clients 2 -runs 3 -inprocess -indexing-threshold "$THRESHOLD_KB" -wait-timeout "$WAIT" -keep \
		"${ref_args[@]}" -out "$OUT" | tee "$OUT/search.md"
	curl -s "$URL/collections/bench-search" >"$OUT/search-collection.json"
	curl -s -X DELETE "$URL/collections/bench-search" >/dev/null
fi
if has ingest; then
	"$CAIRN" bench ingest -url "$URL" -collection bench-ingest -data "$DATA" \
		-batches 256,1024 -waits false,true -indexing-threshold "$THRESHOLD_KB" -wait-timeout "$WAIT" -out "$OUT" | tee "$OUT/ingest.md"
fi
if has snapshot; then
	"$CAIRN" bench snapshot -url "$URL" -collection bench-snapshot -sizes "$SIZES" -dim "$DIM" \
		-baseline 1s -wait-timeout "$WAIT" -storage-path "$work/storage" -out "$OUT" | tee "$OUT/snapshot.md"
fi
log "results in $OUT"
