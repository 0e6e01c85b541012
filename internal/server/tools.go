package server

import (
	"net/http"

	"github.com/kube-zen/zen-watcher/internal/tools"
)

// ToolStatuses reports what tool detection found.
type ToolStatuses interface {
	Statuses() []tools.Status
}

func toolsHandler(mux *http.ServeMux, t ToolStatuses) {
	mux.HandleFunc("GET /api/v1/tools", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"tools": t.Statuses()})
	})
}
