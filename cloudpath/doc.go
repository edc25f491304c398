// Package cloudpath reads Cloudpath DPSK exports and turns them into a
// migration plan for RUCKUS One: one PoolUnit per Cloudpath pool (or per
// shared SSID, when pools are merged by SSID), with the R1 pool settings, the
// passphrase rows to create, every row it will not send together with the
// reason, and, when asked for, the DPSK Wi-Fi network of each unit.
//
// It is pure data transformation on the standard library. It must never
// import Temporal or an HTTP client, never do I/O beyond the reader it is
// handed, and never put a passphrase into an error, a warning, a reason or a
// log line: plans, summaries and errors are shown to people and stored in
// workflow histories, passphrases are not.
package cloudpath
