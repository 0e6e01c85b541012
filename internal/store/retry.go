package store

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// requestTimeout bounds one API request, so a black-holed API server costs a
// retry instead of a stuck worker.
const requestTimeout = 15 * time.Second

// opError remembers which request failed, for metrics.
type opError struct {
	operation string
	err       error
}

func (e *opError) Error() string { return e.operation + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

func operationOf(err error) string {
	var oe *opError
	if errors.As(err, &oe) {
		return oe.operation
	}
	return "unknown"
}

// timed runs one request with a timeout, recording its latency and, on
// failure, its status code.
func (w *Writer) timed(ctx context.Context, operation string, call func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	start := time.Now()
	err := call(ctx)
	w.metrics.WriteDuration.WithLabelValues(operation).Observe(time.Since(start).Seconds())
	if err == nil {
		return nil
	}
	w.metrics.WriteErrors.WithLabelValues(operation, strconv.Itoa(int(statusCode(err)))).Inc()
	return &opError{operation: operation, err: err}
}

func statusCode(err error) int32 {
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		return se.Status().Code
	}
	return 0
}

// retryable is true for failures that can pass on their own: throttling,
// server errors, timeouts, conflicts and an API server that is away.
func retryable(err error) bool {
	switch {
	case apierrors.IsTooManyRequests(err), apierrors.IsServerTimeout(err), apierrors.IsTimeout(err),
		apierrors.IsInternalError(err), apierrors.IsServiceUnavailable(err), apierrors.IsUnexpectedServerError(err),
		apierrors.IsConflict(err):
		return true
	case errors.Is(err, context.DeadlineExceeded), utilnet.IsConnectionRefused(err), utilnet.IsConnectionReset(err),
		utilnet.IsProbableEOF(err):
		return true
	}
	if code := statusCode(err); code >= 500 {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// isNamespaceMissing is true when a create failed because the namespace
// itself does not exist.
func isNamespaceMissing(err error) bool {
	var se apierrors.APIStatus
	if !apierrors.IsNotFound(err) || !errors.As(err, &se) {
		return false
	}
	d := se.Status().Details
	return d != nil && d.Kind == "namespaces"
}
