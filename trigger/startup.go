package trigger

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// TokenEnv names the environment variable that holds the bearer token.
const TokenEnv = "DPSKMIGRATE_TRIGGER_TOKEN"

// MinTokenLength keeps guessable tokens out.
const MinTokenLength = 16

// CheckAuth decides whether the service may start listening on addr: with a
// token it always may; without one only when insecureNoAuth is set and addr
// is a loopback address, since anyone who reaches the port could otherwise
// start migrations into the tenant.
func CheckAuth(addr, token string, insecureNoAuth bool) error {
	if token != "" {
		if len(token) < MinTokenLength {
			return fmt.Errorf("%s is %d characters long: use at least %d (for example `openssl rand -hex 32`)", TokenEnv, len(token), MinTokenLength)
		}
		if strings.ContainsAny(token, " \t\r\n") {
			return fmt.Errorf("%s contains whitespace: a bearer token cannot", TokenEnv)
		}
		return nil
	}
	if !insecureNoAuth {
		return fmt.Errorf("refusing to start without a bearer token: set %s (for example `export %s=$(openssl rand -hex 32)`), or for local use only pass --insecure-no-auth with a loopback --addr such as 127.0.0.1:8080", TokenEnv, TokenEnv)
	}
	if !IsLoopback(addr) {
		return fmt.Errorf("refusing to start without a bearer token on %s: --insecure-no-auth is allowed only on a loopback address (127.0.0.1, ::1 or localhost); set %s to listen on other addresses", addr, TokenEnv)
	}
	return nil
}

// IsLoopback reports whether every connection to addr (host:port) must come
// from this machine. An empty host listens on every interface.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckListener re-checks the address actually bound, in case a host name
// resolved to something other than loopback.
func CheckListener(bound net.Addr, token string, insecureNoAuth bool) error {
	if token != "" || !insecureNoAuth {
		return nil
	}
	tcp, ok := bound.(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() {
		return errors.New("refusing to serve without a bearer token: the listener is bound to " + bound.String() + ", which is not a loopback address")
	}
	return nil
}
