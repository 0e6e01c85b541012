package image

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestCranePushAcceptsBoth does what `crane push` does with each output,
// against an in-memory registry on loopback: the archive is read as a
// Docker tarball (one image, the amd64 one), the layout directory as the
// whole index, and both arrive intact.
func TestCranePushAcceptsBoth(t *testing.T) {
	out := writeImage(t, testOptions(t))
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")

	// crane push FILE: crane.Load, then a push of that image.
	img, err := crane.Load(out.archive)
	if err != nil {
		t.Fatalf("loading the archive as crane does: %v", err)
	}
	tagRef := host + "/zen-watcher:archive"
	if err := crane.Push(img, tagRef); err != nil {
		t.Fatal(err)
	}
	pushed, err := crane.Pull(tagRef)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := pushed.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Architecture != "amd64" || cf.Config.User != "65532:65532" {
		t.Errorf("pushed archive image: %s, user %q", cf.Architecture, cf.Config.User)
	}
	amd64, err := platformDigest(out.idx, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	wantCfg, _ := mustImage(t, out.idx, amd64).ConfigName()
	if got, _ := pushed.ConfigName(); got != wantCfg {
		t.Errorf("pushed config %s, built %s", got, wantCfg)
	}

	// crane push DIR: the layout's one index.json entry, which is the index.
	top, err := layout.ImageIndexFromPath(out.dir)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	idx, err := top.ImageIndex(tm.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(host + "/zen-watcher:index")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	got, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	gotDigest, _ := got.Digest()
	wantDigest, _ := out.idx.Digest()
	if gotDigest != wantDigest {
		t.Errorf("pushed index %s, built %s", gotDigest, wantDigest)
	}
	arm, err := remote.Image(ref, remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "arm64"}))
	if err != nil {
		t.Fatalf("pulling the arm64 image: %v", err)
	}
	if cf, _ := arm.ConfigFile(); cf == nil || cf.Architecture != "arm64" {
		t.Errorf("arm64 pull gave %v", cf)
	}
}

func platformDigest(idx v1.ImageIndex, arch string) (v1.Hash, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return v1.Hash{}, err
	}
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.Architecture == arch {
			return d.Digest, nil
		}
	}
	return v1.Hash{}, nil
}

func mustImage(t *testing.T, idx v1.ImageIndex, h v1.Hash) v1.Image {
	t.Helper()
	img, err := idx.Image(h)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
