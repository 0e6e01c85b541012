package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

var commitTime = time.Date(2026, 11, 30, 12, 34, 56, 0, time.UTC)

// fakeBinaries writes two small files standing in for the binaries: the
// tests of the image's shape need no real build.
func fakeBinaries(t *testing.T) []Binary {
	t.Helper()
	dir := t.TempDir()
	var out []Binary
	for _, arch := range []string{"amd64", "arm64"} {
		p := filepath.Join(dir, "zen-watcher-"+arch)
		if err := os.WriteFile(p, []byte("\x7fELF fake "+arch), 0o755); err != nil {
			t.Fatal(err)
		}
		out = append(out, Binary{OS: "linux", Arch: arch, Path: p})
	}
	return out
}

func caBundle(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(p, []byte("-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func testOptions(t *testing.T) Options {
	return Options{
		Binaries: fakeBinaries(t), CABundle: caBundle(t), Created: commitTime,
		Version: "v1.2.3", Revision: "0123456789abcdef0123456789abcdef01234567",
		Source: "https://example.invalid/zen-watcher", Licenses: "NOASSERTION",
	}
}

// output is one build written to disk.
type output struct {
	idx     v1.ImageIndex
	dir     string
	archive string
}

func writeImage(t *testing.T, o Options) output {
	t.Helper()
	idx, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := ParseRef("kube-zen/zen-watcher:v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := output{idx: idx, dir: filepath.Join(dir, "image"), archive: filepath.Join(dir, "image.tar")}
	if err := WriteLayout(out.dir, idx, ref); err != nil {
		t.Fatal(err)
	}
	if err := WriteArchive(out.archive, out.dir, idx, ref, v1.Platform{OS: "linux", Architecture: "amd64"}, o.Created); err != nil {
		t.Fatal(err)
	}
	return out
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestBuildIsReproducible builds the image twice from the same binaries, a
// moment apart, and wants the same index digest and the same archive bytes.
func TestBuildIsReproducible(t *testing.T) {
	o := testOptions(t)
	first := writeImage(t, o)
	time.Sleep(1100 * time.Millisecond) // a wall-clock second passes: nothing may depend on it
	second := writeImage(t, o)
	d1, err := first.idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	d2, err := second.idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if d1 != d2 {
		t.Errorf("index digests differ: %s and %s", d1, d2)
	}
	if fileSum(t, first.archive) != fileSum(t, second.archive) {
		t.Error("archives differ")
	}

	// The commit time is what the digest depends on.
	o.Created = commitTime.Add(time.Second)
	if d3, _ := writeImage(t, o).idx.Digest(); d3 == d1 {
		t.Error("a different commit time gave the same digest")
	}
}

func TestBuildRejectsIncompleteOptions(t *testing.T) {
	_, err := Build(Options{Binaries: []Binary{{OS: "linux", Arch: "amd64", Path: "/x"}, {OS: "linux", Arch: "amd64", Path: "/y"}}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"two binaries for linux/amd64", "no CA bundle", "no creation time", "no version", "no licenses"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	o := testOptions(t)
	o.Binaries[0].Path = filepath.Join(t.TempDir(), "missing")
	if _, err := Build(o); err == nil || !strings.Contains(err.Error(), "linux/amd64") {
		t.Errorf("missing binary: error %v", err)
	}
	if _, err := ParseRef("Not A Ref"); err == nil {
		t.Error("bad reference accepted")
	}
}

// tarEntry is one tar header and its content.
type tarEntry struct {
	hdr  *tar.Header
	data []byte
}

func readTar(t *testing.T, r io.Reader) []tarEntry {
	t.Helper()
	var out []tarEntry
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarEntry{hdr: hdr, data: data})
	}
}

func names(entries []tarEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.hdr.Name)
	}
	return out
}

// TestImageHasOnlyWhatItNeeds checks the index, each platform's config and
// the layer's files, owners, modes and times.
func TestImageHasOnlyWhatItNeeds(t *testing.T) {
	o := testOptions(t)
	out := writeImage(t, o)
	im, err := out.idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != types.OCIImageIndex || len(im.Manifests) != 2 {
		t.Fatalf("index: media type %s, %d manifests", im.MediaType, len(im.Manifests))
	}
	if im.Annotations[LabelCreated] != "2026-11-30T12:34:56Z" || im.Annotations[LabelRevision] != o.Revision {
		t.Errorf("index annotations: %v", im.Annotations)
	}
	for i, want := range []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}} {
		desc := im.Manifests[i]
		if desc.Platform == nil || !desc.Platform.Equals(want) || desc.MediaType != types.OCIManifestSchema1 {
			t.Fatalf("manifest %d: platform %v, media type %s", i, desc.Platform, desc.MediaType)
		}
		img, err := out.idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		c := cf.Config
		if c.User != "65532:65532" || !slices.Equal(c.Entrypoint, []string{"/zen-watcher"}) || len(c.Cmd) != 0 || len(c.Env) != 0 {
			t.Errorf("%s config: user %q, entrypoint %v, cmd %v, env %v", want.Architecture, c.User, c.Entrypoint, c.Cmd, c.Env)
		}
		for k, v := range map[string]string{LabelVersion: "v1.2.3", LabelRevision: o.Revision, LabelSource: o.Source,
			LabelLicenses: "NOASSERTION", LabelCreated: "2026-11-30T12:34:56Z"} {
			if c.Labels[k] != v {
				t.Errorf("%s label %s = %q, want %q", want.Architecture, k, c.Labels[k], v)
			}
		}
		if !cf.Created.Equal(commitTime) || cf.Architecture != want.Architecture || cf.OS != "linux" {
			t.Errorf("config: created %v, platform %s/%s", cf.Created, cf.OS, cf.Architecture)
		}
		layers, err := img.Layers()
		if err != nil || len(layers) != 1 {
			t.Fatalf("layers: %d, %v", len(layers), err)
		}
		if mt, _ := layers[0].MediaType(); mt != types.OCILayer {
			t.Errorf("layer media type %s", mt)
		}
		rc, err := layers[0].Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		entries := readTar(t, rc)
		rc.Close()
		wantNames := []string{"etc/", "etc/group", "etc/passwd", "etc/ssl/", "etc/ssl/certs/", "etc/ssl/certs/ca-certificates.crt", "zen-watcher"}
		if got := names(entries); !slices.Equal(got, wantNames) {
			t.Errorf("layer files %v, want %v", got, wantNames)
		}
		for _, e := range entries {
			h := e.hdr
			if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || !h.ModTime.Equal(commitTime) {
				t.Errorf("%s: owner %d:%d %q, mtime %v", h.Name, h.Uid, h.Gid, h.Uname, h.ModTime)
			}
			switch h.Name {
			case "zen-watcher":
				if h.Mode != 0o755 || string(e.data) != "\x7fELF fake "+want.Architecture {
					t.Errorf("binary: mode %o, content %q", h.Mode, e.data)
				}
			case "etc/passwd":
				if string(e.data) != "nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n" {
					t.Errorf("passwd %q", e.data)
				}
			case "etc/group":
				if string(e.data) != "nonroot:x:65532:\n" {
					t.Errorf("group %q", e.data)
				}
			}
		}
	}
}

// TestLayoutNamesTheIndex checks index.json: one entry, the image index,
// named the way containerd's import and podman read.
func TestLayoutNamesTheIndex(t *testing.T) {
	out := writeImage(t, testOptions(t))
	top, err := layout.ImageIndexFromPath(out.dir)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := out.idx.Digest()
	if len(tm.Manifests) != 1 || tm.Manifests[0].Digest != want || tm.Manifests[0].MediaType != types.OCIImageIndex {
		t.Fatalf("index.json: %+v, want one entry %s", tm.Manifests, want)
	}
	ann := tm.Manifests[0].Annotations
	if !strings.HasSuffix(ann[annotationImageName], "/kube-zen/zen-watcher:v1.2.3") || ann[annotationRefName] != "v1.2.3" {
		t.Errorf("annotations %v", ann)
	}
}

// TestArchiveHoldsLayoutAndDockerManifest checks the archive's entries: the
// layout's files, and a manifest.json whose paths exist in the archive.
func TestArchiveHoldsLayoutAndDockerManifest(t *testing.T) {
	out := writeImage(t, testOptions(t))
	f, err := os.Open(out.archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries := readTar(t, f)
	got := names(entries)
	if !slices.IsSorted(got) {
		t.Errorf("entries not sorted: %v", got)
	}
	byName := map[string][]byte{}
	for _, e := range entries {
		byName[e.hdr.Name] = e.data
		if !e.hdr.ModTime.Equal(commitTime) || e.hdr.Uid != 0 {
			t.Errorf("%s: mtime %v, uid %d", e.hdr.Name, e.hdr.ModTime, e.hdr.Uid)
		}
	}
	for _, name := range []string{"oci-layout", "index.json", "manifest.json"} {
		if _, ok := byName[name]; !ok {
			t.Errorf("no %s in %v", name, got)
		}
	}
	var m []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(byName["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || !slices.Equal(m[0].RepoTags, []string{"kube-zen/zen-watcher:v1.2.3"}) || len(m[0].Layers) != 1 {
		t.Fatalf("manifest.json: %+v", m)
	}
	for _, p := range append([]string{m[0].Config}, m[0].Layers...) {
		if _, ok := byName[p]; !ok {
			t.Errorf("manifest.json names %s, not in the archive", p)
		}
	}
	var cfg v1.ConfigFile
	if err := json.Unmarshal(byName[m[0].Config], &cfg); err != nil || cfg.Architecture != "amd64" {
		t.Errorf("manifest.json's config: architecture %q, %v", cfg.Architecture, err)
	}
	if !bytes.Contains(byName["oci-layout"], []byte(`"imageLayoutVersion"`)) {
		t.Errorf("oci-layout: %s", byName["oci-layout"])
	}
}
