package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/runrecord"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

const airID = "migration-lakeside-5e1f0a2b-77c0de"

// Errors as the pool workflow words them when its network step stops.
const (
	slotRefusal = `network "LS Res C": venue "Campus North": refused before activating: AP group "Floor 2" already carries 15 SSIDs and the limit is 15 per AP group (--max-ssids-per-ap-group; R1 does not document its own limit); free a slot on the venue or activate the network on fewer AP groups in R1`
	pskRefusal  = `network "LS Res D": R1 already has a psk network "Guest D" with SSID "Res D"; it is not a DPSK network and was left untouched: choose another SSID (--ssid-map) or remove it in R1`
)

func act(id, name string, created bool) runrecord.Activation {
	return runrecord.Activation{VenueID: id, VenueName: name, Created: created}
}

const (
	northID = "24f69e915cd14576b7c8edb410427ab8"
	annexID = "7a0c3d1e9b2f4c5d8e6f0a1b2c3d4e5f"
)

// lakesideOnAir ended PARTIAL with every network outcome: created and active
// on two venues, adopted where it was active already, adopted and bound on no
// venue, refused on a venue's full AP group after another venue, refused
// before it existed, and a pool that failed before its network.
func lakesideOnAir() migrations.Status {
	id := airID
	a := pool(id, "res-a-11aa22bb", "Residence A", workflows.StatusCompleted, workflows.Counts{Created: 120})
	a.Network = &runrecord.Network{ID: "n-a", Name: "LS Res A", SSID: "Res A", Created: true,
		Activations: []runrecord.Activation{act(northID, "Campus North", true), act(annexID, "Annex", true)}}
	b := pool(id, "res-b-33cc44dd", "Residence B", workflows.StatusCompleted, workflows.Counts{Adopted: 80})
	b.Network = &runrecord.Network{ID: "n-b", Name: "LS Res B", SSID: "Res B", Activations: []runrecord.Activation{act(northID, "Campus North", false)}}
	c := pool(id, "res-c-55ee66ff", "Residence C — Graduate and Family Housing, North Wing", workflows.StatusPartial, workflows.Counts{Created: 60})
	c.Network = &runrecord.Network{ID: "n-c", Name: "LS Res C", SSID: "Res C", Created: true, Activations: []runrecord.Activation{act(annexID, "Annex", true)}}
	c.Error = slotRefusal
	d := pool(id, "res-d-77aa88bb", "Residence D", workflows.StatusPartial, workflows.Counts{Created: 40})
	d.Network = &runrecord.Network{Name: "LS Res D", SSID: "Res D"}
	d.Error = pskRefusal
	staff := pool(id, "staff-99bb00cc", "Staff", workflows.StatusCompleted, workflows.Counts{Created: 12})
	staff.Network = &runrecord.Network{ID: "n-s", Name: "LS Staff", SSID: "Staff", Bound: true}
	hall := pool(id, "hall-0a1b2c3d", "Hall", workflows.StatusFailed, workflows.Counts{Failed: 9})
	hall.Error = `DPSK pool "LS Hall": R1 refused it (HTTP 403): the API client may not create DPSK services; grant it the DPSK admin role`
	res := &workflows.MigrationResult{Status: workflows.StatusPartial, Pools: []workflows.PoolResult{a, b, c, d, staff, hall}, TotalPools: 6,
		PoolCounts: workflows.PoolCounts{Completed: 3, Partial: 2, Failed: 1}}
	for _, p := range res.Pools {
		addCounts(&res.Totals, p.Counts)
	}
	return migrations.Status{WorkflowID: id, State: "COMPLETED", Result: res, UIURL: "http://localhost:8233/namespaces/default/workflows/" + id}
}

func TestGoldenStatusNamesEachPoolsNetworkAndWhereItIsOnTheAir(t *testing.T) {
	out := statusOutput(lakesideOnAir(), false)
	golden(t, "status-networks", out)
	fitsTheTable(t, out)
	section := out[strings.Index(out, "\nOn the air:\n"):]
	section = section[:strings.Index(section[1:], "\n\n")+1]
	for _, want := range []string{
		"\n  Residence A: network \"LS Res A\" (SSID \"Res A\") created, active on Campus North, Annex\n",
		"\n  Residence B: network \"LS Res B\" (SSID \"Res B\") adopted, active on Campus North (already active)\n",
		"\n  Staff: network \"LS Staff\" (SSID \"Staff\") adopted, pool bound by this run, active on no venue",
	} {
		require.Contains(t, section, want)
	}
	flat := strings.Join(strings.Fields(section), " ")
	require.Contains(t, flat, `created, active on Annex; not activated: venue "Campus North": refused before activating: AP group "Floor 2" already carries 15 SSIDs`,
		"the reason without the network's name, which the line gives")
	require.Contains(t, flat, `Residence D: network "LS Res D" (SSID "Res D") not put on the air: R1 already has a psk network "Guest D"`)
	require.NotContains(t, section, "Hall", "a pool that stopped before its network has none to show")
	require.Less(t, strings.Index(out, "On the air:"), strings.Index(out, "Not migrated"), "right after the table")
	notMigrated := out[strings.Index(out, "\nNot migrated (failed"):]
	require.Contains(t, notMigrated, "Hall: DPSK pool")
	require.NotContains(t, notMigrated, "Residence C", "a network's reason is told once, on the air; its rows all migrated")
}

func TestGoldenRunningMigrationWithNetworks(t *testing.T) {
	id := airID
	done := lakesideOnAir().Result.Pools[:2]
	running := []workflows.RunningPool{
		{Key: "res-c-55ee66ff", DisplayName: "Residence C", WorkflowID: workflows.ChildWorkflowID(id, "res-c-55ee66ff"), Rows: 60, Done: 60, Confirmed: 60},
		{Key: "res-d-77aa88bb", DisplayName: "Residence D", WorkflowID: workflows.ChildWorkflowID(id, "res-d-77aa88bb"), Rows: 40, Done: 40, Confirmed: 40},
		{Key: "staff-99bb00cc", DisplayName: "Staff", WorkflowID: workflows.ChildWorkflowID(id, "staff-99bb00cc"), Rows: 12, Done: 12, Confirmed: 12},
	}
	progress := &workflows.MigrationProgress{Pools: 6, PoolsPending: 1, PoolsRunning: 3, PoolsDone: 2, Passphrases: 321,
		Finished: workflows.Counts{Created: 120, Adopted: 80}, Running: running, Window: 3}
	answer := func(rp workflows.RunningPool, phase string) workflows.PoolProgress {
		return workflows.PoolProgress{Key: rp.Key, DisplayName: rp.DisplayName, Phase: phase, Rows: rp.Rows, Done: rp.Rows, Counts: workflows.Counts{Created: rp.Rows}}
	}
	answers := map[string]workflows.PoolProgress{
		running[0].WorkflowID: answer(running[0], "activation on Campus North"),
		running[1].WorkflowID: answer(running[1], "waiting for the venue's turn"),
		running[2].WorkflowID: answer(running[2], "network"),
	}
	st := migrations.Status{WorkflowID: id, State: "RUNNING", Progress: progress}
	var out bytes.Buffer
	writeRunning(&out, st, workflows.PoolsView{Done: done, Running: running, Pending: 1}, answers, 1800, false)
	golden(t, "status-running-networks", out.String())
	fitsTheTable(t, out.String())
	for _, want := range []string{
		"  Residence C: activation on Campus North, 60/60 (60 confirmed)\n",
		"  Residence D: waiting for the venue's turn, 40/40 (40 confirmed)\n",
		"  Staff: network, 12/12 (12 confirmed)\n",
		"\nOn the air:\n  Residence A: network \"LS Res A\" (SSID \"Res A\") created, active on Campus North, Annex\n",
	} {
		require.Contains(t, out.String(), want)
	}
}

func TestGoldenWatchWithNetworks(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	snap := func(phase string) snapshot {
		return snapshot{
			progress: workflows.MigrationProgress{Pools: 2, PoolsRunning: 1, PoolsDone: 1, Passphrases: 200,
				Finished: workflows.Counts{Created: 120},
				Running:  []workflows.RunningPool{{Key: "res-b-33cc44dd", DisplayName: "Residence B", Rows: 80}}},
			pools: []livePool{{answered: true, confirmed: 80, PoolProgress: workflows.PoolProgress{Key: "res-b-33cc44dd", DisplayName: "Residence B",
				Phase: phase, Rows: 80, Done: 80, Counts: workflows.Counts{Adopted: 80}}}},
		}
	}
	var plain bytes.Buffer
	v := &progressView{w: &plain, callsPerMinute: 600, plainEvery: 5 * time.Second}
	v.show(snap("network"), t0)
	v.show(snap("waiting for the venue's turn"), t0.Add(6*time.Second))
	v.show(snap("activation on Campus North"), t0.Add(12*time.Second))
	st := lakesideOnAir()
	st.Result.Pools = st.Result.Pools[:2]
	st.Result.Status, st.Result.TotalPools, st.Result.PoolCounts = workflows.StatusCompleted, 2, workflows.PoolCounts{Completed: 2}
	st.Result.Totals = workflows.Counts{Created: 120, Adopted: 80}
	v.end(st, t0.Add(13*time.Second))
	writeStatus(&plain, st, false) // as watch does once the migration ends
	golden(t, "watch-networks", plain.String())
	fitsTheTable(t, plain.String())
	require.Contains(t, plain.String(), "  Residence B: activation on Campus North, 80/80 (80 confirmed)\n")
	require.Contains(t, plain.String(), "\nOn the air:\n  Residence A: network \"LS Res A\" (SSID \"Res A\") created, active on Campus North, Annex\n"+
		"  Residence B: network \"LS Res B\" (SSID \"Res B\") adopted, active on Campus North (already active)\n")
}

func TestNetworkNamesFromR1CannotDriveTheTerminal(t *testing.T) {
	st := lakesideOnAir()
	st.Result.Pools[0].Network.Name = "Evil\x1b[2J"
	st.Result.Pools[0].Network.Activations[0].VenueName = "Lobby\r\nMigration x: COMPLETED"
	out := statusOutput(st, false)
	require.NotContains(t, out, "\x1b")
	require.NotContains(t, out, "\nMigration x: COMPLETED")
}
