package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

// A person checks the networks against R1, migrates, reads where each pool is
// on the air, and checks again: everything is adopted and active already.
func TestCheckR1StartAndStatusPutEachPoolOnTheAir(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.startWorker(0)
	venue, err := e.sim.AddVenue(e.tenant, r1sim.VenueSeed{Name: "Lakeside HQ", APGroups: []string{"Floor 1"}, NetworksPerAPGroup: 2})
	require.NoError(t, err)
	file := e.export(sampledata.Spec{Pools: 2, RowsPerPool: 10, Seed: 71})
	flags := []string{"--network-mode", "per-pool", "--name-prefix", "LS ", "--venue", "Lakeside HQ",
		"--ssid-map", "Building A1 s71=Res A", "--ssid-map", "Building B1 s71=Res B", "--max-ssids-per-ap-group", "4"}

	r := e.run(append([]string{"plan", "--check-r1", file}, flags...)...)
	t.Logf("plan --check-r1 before:\n%s", r)
	require.Equal(t, 0, r.code, r)
	require.Regexp(t, `(?m)^building-a1-s71-[0-9a-f]{8}\s+"LS Res A"\s+"Res A"\s+create\s+"Lakeside HQ" activate$`, r.stdout)
	require.Regexp(t, `(?m)^"Lakeside HQ"\s+"Lakeside HQ" \S+\s+2\s+"\S+"\s+2\s+2\s+4$`, r.stdout, "2 SSIDs now, 2 to add: at the limit of 4, not over")
	require.Contains(t, r.stdout, "Networks and venues: no problem found")

	r = e.run(append([]string{"start", file, "--watch"}, flags...)...)
	t.Logf("start --watch:\n%s", r)
	require.Equal(t, 0, r.code, r)
	id := startedID(t, r)
	require.Contains(t, r.stdout, "\nOn the air:\n")

	r = e.run("status", id)
	require.Equal(t, 0, r.code, r)
	for _, p := range []string{"A", "B"} {
		require.Contains(t, r.stdout, "  Building "+p+"1 s71: network \"LS Res "+p+"\" (SSID \"Res "+p+"\") created, active on Lakeside HQ\n")
	}
	for _, l := range strings.Split(r.stdout, "\n") {
		if !strings.Contains(l, "://") {
			require.LessOrEqual(t, len([]rune(l)), 100, "status fits 100 columns: %q", l)
		}
	}

	r = e.run(append([]string{"plan", "--check-r1", file}, flags...)...)
	t.Logf("plan --check-r1 after:\n%s", r)
	require.Equal(t, 0, r.code, r)
	require.Len(t, regexp.MustCompile(`(?m)^building-\w+-s71-[0-9a-f]{8}\s+"LS Res \w"\s+"Res \w"\s+adopt and bind\s+"Lakeside HQ" active already$`).FindAllString(r.stdout, -1), 2,
		"the networks the run created are adopted, and active already")
	require.Regexp(t, `(?m)^"Lakeside HQ"\s+"Lakeside HQ" `+venue.ID+`\s+2\s+"\S+"\s+4\s+0\s+4$`, r.stdout)

	// One more pool on the venue would be over the limit: exit 2, before anything starts.
	r = e.run("plan", "--check-r1", file, "--network-mode", "per-pool", "--name-prefix", "LS ", "--venue", "Lakeside HQ",
		"--ssid-map", "Building A1 s71=Res A", "--ssid-map", "Building B1 s71=Res B2", "--max-ssids-per-ap-group", "4")
	t.Logf("plan --check-r1 over the limit:\n%s", r)
	require.Equal(t, 2, r.code, r)
	require.Regexp(t, `venue "Lakeside HQ": AP group "\S+" already carries 4 SSIDs and this migration would activate 1 more network venue-wide \("LS Res B2"\), 5 in all: over the limit of 4`, r.stdout)
}
