# phasegen: plan, render and promote the launch phases of an Argo CD workload.
GO        ?= go
BIN       ?= bin/phasegen
FUZZTIME  ?= 60s
SCRATCH   ?= $(CURDIR)/.demo

.PHONY: build test test-kube test-argocd demo fuzz lint lint-actions bench clean

build:
	$(GO) build -o $(BIN) ./cmd/phasegen

# The test command CI runs: vet, the whole suite under the race detector
# (seed fuzz corpora included), the overlays of both shipped examples
# checked against their configs, then the kube-apiserver module and the
# real-Argo-CD module. RACE= runs it without the race detector.
RACE ?= -race
test: lint
	$(GO) test $(RACE) -count=1 ./...
	$(GO) run ./cmd/phasegen check
	cd examples/store && $(GO) run ../../cmd/phasegen check
	$(MAKE) --no-print-directory test-kube
	$(MAKE) --no-print-directory test-argocd

# test/kube, a module of its own (k8s.io/kubernetes stays out of phasegen's
# graph): a real kube-apiserver over embedded etcd in the test binary
# validates every built object, every promotion and every gate. Not under
# the race detector: the server is Kubernetes' code, phasegen runs as a
# command. Its cold compile is the longest step of the suite (see
# docs/development.md); the Go build cache keeps it for later runs.
test-kube:
	cd test/kube && $(GO) vet ./... && $(GO) test -count=1 ./...

# test/argocd, a module of its own: Argo CD itself (API server,
# application controller, repo-server; built once per version from the Go
# module proxy with Go 1.27, in test/argocd/argocdbin, into the user's
# cache folder) with redis-server, against a kube-apiserver running
# Kubernetes' own workload, HPA and disruption controllers. Needs
# redis-server and git. See docs/development.md for its cold and warm times.
test-argocd:
	cd test/argocd && $(GO) vet ./... && $(GO) test -count=1 -timeout 30m ./...

lint:
	@fmt=$$(gofmt -l cmd internal templates test); if [ -n "$$fmt" ]; then echo "gofmt needed: $$fmt"; exit 1; fi
	$(GO) vet ./...
	$(MAKE) --no-print-directory lint-actions

# actionlint (pinned by go.mod's tool directive) on .github/workflows, which
# also reads the metadata of the local action they use
# (.github/actions/phasegen/action.yml); then on an example workflow that
# passes the action an input it does not declare, which it must reject, so
# a moved or unreadable action.yml cannot pass unnoticed. A cold build of
# actionlint takes about 25 s on 2 cores, once per build cache.
BROKEN_WORKFLOW = .github/actions/phasegen/testdata/broken-workflow.yml
APP_WORKFLOW = .github/actions/phasegen/testdata/app-workflow.yml
MONOREPO_WORKFLOW = .github/actions/phasegen/testdata/monorepo-workflow.yml
lint-actions:
	$(GO) tool actionlint
	$(GO) tool actionlint $(APP_WORKFLOW) $(MONOREPO_WORKFLOW)
	@out=$$($(GO) tool actionlint -no-color $(BROKEN_WORKFLOW) 2>&1); \
	if printf '%s\n' "$$out" | grep -q 'input "fail-on-gates" is not defined in action "phasegen review"'; then \
		echo "actionlint rejects $(BROKEN_WORKFLOW), as it must"; \
	else \
		echo "actionlint did not reject $(BROKEN_WORKFLOW) for its undeclared input: is .github/actions/phasegen/action.yml still read?"; \
		printf '%s\n' "$$out"; exit 1; \
	fi

# Each fuzz target for FUZZTIME, one after another. A crasher is written to
# the package's testdata/fuzz/ and, committed, runs in `make test` from then on.
FUZZ_TARGETS = \
	internal/config:FuzzLoad \
	internal/overlay:FuzzRender \
	internal/promote:FuzzEditPhase \
	internal/tune:FuzzEditFile \
	internal/printer:FuzzMarshal \
	internal/printer:FuzzPrinter \
	internal/kbuild:FuzzNodeObject

# Every fuzz target of the tree: a new one not listed above fails here.
fuzz:
	@have=$$(grep -rl --include='*_test.go' '^func Fuzz' internal | xargs grep -ho '^func Fuzz[A-Za-z0-9_]*' | sed 's/^func //' | sort); \
	want=$$(printf '%s\n' $(FUZZ_TARGETS) | sed 's/.*://' | sort); \
	if [ "$$have" != "$$want" ]; then echo "FUZZ_TARGETS is not every fuzz target: have $$have, listed $$want"; exit 1; fi
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "$(GO) test ./$$pkg -run '^$$' -fuzz '^$$fn$$' -fuzztime $(FUZZTIME)"; \
		$(GO) test ./$$pkg -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) || exit 1; \
	done

# Benchmarks, never part of test: load, render, build and check at 1, 100
# and 1,000 environments (ms/env), then phasegen build against stock
# kustomize per overlay on N synthetic environments (default 1000).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	N=$(or $(N),1000) GO=$(GO) scripts/bench-vs-kustomize.sh

demo: build
	@scripts/demo.sh $(BIN) $(SCRATCH)

clean:
	rm -rf bin .demo
