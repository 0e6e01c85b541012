package image

import (
	"errors"
	"fmt"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// OCI annotation and label keys the image carries.
const (
	LabelVersion  = "org.opencontainers.image.version"
	LabelRevision = "org.opencontainers.image.revision"
	LabelSource   = "org.opencontainers.image.source"
	LabelLicenses = "org.opencontainers.image.licenses"
	LabelCreated  = "org.opencontainers.image.created"
	LabelTitle    = "org.opencontainers.image.title"
)

// Binary is the static executable for one platform.
type Binary struct {
	OS, Arch string
	// Path is the file to copy into the image as /zen-watcher.
	Path string
}

// Options describe the image to build.
type Options struct {
	// Binaries, one per platform, in the order the index lists them.
	Binaries []Binary
	// CABundle is the PEM file copied to /etc/ssl/certs/ca-certificates.crt.
	CABundle string
	// Created is the commit time: every timestamp in the image is this one.
	Created time.Time
	// Version, Revision, Source and Licenses fill the OCI labels.
	Version, Revision, Source, Licenses string
}

func (o Options) validate() error {
	var errs []error
	if len(o.Binaries) == 0 {
		errs = append(errs, errors.New("no binaries given"))
	}
	seen := map[string]bool{}
	for _, b := range o.Binaries {
		p := b.OS + "/" + b.Arch
		if b.OS == "" || b.Arch == "" || b.Path == "" {
			errs = append(errs, fmt.Errorf("binary %q for %q: want OS, architecture and path", b.Path, p))
		}
		if seen[p] {
			errs = append(errs, fmt.Errorf("two binaries for %s", p))
		}
		seen[p] = true
	}
	if o.CABundle == "" {
		errs = append(errs, errors.New("no CA bundle given"))
	}
	if o.Created.IsZero() {
		errs = append(errs, errors.New("no creation time given: pass the commit time"))
	}
	for name, v := range map[string]string{"version": o.Version, "revision": o.Revision, "source": o.Source, "licenses": o.Licenses} {
		if v == "" {
			errs = append(errs, fmt.Errorf("no %s given", name))
		}
	}
	return errors.Join(errs...)
}

// labels are the OCI labels of every image config, and the annotations of
// the index and its manifests.
func (o Options) labels() map[string]string {
	return map[string]string{
		LabelVersion:  o.Version,
		LabelRevision: o.Revision,
		LabelSource:   o.Source,
		LabelLicenses: o.Licenses,
		LabelCreated:  o.Created.UTC().Format(time.RFC3339),
		LabelTitle:    "zen-watcher",
	}
}

// Build assembles the OCI image index, one image per binary.
func Build(o Options) (v1.ImageIndex, error) {
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("image options: %w", err)
	}
	o.Created = o.Created.UTC().Truncate(time.Second)
	ca, err := readFile(o.CABundle)
	if err != nil {
		return nil, fmt.Errorf("reading CA bundle: %w", err)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, b := range o.Binaries {
		img, err := platformImage(o, b, ca)
		if err != nil {
			return nil, fmt.Errorf("image for %s/%s: %w", b.OS, b.Arch, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: platform(b)},
		})
	}
	return mutate.Annotations(idx, o.labels()).(v1.ImageIndex), nil
}

// platform names the arm64 variant as buildx does, so runtimes that match
// on it find the image.
func platform(b Binary) *v1.Platform {
	p := &v1.Platform{OS: b.OS, Architecture: b.Arch}
	if b.Arch == "arm64" {
		p.Variant = "v8"
	}
	return p
}

func platformImage(o Options, b Binary, ca []byte) (v1.Image, error) {
	bin, err := readFile(b.Path)
	if err != nil {
		return nil, fmt.Errorf("reading binary: %w", err)
	}
	raw, err := layerTar(rootFS(bin, ca), o.Created)
	if err != nil {
		return nil, err
	}
	layer, err := newLayer(raw)
	if err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: o.Created},
			CreatedBy: "make image: zen-watcher " + o.Version + ", CA certificates, nonroot account",
			Comment:   "built from scratch by internal/image",
		},
	})
	if err != nil {
		return nil, fmt.Errorf("appending layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = b.OS, b.Arch, platform(b).Variant
	cf.Created = v1.Time{Time: o.Created}
	cf.Author = ""
	cf.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", NonrootID, NonrootID),
		Entrypoint: []string{BinaryPath},
		WorkingDir: "/",
		Labels:     o.labels(),
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("setting config: %w", err)
	}
	return mutate.Annotations(img, o.labels()).(v1.Image), nil
}

func readFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > maxFileSize {
		return nil, fmt.Errorf("%s: want a regular file of at most %d bytes", path, maxFileSize)
	}
	return os.ReadFile(path)
}
