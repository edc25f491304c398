package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// sampleFile writes examples/sample-export.json's twin (8 pools on SSID
// "Residents") and returns its path.
func sampleFile(t *testing.T, spec sampledata.Spec) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "export.json")
	require.NoError(t, os.WriteFile(file, sampledata.JSON(spec), 0o600))
	return file
}

func TestPlanShowsEachPoolsNetworkAndThePoolsMergedOnAnSSID(t *testing.T) {
	file := sampleFile(t, sampledata.Demo)

	out, errOut, code := run(t, "plan", file, "--network-mode", "per-pool", "--venue", "HQ")
	require.Equal(t, ExitFailed, code)
	require.Empty(t, out)
	require.Contains(t, errOut, `SSID "Residents" is shared by 8 pools (#1 "Building A1", #2 "Building B1"`)
	require.Contains(t, errOut, "an R1 network binds exactly one DPSK pool")
	require.Contains(t, errOut, "--merge-by-ssid")
	require.Contains(t, errOut, `--ssid-map "POOL=SSID"`)
	require.Contains(t, errOut, "nothing was stored or started")

	out, errOut, code = run(t, "plan", file, "--network-mode=per-pool", "--merge-by-ssid", "--name-prefix", "LS ",
		"--venue", "HQ", "--venue", "Annex", "--venue-map", "Building C1=Lobby")
	require.Equal(t, ExitOK, code, errOut)
	t.Log("\n" + out)
	require.Contains(t, out, "Plan: 1 pool from 8 Cloudpath pools, 480 to create, 0 skipped, 0 refused")
	require.Contains(t, out, "(3 calls to resolve venues)")
	require.Contains(t, out, "Wi-Fi networks: 1 network")
	require.Regexp(t, `residents-[0-9a-f]{8}\s+Residents\s+LS Residents\s+"HQ", "Annex", "Lobby"`, out)
	require.Regexp(t, `SSID "Residents" -> residents-[0-9a-f]{8}: #1 "Building A1", #2 "Building B1", .*#8 "Building H1"`, out)
	require.NotContains(t, out, "Warnings:")

	// Without networks, the plan is as it always was.
	out, _, code = run(t, "plan", file)
	require.Equal(t, ExitOK, code)
	require.Contains(t, out, "Plan: 8 pools, 480 to create")
	require.NotContains(t, out, "Wi-Fi")
}

func TestPlanNamesPoolsThatLookPerUnitAndNetworksOnNoVenue(t *testing.T) {
	exp := sampledata.Build(sampledata.Spec{Pools: 2, RowsPerPool: 4, Seed: 31})
	for i := range exp.DPSKPools[0].DPSKs {
		exp.DPSKPools[0].DPSKs[i].SSIDList = []string{"10" + string(rune('1'+i)) + "@Residents"}
	}
	exp.DPSKPools[1].SSIDList = []string{"Staff"}
	b, err := json.Marshal(exp)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "export.json")
	require.NoError(t, os.WriteFile(file, b, 0o600))

	out, errOut, code := run(t, "plan", file, "--network-mode", "per-pool")
	require.Equal(t, ExitOK, code, errOut)
	require.Contains(t, out, `pool #1 "Building A1 s31" looks per-unit: 4 of its 4 DPSKs carry per-unit SSIDs such as "101@Residents"`)
	require.Contains(t, out, `no venue is given for pool #1 "Building A1 s31", pool #2 "Building B1 s31"`)
	require.Contains(t, out, `- (activated nowhere)`)
}

func TestNetworkFlagMistakesAreRefusedBeforeAnythingRuns(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"unknown mode":          {[]string{"plan", "x.json", "--network-mode", "per-unit"}, `networkMode "per-unit" is not one of "none", "per-pool"`},
		"venue without a mode":  {[]string{"plan", "x.json", "--venue", "HQ"}, `venues choose Wi-Fi networks, and networkMode "none" creates none: set networkMode "per-pool" (--network-mode per-pool)`},
		"merge without a mode":  {[]string{"start", "x.json", "--merge-by-ssid", "--network-mode", "none"}, "mergeBySSID choose Wi-Fi networks"},
		"map without '='":       {[]string{"plan", "x.json", "--network-mode", "per-pool", "--ssid-map", "North Hall"}, `--ssid-map: "North Hall" is not "Cloudpath pool=value"`},
		"pool given two SSIDs":  {[]string{"plan", "x.json", "--network-mode", "per-pool", "--ssid-map", "A=One", "--ssid-map", "A=Two"}, `pool "A" is given two SSIDs, "One" and "Two"`},
		"venue map without '='": {[]string{"start", "x.json", "--network-mode", "per-pool", "--venue-map", "=HQ"}, `--venue-map: "=HQ" names no pool before its '='`},
		"SSID too long":         {[]string{"plan", "x.json", "--network-mode", "per-pool", "--ssid", strings.Repeat("s", 33)}, "has 33 characters; R1 SSIDs have 2 to 32"},
		"SSID with a backtick":  {[]string{"start", "x.json", "--network-mode", "per-pool", "--ssid-map", "A=a`b"}, "contains a backtick"},
		"venue given twice":     {[]string{"plan", "x.json", "--network-mode", "per-pool", "--venue", "HQ", "--venue", "HQ"}, `venue "HQ" is given twice`},
		"empty venue":           {[]string{"plan", "x.json", "--network-mode", "per-pool", "--venue", " "}, "venue 1 is empty"},
		"template too long":     {[]string{"plan", "x.json", "--network-mode", "per-pool", "--name-prefix", strings.Repeat("p", 31)}, "network names hold at most 32"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			a := &App{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
			code := a.Run(context.Background(), tc.args)
			require.Equal(t, ExitFailed, code)
			require.Contains(t, errb.String(), tc.want)
			require.Contains(t, errb.String(), "Usage: dpskmigrate "+tc.args[0])
			require.Empty(t, out.String())
		})
	}
}

func TestStartCarriesTheNetworkOptionsIntoTheWorkflowInput(t *testing.T) {
	store := filepath.Join(t.TempDir(), "exports")
	file := sampleFile(t, sampledata.Spec{Pools: 3, RowsPerPool: 2, Seed: 32})
	var out, errb bytes.Buffer
	a := &App{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		return map[string]string{"DPSKMIGRATE_EXPORT_DIR": store}[k]
	}}
	code := a.Run(context.Background(), []string{"start", file, "--print-temporal-command",
		"--network-mode", "per-pool", "--merge-by-ssid", "--venue", "HQ", "--venue", "6f1c0c3a9f2e4b7d8a1b2c3d4e5f6a7b",
		"--venue-map", "Building A1 s32=Annex", "--venue-map", "Building A1 s32= Lobby ", "--ssid-map", "Building C1 s32=Staff=Net"})
	require.Equal(t, ExitOK, code, errb.String())

	cmd := strings.TrimSpace(out.String())
	quoted := cmd[strings.Index(cmd, "--input ")+len("--input "):]
	input := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(quoted, "'"), "'"), `'\''`, `'`)
	var in workflows.MigrationInput
	dec := json.NewDecoder(strings.NewReader(input))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&in), input)
	require.Equal(t, cloudpath.PlanOptions{
		Expired:     cloudpath.ExpiredImportWithoutExpiry,
		NetworkMode: cloudpath.NetworkPerPool,
		SSIDMap:     map[string]string{"Building C1 s32": "Staff=Net"},
		Venues:      []string{"HQ", "6f1c0c3a9f2e4b7d8a1b2c3d4e5f6a7b"},
		VenueMap:    map[string][]string{"Building A1 s32": {"Annex", "Lobby"}},
		MergeBySSID: true,
	}, in.Plan)

	// Without network flags the input says nothing about networks.
	out.Reset()
	require.Equal(t, ExitOK, a.Run(context.Background(), []string{"start", file, "--print-temporal-command", "--network-mode", "none"}), errb.String())
	require.NotContains(t, out.String(), "network")
	require.NotContains(t, out.String(), "ssid")
}
