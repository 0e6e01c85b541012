package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/kube-zen/zen-watcher/internal/filewatch"
)

// TLSFiles serves a certificate, and trusts client certificates signed by
// a CA, read from files and re-read while serving (by a filewatch.Watcher
// the File is added to): cert-manager and mounted Secrets replace them in
// place, and no restart is needed.
type TLSFiles struct {
	file *filewatch.File[tlsState]
}

// tlsState is what the files hold: the serving certificate and the pool of
// client CAs, nil when no client certificates are asked for.
type tlsState struct {
	cert tls.Certificate
	pool *x509.CertPool
}

// LoadTLS reads the files; clientCAFile may be empty (no client
// certificates asked for).
func LoadTLS(certFile, keyFile, clientCAFile string) (*TLSFiles, error) {
	paths := []string{certFile, keyFile}
	if clientCAFile != "" {
		paths = append(paths, clientCAFile)
	}
	parse := func(c [][]byte) (tlsState, error) {
		cert, err := tls.X509KeyPair(c[0], c[1])
		if err != nil {
			return tlsState{}, fmt.Errorf("loading the TLS certificate %s and key %s: %w", certFile, keyFile, err)
		}
		s := tlsState{cert: cert}
		if clientCAFile != "" {
			s.pool = x509.NewCertPool()
			if !s.pool.AppendCertsFromPEM(c[2]) {
				return tlsState{}, errors.New("the client CA file " + clientCAFile + " holds no PEM certificate")
			}
		}
		return s, nil
	}
	f, err := filewatch.Load("TLS", parse, paths...)
	if err != nil {
		return nil, err
	}
	return &TLSFiles{file: f}, nil
}

// File is what a filewatch.Watcher keeps current.
func (t *TLSFiles) File() filewatch.Reloader { return t.file }

// Config is the server's TLS configuration. Client certificates are
// asked for and verified when a client CA is set, but not required: the
// probes and metrics answer without one, and each webhook decides
// whether it needs one.
func (t *TLSFiles) Config() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			s := t.file.Get()
			c := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{s.cert}}
			if s.pool != nil {
				c.ClientCAs, c.ClientAuth = s.pool, tls.VerifyClientCertIfGiven
			}
			return c, nil
		},
	}
}
