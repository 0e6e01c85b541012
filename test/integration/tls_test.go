package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kube-zen/zen-watcher/internal/config"
)

// testCA issues certificates for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "zen test CA"}, IsCA: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a certificate and key, PEM-encoded, for a server (with
// 127.0.0.1) or a client.
func (ca *testCA) issue(t *testing.T, cn string, serial int64, server bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	if server {
		tmpl.IPAddresses, tmpl.ExtKeyUsage = []net.IP{net.ParseIP("127.0.0.1")}, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// servingFiles writes a serving certificate ca issued to zen-watcher, its
// key and ca's own certificate to files, and returns their paths.
func (ca *testCA) servingFiles(t *testing.T) (certFile, keyFile, caFile string) {
	dir := t.TempDir()
	certFile, keyFile, caFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), filepath.Join(dir, "ca.crt")
	crt, key := ca.issue(t, "zen-watcher", 2, true)
	writeFile(t, certFile, crt)
	writeFile(t, keyFile, key)
	writeFile(t, caFile, ca.pem)
	return certFile, keyFile, caFile
}

// roots is a pool that trusts ca alone.
func (ca *testCA) roots() *x509.CertPool {
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	return roots
}

// client is an HTTPS client that trusts ca and, unless cn is empty,
// presents a client certificate ca issues to cn with serial.
func (ca *testCA) client(t *testing.T, cn string, serial int64) *http.Client {
	t.Helper()
	cfg := &tls.Config{RootCAs: ca.roots(), MinVersion: tls.VersionTLS12}
	if cn != "" {
		c, k := ca.issue(t, cn, serial, false)
		pair, err := tls.X509KeyPair(c, k)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
}

func TestMutualTLSAndCertificateReload(t *testing.T) {
	ca := newTestCA(t)
	certFile, keyFile, caFile := ca.servingFiles(t)
	d := startDaemonWith(t, restConfig, func(c *config.Config) {
		c.Webhooks.Token = webhookToken
		c.Webhooks.TLSCertFile, c.Webhooks.TLSKeyFile, c.Webhooks.TLSClientCAFile = certFile, keyFile, caFile
		c.Webhooks.FalcoAuth = []string{"mtls"}
	})
	url := strings.Replace(d.url, "http://", "https://", 1)
	withCert, noCert := ca.client(t, "falco-node-1", 3), ca.client(t, "", 0)

	eventually(t, "HTTPS /health without a client certificate", func() error {
		resp, err := noCert.Get(url + "/health")
		if err == nil {
			resp.Body.Close()
		}
		return err
	})
	routine := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"tls-routine","stage":"ResponseComplete",` +
		`"verb":"get","user":{"username":"system:node:n1"},"objectRef":{"resource":"configmaps","namespace":"kube-system","name":"x"},"responseStatus":{"code":200}}`)
	post := func(c *http.Client, path string, token string) int {
		body := alert("mTLS "+uniqueName(t), "mtls-pod")
		if path == "/audit/webhook" {
			body = routine // kept by no rule: the answer is about authentication only
		}
		return postJSON(t, c, url+path, token, body)
	}
	for _, tc := range []struct {
		name   string
		client *http.Client
		path   string
		token  string
		want   int
	}{
		{"falco with a client certificate", withCert, "/falco/webhook", "", http.StatusAccepted},
		{"falco without one", noCert, "/falco/webhook", "", http.StatusUnauthorized},
		{"falco with only a token: FALCO_WEBHOOK_AUTH=mtls", noCert, "/falco/webhook", webhookToken, http.StatusUnauthorized},
		{"audit with a token: every method configured", noCert, "/audit/webhook", webhookToken, http.StatusAccepted},
		{"audit with a client certificate", withCert, "/audit/webhook", "", http.StatusAccepted},
	} {
		if got := post(tc.client, tc.path, tc.token); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}

	// A renewed server certificate is served without a restart.
	crt2, key2 := ca.issue(t, "zen-watcher", 42, true)
	writeFile(t, keyFile, key2)
	writeFile(t, certFile, crt2)
	eventually(t, "the renewed certificate served", func() error {
		conn, err := tls.Dial("tcp", strings.TrimPrefix(url, "https://"), &tls.Config{RootCAs: ca.roots()})
		if err != nil {
			return err
		}
		defer conn.Close()
		if serial := conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64(); serial != 42 {
			return fmt.Errorf("serving serial %d", serial)
		}
		return nil
	})
}
