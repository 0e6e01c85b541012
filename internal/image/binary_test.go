package image

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestBinaryFromLayerRuns builds the real zen-watcher for this host's
// architecture as `make build` does (static, CGO off), makes the image,
// extracts the binary from the host platform's layer, and runs --version:
// the image holds no libc, so only a static binary would run.
func TestBinaryFromLayerRuns(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the image is linux only")
	}
	if testing.Short() {
		t.Skip("builds the daemon")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command on PATH: %v", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "zen-watcher")
	gobuild := exec.Command(goTool, "build", "-trimpath",
		"-ldflags", "-s -w -X github.com/kube-zen/zen-watcher/internal/version.Version=v0.0.0-imagetest",
		"-o", bin, "github.com/kube-zen/zen-watcher/cmd/zen-watcher")
	gobuild.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := gobuild.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	o := testOptions(t)
	o.Binaries = []Binary{{OS: "linux", Arch: runtime.GOARCH, Path: bin}}
	out := writeImage(t, o)
	h, err := platformDigest(out.idx, runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := mustImage(t, out.idx, h).Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	extracted := filepath.Join(dir, "extracted")
	for _, e := range readTar(t, rc) {
		if e.hdr.Name == "zen-watcher" {
			if err := os.WriteFile(extracted, e.data, os.FileMode(e.hdr.Mode)); err != nil {
				t.Fatal(err)
			}
		}
	}
	cmd := exec.Command(extracted, "--version")
	cmd.Env = []string{} // nothing from this host's environment
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("running the extracted binary: %v\n%s", err, got)
	}
	if !strings.HasPrefix(string(got), "zen-watcher v0.0.0-imagetest (") {
		t.Errorf("--version printed %q", got)
	}
}
