package server

import (
	"net/http"

	"github.com/kube-zen/zen-watcher/internal/tools"
)

// ToolStatuses reports what tool detection found.
type ToolStatuses interface {
	Statuses() []tools.Status
}

func toolsHandler(mux *Router, t ToolStatuses) {
	mux.handle("GET /api/v1/tools", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"tools": t.Statuses()})
	}))
}
