package snapshot

import (
	"crypto/tls"
	"net/http"
)

// recoverTransport returns the transport of the recover download client:
// nil (http.DefaultTransport) unless RecoverRootCAs is set, then a copy of
// the default transport that trusts exactly those authorities.
func (m *Manager) recoverTransport() http.RoundTripper {
	if m.RecoverRootCAs == nil {
		return nil
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: m.RecoverRootCAs, MinVersion: tls.VersionTLS12}
	return t
}
