# The two commands of the README: `make run` and `make test`.
GO      ?= go
BIN     := bin/idphoto
PHOTO   ?= testdata/portraits/hivision-test3.jpg
SPEC    ?= cn-1inch
BG      ?= blue
OUT     ?= out/photo.jpg
export IDPHOTO_CACHE ?= $(HOME)/.cache/idphoto

.PHONY: build setup models run test bench fuzz clean

build:
	$(GO) build -o $(BIN) ./cmd/idphoto

setup:
	./scripts/setup

# The neural models are optional; without them idphoto uses its pure-Go engine.
models: setup build
	./$(BIN) models pull

run: models
	@mkdir -p $(dir $(OUT))
	./$(BIN) make $(PHOTO) --spec $(SPEC) --bg $(BG) -o $(OUT)

test: models
	$(GO) vet ./...
	$(GO) test -count=1 ./...

bench: models
	./$(BIN) bench testdata/portraits --spec $(SPEC) --megapixels 12 --repeat 3

fuzz:
	./scripts/fuzz 20s

clean:
	rm -rf bin out
