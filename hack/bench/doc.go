// Command bench is `make bench`: the end-to-end benchmark of issue #16. It
// starts its own control plane (kube-apiserver and etcd from bin/k8s,
// through envtest, as hack/devcluster does), runs the zen-watcher binary
// against it, drives it with hack/loadgen's load package, and measures each
// figure beside its baseline from the same run:
//
//   - unique findings stored with their counts per second, against raw
//     creates of the same objects with the same client settings;
//   - repeat intake with a bearer token, and signed (HMAC) intake, against a
//     trivial Go JSON handler on the same machine;
//   - latency at a paced 2,000 requests/s;
//   - resident memory after 100k requests with 10k stored events, and with
//     300 VulnerabilityReports of about 1 MB each;
//   - API writes per new finding and per event per flush interval.
//
// It prints a table and writes one JSON object per figure (name, value,
// unit, baseline, ratio, goal, met) to -out/results.json. With -scale it
// instead measures how figures grow: memory and start time with 1k, 10k
// and 100k stored events, intake with 1, 8 and 64 clients
// (-out/scale.json). Load goes to 127.0.0.1 only, bounded in time.
package main
