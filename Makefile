# Shortcuts for the scripts; the README's commands are the scripts themselves.
.PHONY: build demo test ollama-start ollama-stop
build:
	go build -o bin/yardstick ./cmd/yardstick
demo:
	scripts/demo.sh
test:
	scripts/test.sh
ollama-start:
	scripts/ollama.sh start
ollama-stop:
	scripts/ollama.sh stop
