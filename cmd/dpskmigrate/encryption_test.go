package main

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/dpskmigrate/dpskmigrate/internal/payloadcrypt"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/worker"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

func TestTheCLIReadsEncryptedMigrationsWithTheKeyAndNamesTheKeyWithoutIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	keys := "dev-1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, payloadcrypt.KeySize))
	ring, err := payloadcrypt.ParseKeys(keys)
	require.NoError(t, err)
	opts := client.Options{Namespace: "default", Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler))}
	payloadcrypt.ApplyTo(&opts, ring)
	c, err := client.NewClientFromExisting(temporalC, opts)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	w, err := worker.New(c, e.sim.WorkerConfig(e.tenant, e.queue, e.exportDir))
	require.NoError(t, err)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	e.svc.Temporal = c
	e.vars[payloadcrypt.KeysEnv] = keys
	file := e.export(sampledata.Spec{Pools: 2, RowsPerPool: 5, Awkward: true, Seed: 44})

	r := e.run("start", file, "--parallel", "--watch")
	require.Equal(t, 2, r.code, r)
	id := startedID(t, r)
	require.Contains(t, r.stdout, "Migration "+id+": PARTIAL")
	require.Equal(t, workflows.StatusPartial, e.wait(id).Status)

	r = e.run("status", id)
	require.Equal(t, 2, r.code, r)
	require.Regexp(t, `unit000-short: \S`, r.stdout, "the refused row is named from the encrypted result")
	r = e.run("watch", id)
	require.Equal(t, 2, r.code, r)

	r = e.runWith(map[string]string{payloadcrypt.KeysEnv: ""}, "status", id)
	t.Logf("status without the key:\n%s", r)
	require.Equal(t, 1, r.code, r)
	// status wraps long lines at 100 columns: compare the words.
	require.Contains(t, strings.Join(strings.Fields(r.stdout+r.stderr), " "), `encrypted with key "dev-1" and no payload key is configured: set `+payloadcrypt.KeysEnv)
	require.NotContains(t, r.stdout, "unit000-short")
	require.NotContains(t, r.stdout, "every passphrase is in R1", "an unreadable result claims nothing")

	r = e.runWith(map[string]string{payloadcrypt.KeysEnv: "dev-1:c2hvcnQ="}, "status", id)
	require.Equal(t, 1, r.code, r)
	require.Contains(t, r.stderr, payloadcrypt.KeysEnv+`: entry 1: key "dev-1" is 5 bytes: AES-256 needs 32`)

	r = e.run("help")
	require.Contains(t, r.stdout, payloadcrypt.KeysEnv)
	require.Contains(t, r.stdout, payloadcrypt.KeyFileEnv)
}
