package server

import (
	"context"
	"net/http"
	"time"

	"github.com/kube-zen/zen-watcher/internal/store"
)

// DeadLetterQueue is the writer's dead-letter queue as the API shows it.
type DeadLetterQueue interface {
	DeadLetters() []store.DeadLetter
	Replay(ctx context.Context) (int, error)
}

// replayTimeout bounds how long a replay waits for room in the write queue.
const replayTimeout = 10 * time.Second

type dlqList struct {
	Count int                `json:"count"`
	Items []store.DeadLetter `json:"items"`
}

// Admin resources, as RBAC rules name them (group zen.kube-zen.io).
const (
	resourceDeadLetters = "deadletters"
	resourceTools       = "tools"
)

// dlqHandlers serves the dead letters to those who may list deadletters,
// and replays them for those who may create deadletters/replay.
func dlqHandlers(mux *Router, dlq DeadLetterQueue, guard Guard) {
	mux.handle("GET /api/v1/dlq", guard.Resource("dlq-list", "list", resourceDeadLetters, "", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		items := dlq.DeadLetters()
		if items == nil {
			items = []store.DeadLetter{}
		}
		writeJSON(w, http.StatusOK, dlqList{Count: len(items), Items: items})
	})))
	mux.handle("POST /api/v1/dlq/replay", guard.Resource("dlq-replay", "create", resourceDeadLetters, "replay", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), replayTimeout)
		defer cancel()
		n, err := dlq.Replay(ctx)
		if err != nil {
			w.Header().Set("Retry-After", "10")
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"replayed": n, "error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"replayed": n})
	})))
}
