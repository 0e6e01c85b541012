package integration

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestNewFindingIsOneWrite counts the API requests the writer makes: a new
// finding is one create, whose status already says count 1, firstSeen and
// lastSeen (what `kubectl get zae` shows as Count and Last-Seen); repeats
// are coalesced status patches, never one per repeat, and never a read.
func TestNewFindingIsOneWrite(t *testing.T) {
	const keys = 20
	ns := newNamespace(t)
	r := startPipeline(t, defaultConfig(t))
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	submitAll(t, r, ns, keys, 1, at)
	eventually(t, "20 new events", countsAre(t, ns, keys, 1))
	if creates, patches, gets := apiRequests(t, r.Registry, "create"), apiRequests(t, r.Registry, "patch_status"), apiRequests(t, r.Registry, "get"); creates != keys || patches != 0 || gets != 0 {
		t.Fatalf("%d new findings cost %d creates, %d status patches, %d reads; want %d, 0, 0", keys, creates, patches, gets, keys)
	}
	for name, e := range listEvents(t, ns) {
		if e.Status.FirstSeen == nil || e.Status.LastSeen == nil || !e.Status.LastSeen.Time.Equal(at) || !e.Status.FirstSeen.Time.Equal(at) || e.Status.State != "Open" {
			t.Errorf("%s: the create's status is %+v", name, e.Status)
		}
	}

	// Two more occurrences of each: coalesced, at most one patch per event
	// per flush (the flush may fall between the two).
	submitAll(t, r, ns, keys, 2, at.Add(time.Minute))
	r.stop()
	if err := countsAre(t, ns, keys, 3)(); err != nil {
		t.Fatal(err)
	}
	if patches := apiRequests(t, r.Registry, "patch_status"); patches < keys || patches > 2*keys {
		t.Errorf("40 repeats of 20 events cost %d status patches; want 20–40", patches)
	}
	if creates, gets := apiRequests(t, r.Registry, "create"), apiRequests(t, r.Registry, "get"); creates != keys || gets != 0 {
		t.Errorf("repeats cost %d more creates and %d reads", creates-keys, gets)
	}
}

// apiRequests is the number of API requests of one operation the writer
// timed in zen_watcher_api_write_duration_seconds.
func apiRequests(t *testing.T, reg *prometheus.Registry, operation string) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "zen_watcher_api_write_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "operation" && l.GetValue() == operation {
					return int(m.GetHistogram().GetSampleCount())
				}
			}
		}
	}
	return 0
}
