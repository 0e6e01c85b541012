package dynsource

import (
	"context"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// changesBuffer bounds the reconciles asked for and not yet queued; past
// it a change waits for the source's periodic reconcile.
const changesBuffer = 256

// Changed asks for the source key to be reconciled now, because something
// its status reports changed outside the API server: the watch runner's
// state of it. It never blocks.
func (c *Controller) Changed(key types.NamespacedName) {
	select {
	case c.changes <- event.TypedGenericEvent[types.NamespacedName]{Object: key}:
	default:
	}
}

// changeSource feeds Changed into the controller's queue.
func (c *Controller) changeSource() source.TypedSource[reconcile.Request] {
	return source.TypedChannel(c.changes, handler.TypedFuncs[types.NamespacedName, reconcile.Request]{
		GenericFunc: func(_ context.Context, e event.TypedGenericEvent[types.NamespacedName], q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			q.Add(reconcile.Request{NamespacedName: e.Object})
		},
	})
}
