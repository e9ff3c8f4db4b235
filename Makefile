# Sigma's front door. `make demo` and `make test` work on a fresh Debian
# machine: they install what is missing (scripts/install-deps.sh), build,
# and run. The build is incremental; LLVM builds are slow, so keep it.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
SIGMA := $(BUILD)/bin/sigma
DEMO_DIR := $(BUILD)/demo

.PHONY: all deps build demo test test-sanitize test-tsan bench bench-w5-seeds check-peers fuzz clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@echo "== Training the seed network (2-3-1 tanh, XOR, L1+L2, SGD) =="
	$(SIGMA) train
	@mkdir -p $(DEMO_DIR)
	$(SIGMA) inspect --emit forward > $(DEMO_DIR)/1-forward.sg
	$(SIGMA) inspect --emit graph > $(DEMO_DIR)/2-training-step.sg
	$(SIGMA) inspect --emit loop > $(DEMO_DIR)/3-loops.sl
	$(SIGMA) inspect --emit llvm > $(DEMO_DIR)/4-step.ll
	$(SIGMA) inspect --emit asm > $(DEMO_DIR)/5-step.s
	@echo "== Every stage of the seed network's training step is in $(DEMO_DIR)/ =="
	@ls -1 $(DEMO_DIR)
	@echo "== W5: Fashion-MNIST, 784-512-256-10 ReLU MLP, Adam lr 1e-3, L2 1e-5 + L1 1e-6, 10 epochs =="
	$(SIGMA) train --model mlp:784-512-256-10 --act relu --data fashion-mnist --epochs 10 --batch 128 \
	  --optimizer adam --lr 1e-3 --l2 1e-5 --l1 1e-6 --seed 1 --out $(DEMO_DIR)/fmnist

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer
# (and LeakSanitizer), in build-sanitize/ at -O1; the stress tests of
# concurrent compiled steps under ThreadSanitizer, in build-tsan/.
# scripts/sanitize.sh says what is and is not instrumented.
test-sanitize: deps
	JOBS=$(JOBS) scripts/sanitize.sh address

test-tsan: deps
	JOBS=$(JOBS) scripts/sanitize.sh thread

# sigma-bench (benchmarks/): machine limits, the matmuls, W1 to W5 and their
# peers, 5 repetitions, medians; the report (benchmarks/RESULTS.md) says how
# to read it.
bench: build
	python3 scripts/bench-report.py --bench $(BUILD)/bin/sigma-bench --output benchmarks/RESULTS.md \
	  --save-json $(BUILD)/bench.json
	@cat benchmarks/RESULTS.md

# W5 from seeds 1 to 5, Sigma and libtorch on one thread (~4 minutes): the
# spread of the test accuracy over seeds, in benchmarks/RESULTS-W5-seeds.md.
bench-w5-seeds: build
	python3 scripts/bench-report.py --bench $(BUILD)/bin/sigma-bench --output benchmarks/RESULTS-W5-seeds.md \
	  --save-json $(BUILD)/bench-w5-seeds.json \
	  -- --w5_seeds=2,3,4,5 '--benchmark_filter=^W5/(sigma_fit|libtorch_eager)(/seed:[0-9]+)?/'
	@cat benchmarks/RESULTS-W5-seeds.md

# sigma-bench's peers against the ../shared/peers programs they follow, on this
# machine (built out of tree in $(BUILD)/peers): benchmarks/PEERS-CHECK.md.
check-peers: build
	@scripts/install-deps.sh --peers
	python3 scripts/check-peers.py --build-dir $(BUILD)/peers --bench $(BUILD)/bin/sigma-bench \
	  --output benchmarks/PEERS-CHECK.md
	@cat benchmarks/PEERS-CHECK.md

clean:
	rm -rf $(BUILD)

# The IR-parser fuzzer (libFuzzer + ASan/UBSan through clang), for a bounded time.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps.sh --fuzz
	scripts/fuzz.sh $(FUZZ_SECONDS)
