# The two commands a newcomer needs: `make run` and `make test`.
# Each installs what it needs (scripts/deps.sh is idempotent), builds, and runs.

SHELL := /bin/bash
JOBS ?= $(shell nproc)
LISTEN ?= 127.0.0.1:8080
DATA_DIR ?= ./data
WEB_OUT := web/out

.PHONY: all deps build web run cluster test unit asan integration e2e fuzz bench package clean

all: build

deps:
	@scripts/deps.sh build

# The optimized server at build/parley, and the web client in web/out.
build: deps web
	@cmake --preset release >/dev/null
	@cmake --build build/release --target parley -j $(JOBS)
	@cp build/release/src/app/parley build/parley
	@echo "built build/parley"

web:
	@scripts/build-web.sh

# A Debian package of the server, the web client and the systemd unit, in
# build/release/package/ (cmake/packaging.cmake, docs/operations.md).
package: build
	@scripts/deps.sh package
	@cd build/release && cpack -G DEB >/dev/null
	@ls build/release/package/*.deb

run: build
	@mkdir -p $(DATA_DIR)
	./build/parley serve --listen $(LISTEN) --data-dir $(DATA_DIR) --web-dir $(WEB_OUT)

# Three nodes on PostgreSQL + Redis behind nginx, in a temp folder; Ctrl-C stops all.
cluster: build
	@scripts/deps.sh test
	@scripts/cluster.sh

test:
	@scripts/deps.sh test
	@scripts/test.sh

fuzz:
	@scripts/deps.sh test
	@scripts/fuzz.sh $(FUZZ_SECONDS)

bench:
	@scripts/deps.sh bench
	@scripts/bench.sh

clean:
	rm -rf build web/out web/.next
