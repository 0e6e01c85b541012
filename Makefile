# zen-watcher — the two commands that matter are `make run` and `make test`.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO          ?= go
BIN         := $(CURDIR)/bin
K8S_BIN     := $(BIN)/k8s
TOOLS_DIR   := hack/tools
TOOLS_DEPS  := $(TOOLS_DIR)/go.mod $(TOOLS_DIR)/go.sum
K8S_VERSION := $(shell awk '$$1 == "k8s.io/kubernetes" { print $$2; exit }' $(TOOLS_DIR)/go.mod)
K8S_MINOR   := $(word 2,$(subst ., ,$(K8S_VERSION)))

CONTROLLER_GEN := $(BIN)/controller-gen
STATICCHECK    := $(BIN)/staticcheck
HELM           := $(BIN)/helm
HELM_TOOLS     := $(TOOLS_DIR)/helm
HELM_VERSION   := $(shell awk '$$1 == "helm.sh/helm/v4" { print $$2; exit }' $(HELM_TOOLS)/go.mod)
CHART          := deploy/charts/zen-watcher
KUBE_APISERVER := $(K8S_BIN)/kube-apiserver
ETCD           := $(K8S_BIN)/etcd
KUBECTL        := $(K8S_BIN)/kubectl
# promtool has a module of its own: Prometheus' dependency graph stays out of
# hack/tools' Kubernetes pins.
PROM_TOOLS_DIR := $(TOOLS_DIR)/prometheus
PROMTOOL       := $(BIN)/promtool
# Alertmanager, for the output integration tests: a module of its own too.
# Its web UI's assets are built by npm and are not in the Go module, so
# go:embed would fail: the build vendors the module and lays a UI-less
# ui/web.go over the vendored one (go build -overlay).
AM_TOOLS_DIR   := $(TOOLS_DIR)/alertmanager
AM_BUILD_DIR   := $(BIN)/.alertmanager-build
ALERTMANAGER   := $(BIN)/alertmanager
AM_VERSION     := $(shell awk '$$1 == "github.com/prometheus/alertmanager" { print $$2; exit }' $(AM_TOOLS_DIR)/go.mod)
PROMQL_NAMES   := $(BIN)/promql-names
RULES_DIR      := deploy/charts/zen-watcher/rules

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X github.com/kube-zen/zen-watcher/internal/version.Version=$(VERSION) \
            -X github.com/kube-zen/zen-watcher/internal/version.Revision=$(REVISION)
# The container image: its name, platforms, and the commit it is built from
# (every timestamp in it is the commit time, so rebuilds give the same digest).
IMAGE           ?= kube-zen/zen-watcher:$(VERSION)
IMAGE_PLATFORMS ?= linux/amd64 linux/arm64
IMAGE_LICENSES  ?= NOASSERTION
COMMIT          ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
# Stamp the real release into the control plane, which otherwise reports v0.0.0-master.
K8S_LDFLAGS := -X k8s.io/component-base/version.gitVersion=$(K8S_VERSION) \
               -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(K8S_MINOR)

# envtest finds kube-apiserver, etcd and kubectl here.
export KUBEBUILDER_ASSETS := $(K8S_BIN)

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / { printf "  %-16s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

##@ The two commands

.PHONY: run
ifeq ($(strip $(KUBECONFIG)),)
run: build devcluster ## Run zen-watcher; starts a local control plane unless KUBECONFIG is set.
	$(BIN)/devcluster -dir .run -assets $(K8S_BIN) -crds config/crd -- $(BIN)/zen-watcher
else
run: build
	$(BIN)/zen-watcher
endif

.PHONY: test
test: tools test-rules ## Unit and integration tests, with the race detector; the alert rules' promtool tests.
	$(GO) test -race -count=1 ./...

.PHONY: test-rules
test-rules: $(PROMTOOL) ## Check the chart's alert rules and run their promtool unit tests.
	$(PROMTOOL) check rules $(RULES_DIR)/zen-watcher.rules.yaml
	$(PROMTOOL) test rules $(RULES_DIR)/tests/*.yaml

.PHONY: demo
demo: ## With `make run` running, in a second terminal: apply sample tool output and list the events.
	$(GO) run ./hack/demo -kubeconfig .run/kubeconfig

##@ Development

.PHONY: build
build: ## Build bin/zen-watcher and the kubectl plugin bin/kubectl-zen.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/zen-watcher ./cmd/zen-watcher
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/kubectl-zen ./cmd/kubectl-zen

.PHONY: image
image: ## Build the container image (linux/amd64 + linux/arm64, from scratch, no Docker) into bin/image/ and bin/zen-watcher-image.tar.
	for p in $(IMAGE_PLATFORMS); do \
	  CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -trimpath -ldflags '$(LDFLAGS)' \
	    -o $(BIN)/platforms/$${p%/*}-$${p#*/}/zen-watcher ./cmd/zen-watcher; \
	done
	$(GO) run ./hack/image -ref '$(IMAGE)' -created '$(SOURCE_DATE_EPOCH)' \
	  -version '$(VERSION)' -revision '$(COMMIT)' -licenses '$(IMAGE_LICENSES)' \
	  -source "https://$$($(GO) list -m)" -ca-bundle /etc/ssl/certs/ca-certificates.crt \
	  $(foreach p,$(IMAGE_PLATFORMS),-binary $(p)=$(BIN)/platforms/$(subst /,-,$(p))/zen-watcher) \
	  -layout $(BIN)/image -archive $(BIN)/zen-watcher-image.tar

.PHONY: devcluster
devcluster: $(KUBE_APISERVER) $(ETCD) $(KUBECTL)
	$(GO) build -o $(BIN)/devcluster ./hack/devcluster

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Regenerate deepcopy code and CRDs from api/.
	$(CONTROLLER_GEN) object paths=./api/...
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:artifacts:config=config/crd
	rm -f $(CHART)/crds/*.yaml && cp config/crd/*.yaml $(CHART)/crds/

.PHONY: verify-generated
verify-generated: generate ## Fail when committed generated files are stale.
	@if [ -n "$$(git status --porcelain -- api config $(CHART)/crds)" ]; then \
	  git status --porcelain -- api config $(CHART)/crds; git diff -- api config $(CHART)/crds | head -50; \
	  echo "generated files are stale: run 'make generate' and commit"; exit 1; fi

.PHONY: lint
lint: $(STATICCHECK) ## go vet and staticcheck.
	$(GO) vet ./...
	$(STATICCHECK) ./...

.PHONY: fmt-check
fmt-check: ## Fail when a Go file is not gofmt-ed.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-ed: $$out"; exit 1; fi

##@ Tools (built from the Go module proxy; cached: a second run does nothing)

.PHONY: tools
tools: $(KUBE_APISERVER) $(ETCD) $(KUBECTL) $(CONTROLLER_GEN) $(STATICCHECK) $(HELM) $(PROMQL_NAMES) $(ALERTMANAGER) ## Build the control plane, code tools and Alertmanager.

$(KUBE_APISERVER): $(TOOLS_DEPS)
	cd $(TOOLS_DIR) && $(GO) build -ldflags '$(K8S_LDFLAGS)' -o $@ k8s.io/kubernetes/cmd/kube-apiserver
$(KUBECTL): $(TOOLS_DEPS)
	cd $(TOOLS_DIR) && $(GO) build -ldflags '$(K8S_LDFLAGS)' -o $@ k8s.io/kubernetes/cmd/kubectl
$(ETCD): $(TOOLS_DEPS) $(TOOLS_DIR)/etcd/main.go
	cd $(TOOLS_DIR) && $(GO) build -o $@ ./etcd
$(CONTROLLER_GEN): $(TOOLS_DEPS)
	cd $(TOOLS_DIR) && $(GO) build -o $@ sigs.k8s.io/controller-tools/cmd/controller-gen
$(STATICCHECK): $(TOOLS_DEPS)
	cd $(TOOLS_DIR) && $(GO) build -o $@ honnef.co/go/tools/cmd/staticcheck
$(PROMTOOL): $(PROM_TOOLS_DIR)/go.mod $(PROM_TOOLS_DIR)/go.sum
	cd $(PROM_TOOLS_DIR) && $(GO) build -o $@ github.com/prometheus/prometheus/cmd/promtool
$(PROMQL_NAMES): $(PROM_TOOLS_DIR)/go.mod $(PROM_TOOLS_DIR)/go.sum $(PROM_TOOLS_DIR)/promqlnames/main.go
	cd $(PROM_TOOLS_DIR) && $(GO) build -o $@ ./promqlnames
$(ALERTMANAGER): $(AM_TOOLS_DIR)/go.mod $(AM_TOOLS_DIR)/go.sum $(AM_TOOLS_DIR)/ui.go.overlay
	rm -rf $(AM_BUILD_DIR) && mkdir -p $(AM_BUILD_DIR)
	cp $(AM_TOOLS_DIR)/go.mod $(AM_TOOLS_DIR)/go.sum $(AM_BUILD_DIR)/
	cd $(AM_BUILD_DIR) && $(GO) mod vendor -e 2>/dev/null
	printf '{"Replace":{"%s/vendor/github.com/prometheus/alertmanager/ui/web.go":"%s"}}' \
	  $(AM_BUILD_DIR) $(CURDIR)/$(AM_TOOLS_DIR)/ui.go.overlay > $(AM_BUILD_DIR)/overlay.json
	cd $(AM_BUILD_DIR) && nice $(GO) build -mod=vendor -overlay overlay.json \
	  -ldflags '-X github.com/prometheus/common/version.Version=$(AM_VERSION:v%=%)' -o $@ github.com/prometheus/alertmanager/cmd/alertmanager
# A module of its own (see its go.mod): Helm's graph must not move the control plane's versions.
$(HELM): $(HELM_TOOLS)/go.mod $(HELM_TOOLS)/go.sum
	cd $(HELM_TOOLS) && $(GO) build -trimpath -ldflags '-s -w -X helm.sh/helm/v4/internal/version.version=$(HELM_VERSION)' -o $@ helm.sh/helm/v4/cmd/helm

.PHONY: helm-lint
helm-lint: $(HELM) ## helm lint --strict the chart, with its defaults and with every optional part on.
	$(HELM) lint --strict $(CHART)
	$(HELM) lint --strict $(CHART) -f $(CHART)/ci/all-on-values.yaml

.PHONY: clean
clean: ## Remove built binaries and local control-plane data.
	rm -rf $(BIN) .run

##@ Benchmarks

.PHONY: bench
bench: build $(KUBE_APISERVER) $(ETCD) ## The end-to-end benchmark (≤ 10 min): its own control plane, every figure beside its baseline; prints the table, writes bin/bench/results.json (docs/PERFORMANCE.md).
	$(GO) run ./hack/bench -assets $(K8S_BIN) -crds config/crd -daemon $(BIN)/zen-watcher -out $(BIN)/bench $(BENCH_FLAGS)

.PHONY: bench-scale
bench-scale: build $(KUBE_APISERVER) $(ETCD) ## How the figures scale: 1k/10k/100k stored events, 1/8/64 clients; writes bin/bench/scale.json.
	$(GO) run ./hack/bench -scale -assets $(K8S_BIN) -crds config/crd -daemon $(BIN)/zen-watcher -out $(BIN)/bench $(BENCH_FLAGS)

.PHONY: bench-go
bench-go: ## Go benchmarks of the hot paths, with allocations.
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...

.PHONY: bench-webhook
bench-webhook: tools ## Load the Falco webhook on loopback with repeat alerts (BENCH_DURATION per run, default 10s).
	$(GO) test -run '^$$' -bench WebhookLoad -benchtime 1x -v ./test/integration/

.PHONY: bench-webhook-hmac
bench-webhook-hmac: tools ## 5,000 signed Falco requests/s with new nonces for BENCH_HMAC_DURATION (default 60s); fails on any non-2xx.
	$(GO) test -run '^$$' -bench WebhookHMACSustained -benchtime 1x -timeout 20m -v ./test/integration/

.PHONY: bench-webhook-ack
bench-webhook-ack: tools ## Throughput and latency of FALCO_ACK=accepted against stored, repeats and new alerts (BENCH_DURATION per run).
	$(GO) test -run '^$$' -bench WebhookAckModes -benchtime 1x -timeout 20m -v ./test/integration/

.PHONY: bench-pipeline
bench-pipeline: tools ## Pipeline vs raw creates against a real API server (BENCH_API_QPS lifts the client limit).
	$(GO) test -run '^$$' -bench PipelineVsRawCreates -benchtime 1x ./test/integration/
