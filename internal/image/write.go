package image

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Annotations on the layout's index.json entry that name the image. They
// follow what "docker save" writes: containerd's import (and so kind load)
// names the image from the first, podman from the second.
const (
	annotationImageName = "io.containerd.image.name"
	annotationRefName   = "org.opencontainers.image.ref.name"
)

// Ref is an image reference, normalized the way container runtimes
// normalize the image of a pod spec, so an imported image is found under
// the name a manifest uses.
type Ref struct {
	named reference.NamedTagged
}

// ParseRef parses an image reference, such as "kube-zen/zen-watcher:v1";
// a reference without a tag gets "latest".
func ParseRef(s string) (Ref, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return Ref{}, fmt.Errorf("image reference %q: %w", s, err)
	}
	if _, digested := named.(reference.Digested); digested {
		return Ref{}, fmt.Errorf("image reference %q: want a tag, not a digest", s)
	}
	tagged, ok := reference.TagNameOnly(named).(reference.NamedTagged)
	if !ok {
		return Ref{}, fmt.Errorf("image reference %q: no tag", s)
	}
	return Ref{named: tagged}, nil
}

// String is the fully qualified reference.
func (r Ref) String() string { return r.named.String() }

// Familiar is the short form Docker shows, e.g. "kube-zen/zen-watcher:v1".
func (r Ref) Familiar() string { return reference.FamiliarString(r.named) }

// WriteLayout replaces dir with an OCI image layout whose index.json has
// one entry, the image index, named ref. Nesting the index this way is what
// "docker save" and containerd's export write, and lets "crane push DIR"
// push the whole index.
func WriteLayout(dir string, idx v1.ImageIndex, ref Ref) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing old layout %s: %w", dir, err)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("creating layout %s: %w", dir, err)
	}
	err = p.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		annotationImageName: ref.String(),
		annotationRefName:   ref.named.Tag(),
	}))
	if err != nil {
		return fmt.Errorf("writing index into layout %s: %w", dir, err)
	}
	return nil
}

// WriteArchive writes the layout in dir as one tar at path, adding a Docker
// manifest.json that names the image of dockerPlatform (for example
// linux/amd64). Readers of the OCI layout (containerd, podman, Docker with
// the containerd store) see every platform; readers of Docker's older
// format, which holds one image per tag, see that one. Entries are sorted
// and carry mtime, so the same layout gives the same bytes.
func WriteArchive(path, dir string, idx v1.ImageIndex, ref Ref, dockerPlatform v1.Platform, mtime time.Time) error {
	manifest, err := dockerManifest(idx, ref, dockerPlatform)
	if err != nil {
		return err
	}
	files := []file{{path: "manifest.json", mode: fileMode, data: manifest}}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, file{path: filepath.ToSlash(rel), mode: fileMode, data: data})
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading layout %s: %w", dir, err)
	}
	raw, err := layerTar(files, mtime.UTC().Truncate(time.Second))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("renaming %s: %w", tmp, err)
	}
	return nil
}

// dockerManifest is the manifest.json of "docker save": the config and
// layers of one image, as paths into the layout's blobs.
func dockerManifest(idx v1.ImageIndex, ref Ref, want v1.Platform) ([]byte, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading index: %w", err)
	}
	for _, desc := range im.Manifests {
		if desc.Platform == nil || desc.Platform.OS != want.OS || desc.Platform.Architecture != want.Architecture {
			continue
		}
		img, err := idx.Image(desc.Digest)
		if err != nil {
			return nil, fmt.Errorf("reading image %s: %w", desc.Digest, err)
		}
		cfg, err := img.ConfigName()
		if err != nil {
			return nil, fmt.Errorf("reading config name: %w", err)
		}
		m, err := img.Manifest()
		if err != nil {
			return nil, fmt.Errorf("reading manifest: %w", err)
		}
		entry := tarball.Descriptor{Config: blobPath(cfg), RepoTags: []string{ref.Familiar()}}
		for _, l := range m.Layers {
			entry.Layers = append(entry.Layers, blobPath(l.Digest))
		}
		return json.Marshal(tarball.Manifest{entry})
	}
	return nil, fmt.Errorf("no image for %s/%s in the index", want.OS, want.Architecture)
}

func blobPath(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }
