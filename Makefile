# Cairn — build, run and test. `make run` and `make test` are the quick start.
GO        ?= go
BIN       := bin/cairn
PKGS      := ./...
# -race needs cgo; the race detector is used wherever it is available.
RACE      ?= -race

.PHONY: all build run test test-unit test-race test-purego test-arm64 test-adversarial test-grpc test-dashboard lint bench fuzz clean versitygw

all: build

build:
	$(GO) build -o $(BIN) ./cmd/cairn

run: build
	./$(BIN) serve

# The whole suite: unit and integration tests under the race detector, the
# kernels once more with the portable build, the arm64 kernels executed
# under qemu-user, the JS client, issue 21's adversarial cases, the
# official Go client over gRPC and the dashboard in headless Chromium.
test: test-race test-purego test-arm64 test-js test-adversarial test-grpc test-dashboard

test-unit:
	$(GO) test $(PKGS)

test-race: versitygw
	$(GO) test $(RACE) -timeout 15m $(PKGS)

# The S3 server the objstore and snapshot integration tests start on
# loopback (github.com/versity/versitygw, Apache-2.0), installed into ./bin
# when missing. Tests look for it at $$CAIRN_VERSITYGW, then bin/, then PATH.
VERSITYGW_VERSION ?= v1.8.0
versitygw: bin/versitygw

bin/versitygw:
	GOBIN=$(CURDIR)/bin $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

test-purego:
	$(GO) test -tags purego -count=1 ./simd/...

test-arm64:
	scripts/test-arm64.sh

# Issue 21's adversarial cases rerun against a real bin/cairn serve, one
# server per case on a loopback port (tests/adversarial; about 35 s once
# every case passes, the 30 s stalled-download case in parallel with the
# others). The disk-full cases mount small tmpfs folders and are skipped
# where mounting is not permitted (run as root).
test-adversarial: build
	$(GO) test -count=1 -timeout 10m ./tests/adversarial -cairn-bin $(CURDIR)/$(BIN)

# The official Qdrant Go client (github.com/qdrant/go-client, gRPC only)
# against a real bin/cairn serve, one server per test on loopback ports
# (tests/grpc; well under a minute).
test-grpc: build
	$(GO) test -count=1 -timeout 10m ./tests/grpc -cairn-bin $(CURDIR)/$(BIN)

lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# The standard suite (scripts/bench.sh): search on 100,000 × 128 with
# hnswlib_ref interleaved, 3 rounds; ingest on 20,000; snapshots at 10,000
# and 50,000 (indexed, m=16), restore at start-up included.
bench:
	GO=$(GO) scripts/bench.sh

# The long suite into bench/results/full: search on 100,000 × 128, 5 rounds;
# ingest on 100,000; snapshots at 10,000, 100,000 and 1,000,000 points (m=16).
.PHONY: bench-full
bench-full:
	GO=$(GO) BENCH_OUT=$${BENCH_OUT:-bench/results/full} BENCH_ROUNDS=$${BENCH_ROUNDS:-5} \
		BENCH_INGEST_N=$${BENCH_INGEST_N:-100000} BENCH_SNAPSHOT_SIZES=$${BENCH_SNAPSHOT_SIZES:-10000,100000,1000000} \
		BENCH_WAIT_TIMEOUT=$${BENCH_WAIT_TIMEOUT:-60m} scripts/bench.sh

FUZZTIME ?= 20s
fuzz:
	scripts/fuzz-all.sh $(FUZZTIME)

clean:
	rm -rf bin

# The official Qdrant JavaScript client (pinned by tests/js/package-lock.json)
# against a real bin/cairn.
test-js: build versitygw
	cd tests/js && npm ci --no-audit --no-fund && node --test

# The web dashboard (/dashboard) end to end in headless Chromium (Debian's
# chromium, installed when missing; playwright-core pinned by
# tests/dashboard/package-lock.json) against a real bin/cairn. Screenshots
# of each page land in tests/dashboard/screenshots/ (ignored by git).
test-dashboard: build
	scripts/test-dashboard.sh
