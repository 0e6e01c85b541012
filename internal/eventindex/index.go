package eventindex

import (
	"context"
	"strconv"
	"time"
	"unique"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"

	zenv1 "github.com/kube-zen/zen-watcher/api/v1"
)

// Index is a metadata informer on ZenAgentEvents in every namespace.
type Index struct {
	informer cache.SharedIndexInformer
	counts   *counts
}

// New builds an index that has not started yet; call Run.
func New(client metadata.Interface, resync time.Duration) *Index {
	inf := metadatainformer.NewFilteredMetadataInformer(client, zenv1.GroupVersion.WithResource(zenv1.ZenAgentEventResource),
		metav1.NamespaceAll, resync, cache.Indexers{byKeyHash: indexByKeyHash}, nil).Informer()
	// The index needs identity and four labels only; dropping the rest
	// before objects enter the cache keeps every entry to a few hundred
	// bytes.
	_ = inf.SetTransform(stripMetadata)
	c := newCounts()
	// Registered before Run, so it sees every object the cache holds; the
	// error is only for an informer that has stopped.
	_, _ = inf.AddEventHandler(c)
	return &Index{informer: inf, counts: c}
}

// Run fills and maintains the index until ctx ends.
func (i *Index) Run(ctx context.Context) { i.informer.RunWithContext(ctx) }

// HasSynced reports whether the initial list has been loaded.
func (i *Index) HasSynced() bool { return i.informer.HasSynced() }

// byKeyHash indexes events by their dedup key hash label.
const byKeyHash = "keyHash"

func indexByKeyHash(obj any) ([]string, error) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok || m.Labels[zenv1.LabelKeyHash] == "" {
		return nil, nil
	}
	return []string{m.Labels[zenv1.LabelKeyHash]}, nil
}

// Latest returns the namespace and generation of the newest stored event
// whose dedup key hashes to keyHash.
func (i *Index) Latest(keyHash string) (namespace string, gen int, ok bool) {
	objs, err := i.informer.GetIndexer().ByIndex(byKeyHash, keyHash)
	if err != nil {
		return "", 0, false
	}
	gen = -1
	for _, obj := range objs {
		m := obj.(*metav1.PartialObjectMetadata)
		if g, err := strconv.Atoi(m.Labels[zenv1.LabelGeneration]); err == nil && g > gen {
			namespace, gen = m.Namespace, g
		}
	}
	return namespace, gen, gen >= 0
}

// stripMetadata keeps exactly what the index reads: the cache's key
// (namespace, name), the resourceVersion, and the four labels Latest and
// the counts read. Label keys are the package's constants and the
// namespace and low-cardinality label values are interned, so 10,000
// events share one copy of each instead of 10,000 (BenchmarkIndexMemory).
func stripMetadata(obj any) (any, error) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return obj, nil // a tombstone; the informer handles it
	}
	labels := make(map[string]string, len(keptLabels))
	for _, k := range keptLabels {
		if v, ok := m.Labels[k]; ok {
			if k != zenv1.LabelKeyHash {
				v = unique.Make(v).Value() // one of a handful of values
			}
			labels[k] = v
		}
	}
	return &metav1.PartialObjectMetadata{
		ObjectMeta: metav1.ObjectMeta{
			Name:            m.Name,
			Namespace:       unique.Make(m.Namespace).Value(),
			ResourceVersion: m.ResourceVersion,
			Labels:          labels,
		},
	}, nil
}

// keptLabels are the labels the index reads: the dedup key's hash and the
// generation (Latest), the source and severity (the stored-events gauge).
var keptLabels = [...]string{zenv1.LabelKeyHash, zenv1.LabelGeneration, zenv1.LabelSource, zenv1.LabelSeverity}
