// Package jsonhttp holds the few lines the project's own servers (the calibrated
// stream server in calib, the fakes in internal/fakeollama and internal/fakeopenai)
// share to answer in JSON as Ollama does.
package jsonhttp

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Write answers with status code and v encoded as JSON (Content-Type
// application/json; charset=utf-8, as Ollama's gin handlers send). An encoding or
// write error is dropped: the client sees a short body.
func Write(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// ModelNotFound answers 404 with Ollama's error body for a model it does not have,
// {"error": "model 'NAME' not found"} (server/routes.go, Ollama v0.17.4).
func ModelNotFound(w http.ResponseWriter, name string) {
	Write(w, http.StatusNotFound, map[string]any{"error": fmt.Sprintf("model '%s' not found", name)})
}

// ShowName is the model an /api/show request names: its "model" field, or the older
// "name" (Ollama's api.ShowRequest has both). A body that does not decode names "".
func ShowName(r *http.Request) string {
	var req struct{ Model, Name string }
	_ = json.NewDecoder(r.Body).Decode(&req)
	if req.Model != "" {
		return req.Model
	}
	return req.Name
}
