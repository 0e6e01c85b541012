package configmap

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kube-zen/zen-watcher/internal/source"
)

// resultsKey is the key tools are documented to write; when present, it
// alone is read.
const resultsKey = "results.json"

// payload is one JSON document found in a ConfigMap.
type payload struct {
	key  string
	data []byte
}

// payloads returns the JSON documents of cm: results.json if present (in
// data or binaryData), otherwise every key ending in .json, in key order.
func payloads(cm *corev1.ConfigMap) ([]payload, error) {
	if v, ok := cm.Data[resultsKey]; ok {
		return []payload{{resultsKey, []byte(v)}}, nil
	}
	if v, ok := cm.BinaryData[resultsKey]; ok {
		return []payload{{resultsKey, v}}, nil
	}
	var out []payload
	for k, v := range cm.Data {
		if strings.HasSuffix(k, ".json") {
			out = append(out, payload{k, []byte(v)})
		}
	}
	for k, v := range cm.BinaryData {
		if strings.HasSuffix(k, ".json") {
			out = append(out, payload{k, v})
		}
	}
	if len(out) == 0 {
		return nil, source.Errorf(source.ReasonNoPayload, "no %s and no other .json key in data or binaryData", resultsKey)
	}
	slices.SortFunc(out, func(a, b payload) int { return strings.Compare(a.key, b.key) })
	return out, nil
}
