// Command image builds zen-watcher's container image from prebuilt static
// binaries, without Docker: an OCI image layout and a tar archive of it.
// `make image` cross-compiles the binaries and runs it.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kube-zen/zen-watcher/internal/image"
)

// binaries collects repeated -binary os/arch=path flags.
type binaries []image.Binary

func (b *binaries) String() string { return fmt.Sprint(*b) }

func (b *binaries) Set(s string) error {
	plat, path, ok := strings.Cut(s, "=")
	goos, arch, ok2 := strings.Cut(plat, "/")
	if !ok || !ok2 {
		return fmt.Errorf("want os/arch=path, got %q", s)
	}
	*b = append(*b, image.Binary{OS: goos, Arch: arch, Path: path})
	return nil
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	var bins binaries
	fs.Var(&bins, "binary", "os/arch=path of a static binary; repeat for each platform")
	var (
		ca       = fs.String("ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "PEM CA bundle copied into the image (the build host's)")
		created  = fs.Int64("created", 0, "commit time, Unix seconds (SOURCE_DATE_EPOCH): every timestamp in the image")
		version  = fs.String("version", "", "org.opencontainers.image.version")
		revision = fs.String("revision", "", "org.opencontainers.image.revision: the full commit id")
		source   = fs.String("source", "", "org.opencontainers.image.source")
		licenses = fs.String("licenses", "", "org.opencontainers.image.licenses (SPDX)")
		ref      = fs.String("ref", "", "image name and tag, e.g. kube-zen/zen-watcher:v0.1.0")
		layout   = fs.String("layout", "bin/image", "OCI image layout directory to write (replaced)")
		archive  = fs.String("archive", "bin/zen-watcher-image.tar", "tar archive to write")
		dockerOS = fs.String("archive-platform", "linux/amd64", "the platform the archive's manifest.json names, for Docker-format readers")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := image.ParseRef(*ref)
	if err != nil {
		return err
	}
	goos, arch, ok := strings.Cut(*dockerOS, "/")
	if !ok {
		return fmt.Errorf("-archive-platform: want os/arch, got %q", *dockerOS)
	}
	when := time.Unix(*created, 0).UTC()
	if *created <= 0 {
		when = time.Time{} // Build reports it missing
	}
	idx, err := image.Build(image.Options{
		Binaries: bins, CABundle: *ca, Created: when,
		Version: *version, Revision: *revision, Source: *source, Licenses: *licenses,
	})
	if err != nil {
		return err
	}
	if err := image.WriteLayout(*layout, idx, r); err != nil {
		return err
	}
	if err := image.WriteArchive(*archive, *layout, idx, r, v1.Platform{OS: goos, Architecture: arch}, when); err != nil {
		return err
	}
	digest, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s %s\n  layout:  %s\n  archive: %s\n", r.Familiar(), digest, *layout, *archive)
	return nil
}
