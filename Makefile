# The two commands of the README: `make run` and `make test`.
GO      ?= go
BIN     := bin/idphoto
PHOTO   ?= testdata/portraits/hivision-test3.jpg
SPEC    ?= cn-1inch
BG      ?= blue
OUT     ?= out/photo.jpg
DATA    ?= data
KEY     ?= data-master.key
ADDR    ?= :8080

.PHONY: build setup models run photo test bench fuzz clean

build:
	$(GO) build -o $(BIN) ./cmd/idphoto

setup:
	./scripts/setup

# The neural models are optional; without them idphoto uses its pure-Go engine.
models: setup build
	./$(BIN) models pull

# The service and its web page. The master key is made on the first run, beside the
# data folder rather than in it (keep it out of the data's backups).
run: models
	@test -f $(KEY) || ./$(BIN) keygen -o $(KEY)
	@echo "idphoto: open http://localhost$(ADDR)"
	IDPHOTO_MASTER_KEY_FILE=$(KEY) ./$(BIN) serve --addr $(ADDR) --data $(DATA)

# One ID photo on the command line, from a test portrait.
photo: models
	@mkdir -p $(dir $(OUT))
	./$(BIN) make $(PHOTO) --spec $(SPEC) --bg $(BG) -o $(OUT)

# The browser tests need /usr/bin/chromium (scripts/setup installs it) and save their
# screenshots under out/screenshots; the PostgreSQL tests start a throw-away cluster
# from the postgresql package (scripts/setup installs it too) and fail without one.
test: models
	$(GO) vet ./...
	IDPHOTO_REQUIRE_BROWSER=1 IDPHOTO_REQUIRE_POSTGRES=1 IDPHOTO_SCREENSHOTS=out/screenshots $(GO) test -count=1 ./...
	@echo "browser screenshots: out/screenshots/web"

bench: models
	./$(BIN) bench testdata/portraits --spec $(SPEC) --megapixels 12 --repeat 3

fuzz:
	./scripts/fuzz 20s

clean:
	rm -rf bin out
