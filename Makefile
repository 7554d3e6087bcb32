# Reference data lake on AWS, as code, in Go.
#
#   make synth [PROFILE=sandbox|prod|local]   synthesize every template into cdk.out/<profile>/
#   make test                                 every check CI runs
#
# Each target installs what it needs from the repo's own files first:
# package-lock.json (npm ci), requirements.txt (.venv/), go.mod. Stamps make a
# second run skip installs when those files have not changed.

SHELL        := bash
.SHELLFLAGS  := -eu -o pipefail -c
.DEFAULT_GOAL := help

PROFILE  ?= sandbox
PROFILES := sandbox prod local
# Extra arguments for cdk deploy/diff/destroy, e.g. CDK_ARGS="-c allowDestroy=true".
CDK_ARGS ?=
# Which stacks deploy/diff/destroy act on: every one, or e.g. STACKS=Streaming.
STACKS   ?= --all
# cdk deploy asks before it widens IAM or security groups (broadening); a CI
# job has no terminal to answer, so it runs make deploy APPROVAL=never.
APPROVAL ?= broadening

VENV     := $(CURDIR)/.venv
NODE_BIN := $(CURDIR)/node_modules/.bin
# Node 22 from the node@22 npm package comes first: the CDK CLI and jsii then
# run on a supported Node whatever the machine has.
export PATH := $(NODE_BIN):$(VENV)/bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true
# Lambda bootstraps are built with fixed flags; a developer's GOFLAGS must not leak in.
export GOFLAGS := -mod=readonly

PYTHON ?= python3
CDK    := cdk
NODE_STAMP := node_modules/.install-stamp
VENV_STAMP := $(VENV)/.install-stamp
EMULATOR_STAMP := $(VENV)/.emulator-stamp
GO_STAMP   := .build/go-mod-stamp

# Iceberg's Spark runtime for the Glue job tests: the release Glue 5.0 ships
# (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-format-iceberg.html),
# from Maven Central, checked against this SHA-256.
ICEBERG_VERSION := 1.7.1
ICEBERG_JAR     := .build/jars/iceberg-spark-runtime-3.5_2.12-$(ICEBERG_VERSION).jar
ICEBERG_SHA256  := cdf7357865d8d91764e0f147a2d76bc3e1e2b8792ddc0d3be329b3d34aaf218c
# A second Iceberg reader (DuckDB with its iceberg extension, requirements-iceberg-reader.txt)
# for make e2e's lineage phase.
READER_VENV     := $(CURDIR)/.venv-iceberg-reader
READER_STAMP    := $(READER_VENV)/.install-stamp
# The detector's yardsticks (make detect-eval), also read by go test in internal/detecteval:
# GutenTAG streams from .venv-eval (requirements-eval.txt) and the TCPD series from river's wheel.
EVAL_VENV       := $(CURDIR)/.venv-eval
EVAL_STAMP      := $(EVAL_VENV)/.install-stamp
DETECT_EVAL_DIR := .build/detecteval
DETECT_SOURCES  := $(DETECT_EVAL_DIR)/gutentag/manifest.json $(DETECT_EVAL_DIR)/tcpd/manifest.json

FUZZTIME ?= 60s

# make cost: days and devices of generated telemetry (raw layouts), and of the Iceberg
# curated table loaded one hourly curate commit at a time (about 4 s a commit).
DAYS    ?= 30
DEVICES ?= 50
ICEBERG_DAYS    ?= 3
ICEBERG_DEVICES ?= 20
# make landing: the raw bucket and lake key ARN (the Storage stack's outputs RawBucketName and LakeKeyArn).
BUCKET  ?=
KMS_KEY ?=

# Flags for make local, e.g. LOCAL_ARGS="--count 1000 --malformed-fraction 0.1 --format csv --port 4566 -v"
LOCAL_ARGS ?=

.PHONY: training-set help deps cdk-deps detect-eval diagram synth synth-all test test-go lint-templates lint-asl test-glue e2e local local-status local-down bench cost landing fuzz deploy diff destroy bootstrap clean smoke protect logical-ids docs

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'
	@echo "  PROFILE=$(PROFILE) (one of: $(PROFILES)); CDK_ARGS passes -c overrides to deploy/diff/destroy; APPROVAL=never deploys without asking (CI)"

deps: $(NODE_STAMP) $(VENV_STAMP) $(GO_STAMP) ## install Node, Python and Go dependencies (skipped when up to date)

# cdk-deps is what synthesizing and deploying need: the CDK CLI on Node 22
# and the Go modules. Python (cfn-lint, pytest, pyspark, the emulator) is
# installed only by the targets that run it.
cdk-deps: $(NODE_STAMP) $(GO_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@node --version | grep -q '^v22\.' || { echo "node_modules/.bin/node is not Node 22" >&2; exit 1; }
	@# The CDK CLI ships Go init templates; a go.mod marks node_modules as another
	@# module so `go test ./...` from the repo root skips them.
	printf 'module nodemodules.invalid\n' > node_modules/go.mod
	touch $@

# One venv, installed in two steps: the emulator's packages
# (requirements-emulator.txt, about 160 MB) for make local and make e2e, and
# the test tools on top (requirements.txt: cfn-lint, pytest, pyspark; 670 MB
# in all) only for the targets that run them.
$(EMULATOR_STAMP): requirements-emulator.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-emulator.txt
	touch $@

$(VENV_STAMP): $(EMULATOR_STAMP) requirements.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(GO_STAMP): go.mod go.sum
	go mod download
	go mod verify >/dev/null
	mkdir -p $(dir $@) && touch $@

synth: cdk-deps ## synthesize PROFILE's templates into cdk.out/<PROFILE>/
	$(CDK) synth --quiet -c profile=$(PROFILE) $(CDK_ARGS) -o cdk.out/$(PROFILE)
	@ls cdk.out/$(PROFILE)/*.template.json

synth-all: cdk-deps ## synthesize every profile (sandbox, prod, local) into cdk.out/<profile>/
	@for p in $(PROFILES); do \
	  echo "synth $$p"; \
	  $(CDK) synth --quiet -c profile=$$p -o cdk.out/$$p; \
	done

test: deps test-go lint-templates lint-asl test-glue e2e ## go vet + go test, cfn-lint over every profile, asl-validator, pytest, local end-to-end
	@echo "make test: all checks passed"

test-go: deps $(DETECT_SOURCES) ## go vet and go test (templates under the compliance packs, the access test, Lambdas, harness, the detector's yardstick data)
	go vet ./...
	go test -count=1 ./...

lint-templates: synth-all $(VENV_STAMP) ## cfn-lint over the templates of every profile (.cfnlintrc.yaml)
	cfn-lint $(foreach p,$(PROFILES),cdk.out/$(p)/*.template.json)
	@echo "cfn-lint: $$(ls $(foreach p,$(PROFILES),cdk.out/$(p)/*.template.json) | wc -l) templates, no findings"

# Task resources name the partition as arn:${Partition}:states:::..., which
# asl-validator's ARN patterns refuse: each file is checked with the
# partition filled in (every other placeholder sits inside a string).
lint-asl: cdk-deps ## asl-validator over statemachines/*.asl.json
	@files=$$(ls statemachines/*.asl.json 2>/dev/null || true); \
	if [ -z "$$files" ]; then echo "asl-validator: no state machines yet"; else \
	  mkdir -p .build/asl; for f in $$files; do sed 's/$${Partition}/aws/g' "$$f" > .build/asl/$$(basename "$$f"); asl-validator --json-path .build/asl/$$(basename "$$f"); done; \
	  echo "asl-validator: $$(echo $$files | wc -w) state machines valid"; fi

$(ICEBERG_JAR):
	mkdir -p $(dir $@)
	curl -sSfL --retry 3 -o $@.part https://repo1.maven.org/maven2/org/apache/iceberg/iceberg-spark-runtime-3.5_2.12/$(ICEBERG_VERSION)/iceberg-spark-runtime-3.5_2.12-$(ICEBERG_VERSION).jar
	echo "$(ICEBERG_SHA256)  $@.part" | sha256sum -c --quiet
	mv $@.part $@

test-glue: $(VENV_STAMP) $(ICEBERG_JAR) ## pytest of the Glue jobs with local pyspark and Iceberg
	@if ls glue/tests/test_*.py >/dev/null 2>&1; then pytest -q glue/tests; else echo "pytest: no Glue jobs yet"; fi

e2e: cdk-deps $(VENV_STAMP) $(ICEBERG_JAR) $(READER_STAMP) ## end-to-end test on a throwaway local emulator on 127.0.0.1 (three to four minutes, no AWS account)
	go test -tags e2e -count=1 -timeout 20m -v -run TestLocalEndToEnd ./e2e

local: cdk-deps $(EMULATOR_STAMP) ## run the lake on a local emulator: deploy, send telemetry, show what landed; leaves it running
	go run ./scripts/local up $(LOCAL_ARGS)

local-status: ## is the local emulator running, and where
	go run ./scripts/local status

local-down: ## stop the local emulator and everything it started
	go run ./scripts/local down

bench: deps $(RCF_JAR) ## transform Lambda benchmarks and cold init under the RIE; the Go RCF beside AWS's Java RCF; detector shards of 500, 2,000 and 10,000 devices (needs a JDK 17 and Maven)
	bash scripts/bench/transform.sh
	bash scripts/bench/coldstart.sh
	go test -run '^$$' -bench . -benchtime 20000x ./internal/rcf
	go run ./scripts/rcfcompare $(RCF_COMPARE_ARGS)
	go test -run '^$$' -bench Shard -benchtime 1x ./internal/anomaly

cost: deps $(ICEBERG_JAR) ## bytes per named query: raw JSON vs Parquet (DAYS=30 DEVICES=50), Iceberg before/after compaction (ICEBERG_DAYS=3 ICEBERG_DEVICES=20)
	DAYS=$(DAYS) DEVICES=$(DEVICES) bash scripts/cost/run.sh
	@echo
	cd glue && $(VENV)/bin/python iceberg_cost.py --days $(ICEBERG_DAYS) --devices $(ICEBERG_DEVICES)

landing: $(GO_STAMP) ## upload the sample landing files (BUCKET=<RawBucketName> KMS_KEY=<LakeKeyArn>) for the crawler and curate
	@[ -n "$(BUCKET)" ] || { echo "set BUCKET=<the Storage stack's RawBucketName output> and KMS_KEY=<its LakeKeyArn>" >&2; exit 2; }
	go run ./scripts/landing --bucket $(BUCKET) --kms-key "$(KMS_KEY)"

# go test fuzzes one target at a time. Minimizing a new input can stall the
# workers for up to a minute by default; 10s keeps the time on fuzzing.
fuzz: $(GO_STAMP) ## fuzz the transform Lambda's record, event and base64 code, FUZZTIME (default 60s) each
	for target in FuzzTransform FuzzReadEvent FuzzBase64; do \
	  go test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10s ./lambdas/transform || exit 1; \
	done

# The targets that talk to AWS are checked while make reads this file, so a
# refusal is one line and comes before any install, synth or file change:
# an endpoint override left by make local (for any profile but local),
# missing credentials, an AWS_PROFILE that names no configured profile
# (scripts/awscheck/awscheck.sh).
AWS_TARGETS := bootstrap deploy protect diff destroy smoke training-set
ifneq ($(filter $(AWS_TARGETS),$(MAKECMDGOALS)),)
AWS_REFUSAL := $(shell bash scripts/awscheck/awscheck.sh $(firstword $(filter $(AWS_TARGETS),$(MAKECMDGOALS))) $(PROFILE) 2>&1)
ifneq ($(AWS_REFUSAL),)
$(error $(AWS_REFUSAL))
endif
endif

docs: cdk-deps ## rewrite the generated tables and counts in docs/ (settings, suppressions, dashboard, counts)
	LAKE_UPDATE_DOCS=1 go test -count=1 -run '^TestGeneratedDocTables$$' ./cdk

# make detect-eval also judges the detector on streams the project did not
# make (scripts/detecteval/sources): GutenTAG's synthetic streams, generated in
# a venv of their own (requirements-eval.txt, about 520 MB, apart from .venv),
# and two real TCPD series read out of the river wheel, which pip downloads
# once into .build/detecteval/cache. Each folder's manifest.json is written
# last and stands for the folder: the streams are made again only when their
# script or the pins change.
$(READER_STAMP): requirements-iceberg-reader.txt
	$(PYTHON) -m venv $(READER_VENV)
	$(READER_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-iceberg-reader.txt
	touch $@


$(EVAL_STAMP): requirements-eval.txt
	$(PYTHON) -m venv $(EVAL_VENV)
	$(EVAL_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-eval.txt
	touch $@

$(DETECT_EVAL_DIR)/gutentag/manifest.json: scripts/detecteval/sources/gutentag_streams.py $(EVAL_STAMP)
	rm -rf $(dir $@)
	$(EVAL_VENV)/bin/python scripts/detecteval/sources/gutentag_streams.py $(dir $@)

$(DETECT_EVAL_DIR)/tcpd/manifest.json: scripts/detecteval/sources/tcpd_streams.py $(EVAL_STAMP)
	rm -rf $(dir $@)
	$(EVAL_VENV)/bin/python scripts/detecteval/sources/tcpd_streams.py $(dir $@) --cache $(DETECT_EVAL_DIR)/cache

# AWS's Random Cut Forest library (Java, from Maven Central) for make bench
# and make detect-eval.
RCF_JAR := scripts/rcfcompare/java/target/rcf-compare-1.jar
$(RCF_JAR): scripts/rcfcompare/java/pom.xml $(wildcard scripts/rcfcompare/java/src/main/java/lake/*.java)
	mvn -q -B -f scripts/rcfcompare/java/pom.xml package

detect-eval: $(EVAL_STAMP) $(DETECT_SOURCES) $(RCF_JAR) ## the anomaly detector beside AWS's TRCF and a z-score on streams it was not tuned on (GutenTAG, real TCPD series) and on telemetrygen; leave-one-source-out (about 15 min)
	go run ./scripts/detecteval -gutentag $(DETECT_EVAL_DIR)/gutentag -tcpd $(DETECT_EVAL_DIR)/tcpd $(DETECT_EVAL_ARGS)

diagram: cdk-deps ## redraw docs/architecture.dot and architecture-full.dot from the synthesized prod templates and render their SVGs
	LAKE_UPDATE_DIAGRAM=1 go test -count=1 -run '^TestArchitectureDiagram$$' ./cdk
	node scripts/diagram/render.mjs docs/architecture.dot docs/architecture.svg --min-text=11@900
	node scripts/diagram/render.mjs docs/architecture-full.dot docs/architecture-full.svg

# The logical-ID record (cdk/testdata/logical-ids.txt) guards users' data on
# upgrades: rewrite it only with a change that means to move or drop resources.
logical-ids: cdk-deps ## rewrite the record of every resource's logical ID (after an intended rename or removal)
	LAKE_UPDATE_LOGICAL_IDS=1 go test -count=1 -run '^TestLogicalIDsAreRecorded$$' ./cdk

bootstrap: cdk-deps ## cdk bootstrap the account/region of your AWS credentials
	$(CDK) bootstrap -c profile=$(PROFILE) $(CDK_ARGS)

deploy: cdk-deps ## deploy every stack of PROFILE with your AWS credentials (prod: then the stack policies)
	$(CDK) deploy $(STACKS) -c profile=$(PROFILE) --require-approval $(APPROVAL) $(CDK_ARGS)
	@if [ "$(PROFILE)" = prod ]; then $(MAKE) --no-print-directory protect PROFILE=prod; fi

protect: cdk-deps ## set the stack policies that forbid replacing or deleting PROFILE's data (run by make deploy for prod)
	$(CDK) synth --quiet -c profile=$(PROFILE) $(CDK_ARGS) -o cdk.out/$(PROFILE)
	go run ./scripts/stackpolicy -templates cdk.out/$(PROFILE) -apply

# Flags go in SMOKE_ARGS, e.g. SMOKE_ARGS="-skip ml,etl -timeout 40m"; PROFILE=prod also needs -allow-prod.
smoke: $(GO_STAMP) ## after make deploy: drive ingest, Athena, landing, ETL, an alarm and training once on PROFILE (~30 min, < $0.50)
	go run ./scripts/smoke -profile $(PROFILE) $(SMOKE_ARGS)

training-set: $(GO_STAMP) ## rebuild a registered model's training set from its Iceberg snapshot and compare (REGISTERED_AT=<registeredAt>|latest)
	go run ./scripts/trainingset -profile $(PROFILE) -registered-at $(or $(REGISTERED_AT),latest)

# cdk diff compares every stack when given none; it does not take --all.
diff: cdk-deps ## compare PROFILE's templates with what is deployed
	$(CDK) diff $(filter-out --all,$(STACKS)) -c profile=$(PROFILE) $(CDK_ARGS)

destroy: cdk-deps ## delete PROFILE's stacks (RETAIN resources stay unless allowDestroy)
	$(CDK) destroy $(STACKS) -c profile=$(PROFILE) $(CDK_ARGS)

clean: ## stop a local emulator, remove synthesized templates, built bootstraps and installed tools
	-@[ -f .build/local/emulator.json ] && go run ./scripts/local down
	rm -rf cdk.out .build node_modules $(VENV)
