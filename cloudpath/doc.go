// Package cloudpath reads Cloudpath DPSK exports and turns them into a
// migration plan for RUCKUS One: one PoolUnit per Cloudpath pool, with the R1
// pool settings and the passphrase rows to create, and every row it will not
// send together with the reason.
//
// It is pure data transformation on the standard library. It must never
// import Temporal or an HTTP client, never do I/O beyond the reader it is
// handed, and never put a passphrase into an error, a warning, a reason or a
// log line: plans, summaries and errors are shown to people and stored in
// workflow histories, passphrases are not.
package cloudpath
