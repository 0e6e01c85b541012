// Package image builds zen-watcher's container image without Docker: an OCI
// image index with one image per platform, each a single layer made from
// scratch. The layer holds the static binary, the CA certificates it needs
// to reach an HTTPS API server or output, and /etc/passwd and /etc/group
// entries for the unprivileged user 65532 (nonroot); there is no shell and
// no package manager, so there is nothing else to patch or to exploit.
//
// Builds are reproducible: every timestamp is the commit time the caller
// passes (SOURCE_DATE_EPOCH style), tar entries are sorted and owned by
// root with fixed modes, and gzip output depends only on its input, so two
// builds of the same binaries give the same index digest.
//
// The result is written twice: as an OCI image layout directory, and as a
// tar archive of that layout with a Docker "docker save" manifest.json
// added, which both index-aware tools (containerd, hence kind; podman;
// Docker with the containerd image store) and Docker-format readers
// (classic Docker, crane) accept.
package image
