package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// TLSFiles serves a certificate, and trusts client certificates signed by
// a CA, read from files and re-read while serving: cert-manager and
// mounted Secrets replace them in place, and no restart is needed.
type TLSFiles struct {
	certFile, keyFile, clientCAFile string

	cert atomic.Pointer[tls.Certificate]
	pool atomic.Pointer[x509.CertPool]
	seen atomic.Pointer[[3][]byte] // the files' contents last loaded
}

// LoadTLS reads the files; clientCAFile may be empty (no client
// certificates asked for).
func LoadTLS(certFile, keyFile, clientCAFile string) (*TLSFiles, error) {
	t := &TLSFiles{certFile: certFile, keyFile: keyFile, clientCAFile: clientCAFile}
	if _, err := t.reload(); err != nil {
		return nil, err
	}
	return t, nil
}

// reload reads the files and swaps in what changed; it reports whether
// anything did. On error nothing is swapped.
func (t *TLSFiles) reload() (bool, error) {
	var now [3][]byte
	var err error
	for i, path := range []string{t.certFile, t.keyFile, t.clientCAFile} {
		if path == "" {
			continue
		}
		if now[i], err = os.ReadFile(path); err != nil {
			return false, fmt.Errorf("reading %s: %w", path, err)
		}
	}
	if prev := t.seen.Load(); prev != nil && bytes.Equal(prev[0], now[0]) && bytes.Equal(prev[1], now[1]) && bytes.Equal(prev[2], now[2]) {
		return false, nil
	}
	cert, err := tls.X509KeyPair(now[0], now[1])
	if err != nil {
		return false, fmt.Errorf("loading the TLS certificate %s and key %s: %w", t.certFile, t.keyFile, err)
	}
	var pool *x509.CertPool
	if t.clientCAFile != "" {
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(now[2]) {
			return false, errors.New("the client CA file " + t.clientCAFile + " holds no PEM certificate")
		}
	}
	t.cert.Store(&cert)
	t.pool.Store(pool)
	t.seen.Store(&now)
	return true, nil
}

// Config is the server's TLS configuration. Client certificates are
// asked for and verified when a client CA is set, but not required: the
// probes and metrics answer without one, and each webhook decides
// whether it needs one.
func (t *TLSFiles) Config() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			c := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*t.cert.Load()}}
			if pool := t.pool.Load(); pool != nil {
				c.ClientCAs, c.ClientAuth = pool, tls.VerifyClientCertIfGiven
			}
			return c, nil
		},
	}
}

// Watch re-reads the files every interval until ctx ends. Unreadable or
// broken files keep what is loaded, and the log says why.
func (t *TLSFiles) Watch(ctx context.Context, interval time.Duration, log *slog.Logger) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		switch changed, err := t.reload(); {
		case err != nil:
			log.Warn("keeping the loaded TLS files", "error", err.Error())
		case changed:
			log.Info("TLS files reloaded", "cert", t.certFile, "clientCA", t.clientCAFile)
		}
	}
}
