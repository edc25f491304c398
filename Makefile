# dpskmigrate — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

TEMPORAL_CLI_VERSION := v1.5.1
BIN      := $(CURDIR)/bin
TEMPORAL := $(BIN)/temporal
GO       ?= go
FUZZTIME ?= 10s
# Where tests find the pinned Temporal CLI (the e2e suite starts its dev server).
export DPSKMIGRATE_TEMPORAL_CLI := $(TEMPORAL)

.PHONY: all build test unit fuzz lint bench demo dev temporal histories clean

all: build

## build: compile every binary into bin/
build:
	$(GO) build -o $(BIN)/ ./cmd/...

## temporal: the pinned Temporal CLI (dev server + UI), built once from the Go module proxy
temporal: $(TEMPORAL)
$(TEMPORAL):
	@echo "Building the Temporal CLI $(TEMPORAL_CLI_VERSION) into bin/ (a few minutes, once)..."
	GOBIN=$(BIN) $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

## test: lint, every test with the race detector (end to end on a real dev server), brief fuzzing
test: $(TEMPORAL) lint unit fuzz

unit:
	$(GO) test -race -count=1 -timeout 45m -parallel 4 ./...

fuzz:
	@for target in $$($(GO) test ./cloudpath -list '^Fuzz' | grep '^Fuzz'); do \
		echo "fuzz $$target for $(FUZZTIME)"; \
		$(GO) test ./cloudpath -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) || exit 1; \
	done

## lint: gofmt and go vet
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...

## bench: Go benchmarks, then the migration benchmark on the full stack (prints ratios, writes bench/results.json)
## (BENCH_FLAGS="-quick -only shapes" picks scenarios and sizes; see README "Performance")
BENCH_FLAGS ?=
bench: $(TEMPORAL)
	$(GO) test ./cloudpath ./r1client/... -run '^$$' -bench . -benchmem
	$(GO) run ./bench $(BENCH_FLAGS)

## demo: dev server + simulator + worker, migrate the sample export with live progress, then stop everything
demo: $(TEMPORAL) build
	@bash scripts/stack.sh demo

## dev: the same stack, left running for you (Ctrl-C stops it)
dev: $(TEMPORAL) build
	@bash scripts/stack.sh dev

## histories: re-record the replay-test histories from real runs on a dev server
histories: $(TEMPORAL)
	DPSKMIGRATE_RECORD_HISTORIES=1 $(GO) test ./e2e -run TestRecordHistories -count=1 -v

clean:
	rm -rf $(BIN) var
