// Package r1sim is an in-memory RUCKUS One (R1) that speaks the same contract
// as the real API for the calls a DPSK migration makes. A *Sim is an
// http.Handler: start it with httptest.NewServer(r1sim.New(opts)) in a test,
// or with cmd/r1sim as a process.
//
// It reproduces R1's observed behaviour, not an idealised one: OAuth2 tokens
// that expire; 202 + requestId for async writes whose activity answers 404 for
// a while, then PENDING/INPROGRESS, then SUCCESS or FAIL; eventual
// consistency (Options.VisibilityDelay: a write shows in reads only that long
// after its 202, and its activity completes no earlier; uniqueness checks and
// refusals see every accepted write, as R1's do); duplicate pool names
// and duplicate passphrases accepted and then failed asynchronously with R1's
// double-encoded error; 409 for duplicate identity-group and policy-set names;
// sync 400s with R1-shaped bodies for invalid passphrases and VLANs; an
// identity auto-created per passphrase; the DPSK-026 / GENERAL-026 delete
// dependencies; the three paging styles. On top it adds what rehearsals need:
// a per-tenant token bucket answering 429, log-normal latency, injected faults
// (5xx, responses slower than the client's timeout, commit-then-fail: the
// write is applied but the client gets a 502 or a cut connection, and
// quote-passphrase: a create refused with the passphrase quoted back), and an
// inspection API under /__sim/ (inventory, stats, config, reset) with the same
// operations as Go methods. The inventory is the committed state;
// ?view=visible (VisibleInventory) is what reads show now.
//
// The CSV import of passphrases (POST /dpskServices/{poolId}/passphrases/csvFiles,
// csvimport.go) is one 202 write for up to 10,000 entries whose rows become
// passphrases and identities exactly as per-row creates make them; where R1's
// behaviour is not established it picks one reading, documented there, and
// two faults model what a live tenant may do differently: another template
// header (ImportHeaderChanged) and entries silently left out
// (ImportDropsRows).
//
// Wi-Fi networks follow the same rules: create, DPSK-pool binding, venue
// activation (venue-wide: a slot in every AP group of the venue, refused
// past a per-AP-group limit), deactivation and delete are 202 writes that
// reads show after the delay; POST /wifiNetworks/query is current, GET
// /wifiNetworks/{id} stale. Venues and their AP groups are seeded (AddVenue,
// POST /__sim/venues; other networks with AddNetwork, POST /__sim/networks
// or a POST /wifiNetworks of another type). Where the contract does not
// establish R1's behaviour (the limit's number and how it is refused, the
// wording of refusals, activating an active network, duplicate names,
// rebinding a pool, the stale GET, whether reads show the bound pool),
// Options.Networks picks one plausible behaviour of each (NetworkBehaviour),
// also settable through /__sim/config.
//
// What it must never do: log a passphrase, a client secret or a token, or put
// one into an error body (but where the quote-passphrase fault is asked to,
// to prove clients mask what R1 quotes). Its request log carries method, operation, tenant,
// status and duration only. The inventory (GET /__sim/inventory) does hold
// passphrase values: it exists so tests can compare R1's end state with an
// export, and the simulator serves on loopback by default for that reason.
package r1sim
