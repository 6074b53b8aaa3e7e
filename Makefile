# Conveniences over scripts/: `make demo`, `make test`, `make release`, `make install PREFIX=…`.
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: demo test release install fuzz

demo:
	scripts/demo

test:
	scripts/test

# The Swift runtime linked in (see scripts/install).
release:
	swift build -c release --static-swift-stdlib --product abuse-ingest

install: release
	PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) scripts/install

fuzz:
	scripts/fuzz
