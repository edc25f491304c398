package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

const checkTenant = "tenant-check-r1"

// r1Env is a simulated R1 on real HTTP, and the CLI's environment for it.
type r1Env struct {
	sim *r1sim.Sim
	c   *r1client.Client
	env map[string]string
}

func newR1Env(t *testing.T, opts r1sim.Options) *r1Env {
	t.Helper()
	sim := r1sim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	env := map[string]string{"R1_BASE_URL": srv.URL, "R1_TENANT_ID": checkTenant, "R1_CLIENT_ID": "cli", "R1_CLIENT_SECRET": "secret"}
	c, err := r1client.New(r1client.Config{BaseURL: srv.URL, TenantID: checkTenant, ClientID: "cli", ClientSecret: "secret", Timeout: 5 * time.Second})
	require.NoError(t, err)
	return &r1Env{sim: sim, c: c, env: env}
}

func (e *r1Env) run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &App{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return e.env[k] },
		Now: func() time.Time { return time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC) }}
	code = a.Run(context.Background(), args)
	return out.String(), errb.String(), code
}

func (e *r1Env) venue(t *testing.T, seed r1sim.VenueSeed) r1sim.SeededVenue {
	t.Helper()
	v, err := e.sim.AddVenue(checkTenant, seed)
	require.NoError(t, err)
	return v
}

func (e *r1Env) network(t *testing.T, seed r1sim.NetworkSeed) string {
	t.Helper()
	id, err := e.sim.AddNetwork(checkTenant, seed)
	require.NoError(t, err)
	return id
}

// pool creates an identity group and a DPSK pool of that name in R1.
func (e *r1Env) pool(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	g, err := e.c.IdentityGroups.Create(ctx, name, "")
	require.NoError(t, err)
	p, err := e.c.Pools.Create(ctx, g.ID, r1client.Pool{Name: name, PassphraseFormat: "KEYBOARD_FRIENDLY", PassphraseLength: 8})
	require.NoError(t, err)
	require.NotEmpty(t, p.ID)
	return p.ID
}

// problemsOf are the lines of the output's Problems list.
func problemsOf(out string) []string {
	i := strings.Index(out, "\nProblems (")
	if i < 0 {
		return nil
	}
	var list []string
	for _, l := range strings.Split(out[i+1:], "\n")[1:] {
		if !strings.HasPrefix(l, "  - ") {
			break
		}
		list = append(list, strings.TrimPrefix(l, "  - "))
	}
	return list
}

// networkRow is the line of the networks table for the pool whose key starts with prefix.
func networkRow(t *testing.T, out, keyPrefix string) string {
	t.Helper()
	i := strings.Index(out, "Wi-Fi networks in R1 now")
	require.GreaterOrEqual(t, i, 0, out)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(keyPrefix) + `-[0-9a-f]{8}\s.*$`).FindString(out[i:])
	require.NotEmpty(t, m, "no network row for %s:\n%s", keyPrefix, out)
	return m
}

// Every network and venue the workflow would refuse is named, with the fix,
// and the check exits 2; what R1 matches only loosely is no collision.
func TestCheckR1NamesEveryNetworkAndVenueTheMigrationWouldRefuse(t *testing.T) {
	e := newR1Env(t, r1sim.Options{Networks: r1sim.NetworkBehaviour{ExposePool: true}})
	north := e.venue(t, r1sim.VenueSeed{Name: "Campus North", APGroups: []string{"Floor 1", "Floor 2"}, NetworksPerAPGroup: 2})
	floor2 := north.APGroups[2].ID
	// Floor 2 is the fullest: 2 of its own, 2 more active on it alone.
	for i := range 2 {
		e.network(t, r1sim.NetworkSeed{Name: fmt.Sprintf("Lobby %d", i), SSID: fmt.Sprintf("Lobby %d", i), VenueID: north.ID, APGroupIDs: []string{floor2}})
	}
	file := sampleFile(t, sampledata.Spec{Pools: 6, RowsPerPool: 3, Seed: 61})
	args := []string{"plan", "--check-r1", file, "--network-mode", "per-pool", "--name-prefix", "LS ",
		"--venue", "Campus North", "--venue-map", "Building F1 s61=Annex", "--venue-map", "Building F1 s61=6f1c0c3a9f2e4b7d8a1b2c3d4e5f6a7b"}
	for i := range 6 {
		args = append(args, "--ssid-map", fmt.Sprintf("Building %c1 s61=Res %c", 'A'+i, 'A'+i))
	}

	// A: a PSK network holds its SSID. B: a DPSK network holds its name on
	// another SSID. C: two networks hold its name and its SSID. D: a DPSK
	// network of its name and SSID that dpskmigrate did not create. E: one
	// serving another pool. F: nothing in R1 (R1's loose filters show
	// "Res F Guest" too) but its venues are unknown.
	e.network(t, r1sim.NetworkSeed{Name: "Guest A", SSID: "Res A"})
	e.network(t, r1sim.NetworkSeed{Name: "LS Res B", SSID: "Other B", Type: "dpsk"})
	e.network(t, r1sim.NetworkSeed{Name: "LS Res C", SSID: "Old C", Type: "open"})
	e.network(t, r1sim.NetworkSeed{Name: "Staff C", SSID: "Res C", Type: "dpsk"})
	e.network(t, r1sim.NetworkSeed{Name: "LS Res D", SSID: "Res D", Type: "dpsk"})
	other := e.pool(t, "Somebody Else")
	e.network(t, r1sim.NetworkSeed{Name: "LS Res E", SSID: "Res E", Type: "dpsk", PoolID: other})
	e.network(t, r1sim.NetworkSeed{Name: "LS Res F Guest", SSID: "Res F Guest"})

	out, errOut, code := e.run(t, append(args, "--max-ssids-per-ap-group", "8")...)
	t.Log("\n" + out)
	require.Equal(t, ExitPartial, code, errOut)
	require.Empty(t, errOut)
	problems := problemsOf(out)
	want := []string{
		`pool building-a1-s61-\w+, network "LS Res A": R1 already has a psk network "Guest A" with SSID "Res A"; it is not a DPSK network and the migration would leave it untouched: choose another SSID \(--ssid-map\)`,
		`pool building-b1-s61-\w+, network "LS Res B": R1 already has a DPSK network "LS Res B" with SSID "Other B", which does not match the plan's "LS Res B" / "Res B"; the migration would leave it untouched`,
		`pool building-c1-s61-\w+, network "LS Res C": 2 networks in R1 use SSID "Res C" or name "LS Res C" \("Staff C"/"Res C" dpsk, "LS Res C"/"Old C" open\)`,
		`pool building-d1-s61-\w+, network "LS Res D": R1 already has a DPSK network "LS Res D" \(SSID "Res D"\) that dpskmigrate did not create for this pool, and R1 does not say which pool it serves`,
		`pool building-e1-s61-\w+, network "LS Res E": R1's DPSK network "LS Res E" \(SSID "Res E"\) serves another DPSK pool \(` + other + `\); the migration would leave it untouched: a network serves one pool`,
		`venue "Campus North": AP group "Floor 2" already carries 4 SSIDs and this migration would activate 5 more networks venue-wide \("LS Res A", "LS Res B", "LS Res C", "LS Res D", "LS Res E"\), 9 in all: over the limit of 8 per AP group \(--max-ssids-per-ap-group`,
		`venue "Annex": no R1 venue is named "Annex": check the name \(exact, case-sensitive\) or give the venue id \(--venue, --venue-map\); the migration would stop before any pool starts`,
		`venue "6f1c0c3a9f2e4b7d8a1b2c3d4e5f6a7b": R1 holds no venue with this id; check --venue or --venue-map; the migration would stop before any pool starts`,
	}
	require.Len(t, problems, len(want), out)
	for i, w := range want {
		require.Regexp(t, "^"+w, problems[i])
	}
	require.Contains(t, out, "exit code 2")
	require.Regexp(t, `"LS Res A"\s+"Res A"\s+refused\s+"Campus North" activate$`, networkRow(t, out, "building-a1-s61"))
	require.Regexp(t, `"LS Res F"\s+"Res F"\s+create\s+"Annex" activate, "6f1c0c3a9f2e4b7d8a1b2c3d4e5f6a7b" activate$`, networkRow(t, out, "building-f1-s61"),
		"an SSID R1 matches only loosely is no collision")
	require.Regexp(t, `(?m)^"Campus North"\s+"Campus North" `+north.ID+`\s+3\s+"Floor 2"\s+4\s+5\s+9 \(over\)$`, out)
	require.Regexp(t, `(?m)^"Annex"\s+-\s+-`, out)

	// Within the default limit of 15, the venue is no problem.
	out, _, code = e.run(t, args...)
	require.Equal(t, ExitPartial, code)
	require.Len(t, problemsOf(out), 7, out)
	require.NotContains(t, out, "over the limit")
	require.Contains(t, out, "Venues (at most 15 SSIDs per AP group")
	require.Regexp(t, `(?m)^"Campus North"\s.*\s4\s+5\s+9$`, out)

	// Passphrases alone, or networks with no problem, exit 0.
	out, errOut, code = e.run(t, "plan", "--check-r1", file)
	require.Equal(t, ExitOK, code, errOut)
	require.NotContains(t, out, "Wi-Fi networks in R1")
	require.NotContains(t, out, "Problems")
}

// A re-run adopts the network it created (its description says so) or one
// R1 says serves the pool, and counts no slot for a venue it is active on.
func TestCheckR1AdoptsWhatTheMigrationWouldAdoptAndCountsOnlyNewActivations(t *testing.T) {
	e := newR1Env(t, r1sim.Options{Networks: r1sim.NetworkBehaviour{ExposePool: true}})
	ctx := context.Background()
	north := e.venue(t, r1sim.VenueSeed{Name: "Campus North", APGroups: []string{"Floor 1"}, NetworksPerAPGroup: 1})
	e.venue(t, r1sim.VenueSeed{Name: "Campus North Annex"}) // R1's loose name filter shows it for "Campus North"
	file := sampleFile(t, sampledata.Spec{Pools: 3, RowsPerPool: 2, Seed: 62})
	args := []string{"plan", "--check-r1", file, "--network-mode", "per-pool",
		"--venue", "Campus North", "--venue-map", "Building C1 s62=" + north.ID, "--venue-map", "Building C1 s62=Campus North",
		"--ssid-map", "Building A1 s62=Res A", "--ssid-map", "Building B1 s62=Res B", "--ssid-map", "Building C1 s62=Res C"}

	// A: created by an earlier run (its description names the pool), active
	// on the venue already. B: R1 says it serves the pool, which exists.
	// C: nothing yet.
	created, err := e.c.WifiNetworks.CreateDPSK(ctx, r1client.DPSKNetwork{Name: "Res A", SSID: "Res A", Description: cloudpath.ImportDescriptionPrefix + "Building A1 s62"})
	require.NoError(t, err)
	_, err = e.c.Venues.ActivateNetwork(ctx, north.ID, created.ID, "")
	require.NoError(t, err)
	poolB := e.pool(t, "Building B1 s62")
	e.network(t, r1sim.NetworkSeed{Name: "Res B", SSID: "Res B", Type: "dpsk", PoolID: poolB})

	out, errOut, code := e.run(t, args...)
	t.Log("\n" + out)
	require.Equal(t, ExitOK, code, errOut)
	require.Regexp(t, `"Res A"\s+"Res A"\s+adopt and bind\s+"Campus North" active already$`, networkRow(t, out, "building-a1-s62"))
	require.Regexp(t, `"Res B"\s+"Res B"\s+adopt\s+"Campus North" activate$`, networkRow(t, out, "building-b1-s62"))
	require.Regexp(t, `"Res C"\s+"Res C"\s+create\s+"`+north.ID+`" activate, "Campus North" activate$`, networkRow(t, out, "building-c1-s62"))
	require.Regexp(t, `(?m)^"Campus North", "`+north.ID+`"\s+"Campus North" `+north.ID+`\s+2\s+"\S+"\s+2\s+2\s+4$`, out,
		"the id and the name of one venue are one venue; the network active on it takes no new slot (A's own slot is among the 2)")
	require.Contains(t, out, "Networks and venues: no problem found")
	require.Regexp(t, `(?m)^building-b1-s62-[0-9a-f]{8}\s+adopt "Building B1 s62"\s+adopt "Building B1 s62"`, out)
}

func TestCheckR1RefusesAnOutOfRangeSSIDLimitBeforeReadingAnything(t *testing.T) {
	_, errOut, code := run(t, "plan", "x.json", "--check-r1", "--max-ssids-per-ap-group", "65")
	require.Equal(t, ExitFailed, code)
	require.Contains(t, errOut, "--max-ssids-per-ap-group 65 is out of range: use 1 to 64 (default 15)")

	file := sampleFile(t, sampledata.Spec{Pools: 1, RowsPerPool: 2, Seed: 63})
	_, errOut, code = run(t, "plan", file, "--max-ssids-per-ap-group", "10")
	require.Equal(t, ExitOK, code)
	require.Contains(t, errOut, "only applies with --check-r1 and --network-mode per-pool")
}
