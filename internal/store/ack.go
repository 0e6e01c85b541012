package store

import "github.com/kube-zen/zen-watcher/internal/ack"

// settle settles every ack in acks with err.
func settle(acks []*ack.Ack, err error) {
	for _, a := range acks {
		a.Settle(err)
	}
}
