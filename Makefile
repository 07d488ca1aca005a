# Shortcuts for the scripts; the README's commands are the scripts themselves.
.PHONY: build demo test ollama-start ollama-stop
# -buildvcs=auto (go's default, restated) overrides a GOFLAGS=-buildvcs=false in the
# environment, so a build from a git checkout records its revision (yardstick --version).
build:
	go build -buildvcs=auto -o bin/yardstick ./cmd/yardstick
demo:
	scripts/demo.sh
test:
	scripts/test.sh
ollama-start:
	scripts/ollama.sh start
ollama-stop:
	scripts/ollama.sh stop
