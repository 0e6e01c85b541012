package server

import (
	"net/http"

	"github.com/kube-zen/zen-watcher/internal/tools"
)

// ToolStatuses reports what tool detection found.
type ToolStatuses interface {
	Statuses() []tools.Status
}

// toolsHandler serves tool detection to those who may list tools.
func toolsHandler(mux *Router, t ToolStatuses, guard Guard) {
	mux.handle("GET /api/v1/tools", guard.Resource("tools-list", "list", resourceTools, "", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"tools": t.Statuses()})
	})))
}
