#!/usr/bin/env bash
# `make bench`: Cairn's standard benchmark suite on a 2-core machine.
# Builds cairn into a temporary folder, starts `cairn serve` on a free
# localhost port with a temporary storage, waits for /readyz, then runs
#   - cairn bench search: recall@10, QPS and latency over HTTP (2 clients)
#     and in-process (1 thread), and ../shared/bench/hnswlib_ref on the same
#     data, all interleaved over BENCH_ROUNDS rounds (each round measures
#     every mode at every ef once, hnswlib_ref once); tables and plots give
#     medians with min–max, and the Cairn/hnswlib QPS ratio per round;
#   - cairn bench ingest: points/s, then from the first upsert the time
#     until every point is counted and the time until every vector is
#     indexed (its defaults: collections with a 1 s flush interval, an
#     indexing threshold of a fifth of the data and 2 segments, so indexing
#     is what is timed; BENCH_INGEST_N points, BENCH_INGEST_ROUNDS
#     interleaved rounds);
#   - cairn bench snapshot: per size, a collection indexed first (HNSW
#     graphs, m=BENCH_M), then write stall, create/download/upload-recover,
#     restore at start-up (this cairn started with --snapshot on the
#     downloaded archive, until /readyz), the first query after each
#     restore, archive size, tar -cf/-xf of the storage files;
# and stops the server. Results (JSON, Markdown, PNG/SVG) go to $BENCH_OUT;
# generated data and the compiled hnswlib_ref stay in bench/results/tmp/
# (git-ignored). Installs g++, libhnswlib-dev and python3-numpy with
# apt-get when missing; BENCH_NO_INSTALL=1 installs nothing: hnswlib_ref is
# skipped and, without numpy, the data is made by cairn bench gen.
#
# Knobs: BENCH_N (100000), BENCH_DIM (128), BENCH_QUERIES (1000),
# BENCH_GEN (python: ../shared/bench/gen_dataset.py, the shared standard
# set; go: cairn bench gen), BENCH_EFS (16,32,64,128,256), BENCH_ROUNDS (3),
# BENCH_RUNS (5, passes per sample, best kept, as hnswlib_ref does), BENCH_INGEST_N (20000),
# BENCH_INGEST_ROUNDS (1), BENCH_SNAPSHOT_SIZES (10000,50000),
# BENCH_SNAPSHOT_ROUNDS (3), BENCH_SUITE (search,ingest,snapshot),
# BENCH_OUT (bench/results), BENCH_M (16), BENCH_EFC (100),
# BENCH_TRANSPORT (http; grpc or both also search over the server's gRPC
# port, interleaved). The search table gives the server's CPU per query.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
N=${BENCH_N:-100000}
DIM=${BENCH_DIM:-128}
QUERIES=${BENCH_QUERIES:-1000}
GEN=${BENCH_GEN:-python}
EFS=${BENCH_EFS:-16,32,64,128,256}
ROUNDS=${BENCH_ROUNDS:-3}
RUNS=${BENCH_RUNS:-5}
INGEST_N=${BENCH_INGEST_N:-20000}
INGEST_ROUNDS=${BENCH_INGEST_ROUNDS:-1}
SIZES=${BENCH_SNAPSHOT_SIZES:-10000,50000}
SNAP_ROUNDS=${BENCH_SNAPSHOT_ROUNDS:-3}
SUITE=${BENCH_SUITE:-search,ingest,snapshot}
OUT=${BENCH_OUT:-bench/results}
M=${BENCH_M:-16}
EFC=${BENCH_EFC:-100}
TRANSPORT=${BENCH_TRANSPORT:-http}
TMPD=bench/results/tmp
SHARED=../shared/bench
WAIT=${BENCH_WAIT_TIMEOUT:-10m}
# Debian's python3, which python3-numpy installs numpy for.
PYTHON=/usr/bin/python3
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

# present PROBE: PROBE is a file that exists, or python:MODULE that
# $PYTHON (gen_dataset.py's interpreter) can import.
present() {
	case "$1" in
	python:*) "$PYTHON" -c "import ${1#python:}" 2>/dev/null ;;
	*) [ -e "$1" ] ;;
	esac
}

# ensure_debs installs the Debian packages whose probe is not present:
# ensure_debs PROBE PACKAGE [PROBE PACKAGE ...]. With BENCH_NO_INSTALL=1 it
# only reports what is missing and returns 1. Otherwise it installs them
# and checks every probe again: the script stops with a message naming
# what is still missing (a failed apt-get, another layout).
ensure_debs() {
	local probes=("$@") missing=()
	while [ $# -gt 0 ]; do
		present "$1" || missing+=("$2")
		shift 2
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	if [ "${BENCH_NO_INSTALL:-0}" = 1 ]; then
		log "missing ${missing[*]} (BENCH_NO_INSTALL=1)"
		return 1
	fi
	log "installing ${missing[*]} (Debian packages)"
	local sudo_cmd=""
	[ "$(id -u)" = 0 ] || sudo_cmd="sudo"
	$sudo_cmd apt-get update -qq || log "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null ||
		log "apt-get install ${missing[*]} failed"
	set -- "${probes[@]}"
	local still=()
	while [ $# -gt 0 ]; do
		present "$1" || still+=("$1 (package $2)")
		shift 2
	done
	if [ ${#still[@]} -gt 0 ]; then
		log "still missing after apt-get: ${still[*]}; install them by hand or run with BENCH_NO_INSTALL=1"
		exit 1
	fi
}

# gen_data DIR N: the data set of N × DIM L2 vectors and QUERIES queries,
# made by gen_dataset.py (BENCH_GEN=python) or cairn bench gen (go).
gen_data() {
	[ -f "$1/base.fvecs" ] && return 0
	case "$GEN" in
	python)
		log "gen_dataset.py --n $2 --dim $DIM into $1"
		"$PYTHON" "$SHARED/gen_dataset.py" --out "$1.tmp" --n "$2" --dim "$DIM" --queries "$QUERIES" >&2
		rm -rf "$1" && mv "$1.tmp" "$1"
		;;
	go) "$CAIRN" bench gen -data "$1" -n "$2" -dim "$DIM" -queries "$QUERIES" -metric l2 >&2 ;;
	*) log "BENCH_GEN=$GEN: want python or go" && return 1 ;;
	esac
}

mkdir -p "$OUT" "$TMPD"
t_start=$(date +%s)
# gen_dataset.py needs numpy; without it and without installing, the Go
# generator makes the data (same mixture, other random streams).
if [ "$GEN" = python ] && { has search || has ingest; } &&
	! ensure_debs python:numpy python3-numpy; then
	log "no numpy: BENCH_GEN=go (cairn bench gen) instead"
	GEN=go
fi
log "building cairn"
$GO build -o "$work/cairn" ./cmd/cairn
CAIRN="$work/cairn"
DATA=$TMPD/data-$GEN-${N}x${DIM}-l2-q${QUERIES}
has search && gen_data "$DATA" "$N"
INGEST_DATA=$TMPD/data-$GEN-${INGEST_N}x${DIM}-l2-q${QUERIES}
has ingest && gen_data "$INGEST_DATA" "$INGEST_N"

# The reference: hnswlib_ref compiled for this CPU, run by cairn bench
# search once per round between Cairn's measurements.
ref_args=()
if has search; then
	if ensure_debs /usr/bin/g++ g++ /usr/include/hnswlib/hnswlib.h libhnswlib-dev; then
		ref_bin=$TMPD/hnswlib_ref
		if [ ! -x "$ref_bin" ] || [ "$SHARED/hnswlib_ref.cpp" -nt "$ref_bin" ]; then
			log "compiling hnswlib_ref"
			g++ -O3 -march=native -pthread "$SHARED/hnswlib_ref.cpp" -o "$ref_bin"
		fi
		ref_args=(-hnswlib-bin "$ref_bin")
	else
		log "hnswlib_ref skipped"
	fi
fi

PORT=$(free_port)
GRPC_PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
log "starting cairn serve on $URL, gRPC on port $GRPC_PORT (storage $work/storage)"
"$CAIRN" serve --host 127.0.0.1 --http-port "$PORT" --grpc-port "$GRPC_PORT" --storage-path "$work/storage" \
	--snapshots-path "$work/snapshots" >"$work/server.log" 2>&1 &
server_pid=$!
wait_ready

if has search; then
	"$CAIRN" bench search -url "$URL" -collection bench-search -data "$DATA" -k 10 -m "$M" -ef-construct "$EFC" \
		-efs "$EFS" -clients 2 -rounds "$ROUNDS" -runs "$RUNS" -inprocess \
		-transport "$TRANSPORT" -grpc-addr "127.0.0.1:$GRPC_PORT" -server-pid "$server_pid" \
		-wait-timeout "$WAIT" -keep "${ref_args[@]}" -out "$OUT" | tee "$OUT/search.md"
	curl -s "$URL/collections/bench-search" >"$OUT/search-collection.json"
	curl -s -X DELETE "$URL/collections/bench-search" >/dev/null
	log "search done at $(($(date +%s) - t_start)) s"
fi
if has ingest; then
	"$CAIRN" bench ingest -url "$URL" -collection bench-ingest -data "$INGEST_DATA" -m "$M" -ef-construct "$EFC" \
		-batches 256,1024 -waits false,true -rounds "$INGEST_ROUNDS" \
		-wait-timeout "$WAIT" -out "$OUT" | tee "$OUT/ingest.md"
	log "ingest done at $(($(date +%s) - t_start)) s"
fi
if has snapshot; then
	"$CAIRN" bench snapshot -url "$URL" -collection bench-snapshot -sizes "$SIZES" -dim "$DIM" -m "$M" -ef-construct "$EFC" \
		-rounds "$SNAP_ROUNDS" -baseline 1s -wait-timeout "$WAIT" -index-timeout "$WAIT" -storage-path "$work/storage" \
		-cairn-bin "$CAIRN" -out "$OUT" | tee "$OUT/snapshot.md"
	log "snapshot done at $(($(date +%s) - t_start)) s"
fi
log "results in $OUT after $(($(date +%s) - t_start)) s"
