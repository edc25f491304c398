// Package r1client is a small REST client for the parts of the RUCKUS One
// (R1) API that a Cloudpath DPSK migration needs: identity groups, DPSK pools
// ("DPSK services"), passphrases, identities, policy sets, DPSK Wi-Fi
// networks and their activation on venues, and R1's async activities.
//
// It follows the go-github shape: a Client holding one small service per
// resource family, context first on every call, typed errors a caller
// branches on with errors.As (RateLimitError, ConflictError, ValidationError,
// NotFoundError, UnauthorizedError, ServerError, TransportError), and explicit
// paging: every list call is exactly one HTTP request and returns a Page.
//
// Authentication is OAuth2 client credentials at POST /oauth2/token/{tenantId};
// the token is cached, refreshed shortly before it expires and once more when
// R1 answers 401.
//
// What this package must never do: log, or put into an error string, a
// passphrase, a client secret or an access token. Request bodies are never
// echoed into errors; error texts taken from R1's responses are capped in
// length. Passphrase and PassphraseCreate redact themselves when printed or
// logged. The optional Logger only ever sees method, path, status and
// duration.
package r1client
