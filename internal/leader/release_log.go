package leader

import (
	"context"
	"log/slog"
)

// controller-runtime reports a Lease given up on purpose (ReleaseOnCancel,
// at shutdown) the same way as a Lease lost to another replica: an error
// "leader election lost", which its manager, already stopping, logs at
// ERROR level. Every clean rollout would then log an error and trip log
// alerts, so the handler below rewrites that one record.
const (
	stoppingMsg = "error received after stop sequence was engaged"
	lostErr     = "leader election lost"
)

// ReleaseLogHandler wraps the manager's log handler: the "leader election
// lost" error it logs after its stop sequence began, when nothing but the
// release at shutdown can have caused it, becomes an INFO record saying the
// Lease was released. Every other record passes unchanged; a Lease lost
// while running still ends the process with an error, from Run.
func ReleaseLogHandler(h slog.Handler) slog.Handler { return releaseLog{h} }

type releaseLog struct{ slog.Handler }

func (r releaseLog) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Level == slog.LevelError && rec.Message == stoppingMsg && isLost(rec) {
		out := slog.NewRecord(rec.Time, slog.LevelInfo, "released the Lease at shutdown", rec.PC)
		return r.Handler.Handle(ctx, out)
	}
	return r.Handler.Handle(ctx, rec)
}

func (r releaseLog) WithAttrs(as []slog.Attr) slog.Handler {
	return releaseLog{r.Handler.WithAttrs(as)}
}

func (r releaseLog) WithGroup(name string) slog.Handler {
	return releaseLog{r.Handler.WithGroup(name)}
}

// isLost reports whether rec carries the "leader election lost" error,
// under whatever key the logr bridge gives it.
func isLost(rec slog.Record) bool {
	lost := false
	rec.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && err.Error() == lostErr {
			lost = true
			return false
		}
		return true
	})
	return lost
}
