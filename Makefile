# cachedeck — `make demo` and `make test` are all a fresh machine needs.
GO      ?= go
BIN     := bin/cachedeck
PKGS    := ./...

.PHONY: all build test demo bench lint deps fuzz clean

all: build

# redis-server is the one system dependency: tests and the demo start real
# servers on loopback. It comes from Debian's redis-server package.
deps:
	@command -v redis-server >/dev/null 2>&1 || { \
		echo "installing redis-server (Debian package)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	}
	@command -v redis-server >/dev/null 2>&1 || { echo "redis-server is still missing: apt-get install redis-server"; exit 1; }
	@test -x /usr/sbin/sshd || { \
		echo "installing openssh-server (Debian package: the console is tested over a real ssh -t session)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >/dev/null; \
	}
	@test -x /usr/sbin/sshd || { echo "sshd is still missing: apt-get install openssh-server"; exit 1; }
	@command -v hexdump >/dev/null 2>&1 || { \
		echo "installing hexdump (Debian bsdextrautils: the decoder's hex dump is checked against it)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bsdextrautils >/dev/null; \
	}

# The first build downloads and compiles every dependency (about a minute
# on a small machine) and prints nothing meanwhile: say so first.
build:
	@echo "building $(BIN) (the first build downloads and compiles the Go modules: about a minute; later builds take seconds)"
	@$(GO) build -o $(BIN) .
	@echo "built $(BIN)"

# The README's test command: vet, then every test with the race detector.
test: deps
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

demo: deps build
	@echo "starting a throwaway redis-server and seeding it with ColdCopy-shaped keys (removed when you quit)"
	./$(BIN) demo

# Benchmarks measure cachedeck and the baseline tools (redis-cli) in the
# same run; figures go to docs/PERFORMANCE.md.
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# Short fuzzing pass over every decoder (FUZZTIME per target).
FUZZTIME ?= 20s
FUZZPKGS ?= ./decode/ ./rdb/
fuzz:
	@for p in $(FUZZPKGS); do \
		for f in $$($(GO) test -list 'Fuzz.*' $$p | grep ^Fuzz); do \
			echo "== $$p $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$p || exit 1; \
		done; \
	done

clean:
	rm -rf bin
