package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The unprivileged identity the image runs as. 65532 is the nonroot user
// of the distroless images, which cluster policies commonly expect.
const (
	NonrootID   = 65532
	nonrootName = "nonroot"
)

// Paths inside the image.
const (
	BinaryPath  = "/zen-watcher"
	CAFilePath  = "/etc/ssl/certs/ca-certificates.crt" // where Go's crypto/x509 looks first on Linux
	passwdPath  = "/etc/passwd"
	groupPath   = "/etc/group"
	fileMode    = 0o644
	binaryMode  = 0o755
	dirMode     = 0o755
	maxFileSize = 1 << 30 // a guard against a wrong path, not a real limit
)

// file is one regular file of the root filesystem.
type file struct {
	path string // absolute, inside the image
	mode int64
	data []byte
}

// rootFS returns the files of the image: the binary, the CA bundle and the
// account entries.
func rootFS(binary, caBundle []byte) []file {
	passwd := fmt.Sprintf("%s:x:%d:%d:%s:/nonexistent:/sbin/nologin\n", nonrootName, NonrootID, NonrootID, nonrootName)
	group := fmt.Sprintf("%s:x:%d:\n", nonrootName, NonrootID)
	return []file{
		{path: BinaryPath, mode: binaryMode, data: binary},
		{path: CAFilePath, mode: fileMode, data: caBundle},
		{path: passwdPath, mode: fileMode, data: []byte(passwd)},
		{path: groupPath, mode: fileMode, data: []byte(group)},
	}
}

// layerTar writes files, and the directories above them, as one tar with
// entries sorted by name, owned by root, every time set to mtime: the same
// files always give the same bytes.
func layerTar(files []file, mtime time.Time) ([]byte, error) {
	type entry struct {
		name string
		file *file
	}
	seen := map[string]bool{}
	var entries []entry
	for i := range files {
		f := &files[i]
		name := strings.TrimPrefix(path.Clean(f.path), "/")
		entries = append(entries, entry{name: name, file: f})
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if !seen[dir] {
				seen[dir] = true
				entries = append(entries, entry{name: dir + "/"})
			}
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, ModTime: mtime, Format: tar.FormatPAX}
		if e.file == nil {
			hdr.Typeflag, hdr.Mode = tar.TypeDir, dirMode
		} else {
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, e.file.mode, int64(len(e.file.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("writing tar header %s: %w", e.name, err)
		}
		if e.file != nil {
			if _, err := tw.Write(e.file.data); err != nil {
				return nil, fmt.Errorf("writing %s into the layer: %w", e.name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing layer tar: %w", err)
	}
	return buf.Bytes(), nil
}

// newLayer wraps an uncompressed tar as an OCI gzip layer. The compressed
// form is computed once and kept: digest, size and the blob itself all
// read it.
func newLayer(uncompressed []byte) (v1.Layer, error) {
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(uncompressed)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
	if err != nil {
		return nil, fmt.Errorf("building layer: %w", err)
	}
	return l, nil
}
