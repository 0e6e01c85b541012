package retention

import (
	"encoding/json"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// eventSize is the approximate size of ev as stored: the length of its
// JSON, which is how the API server keeps a custom resource in etcd
// (managedFields included, etcd's own key and revision overhead not).
//
// It is measured in the scan, on the objects the list has just decoded to
// order the caps anyway: encoding costs less than the decode already paid
// (BenchmarkEventSize), needs no new field or annotation on every event,
// and cannot drift from the object the way a size recorded at write time
// would once status updates grow it. The JSON is counted, not kept.
func eventSize(ev *zenv1.ZenAgentEvent) int {
	var n byteCounter
	if err := json.NewEncoder(&n).Encode(ev); err != nil {
		return 0 // a decoded object always encodes; count nothing rather than guess
	}
	return int(n) - 1 // Encode adds a newline
}

// byteCounter is an io.Writer that only counts.
type byteCounter int

func (c *byteCounter) Write(p []byte) (int, error) {
	*c += byteCounter(len(p))
	return len(p), nil
}
