package r1client_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

func TestPassphrasesRedactThemselves(t *testing.T) {
	const secret = "correct-horse-battery"
	p := r1client.Passphrase{ID: "id1", Username: "alice", Passphrase: secret}
	in := r1client.PassphraseCreate{Username: "alice", Passphrase: secret}
	var logged bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logged, nil))
	log.Info("row", "p", p, "in", in)
	for _, s := range []string{
		fmt.Sprint(p), fmt.Sprintf("%v %+v %#v %s", p, p, p, p),
		fmt.Sprint(in), fmt.Sprintf("%v %+v %#v %s", in, in, in, in),
		fmt.Sprintf("%+v", []r1client.Passphrase{p}), fmt.Sprintf("%+v", r1client.Page[r1client.Passphrase]{Items: []r1client.Passphrase{p}}),
		logged.String(),
	} {
		if strings.Contains(s, secret) {
			t.Errorf("secret printed: %s", s)
		}
		if !strings.Contains(s, "alice") {
			t.Errorf("redaction hid everything: %s", s)
		}
	}
}

func TestNothingSecretIsLoggedOrInErrors(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, r1sim.Options{Logger: log}, func(c *r1client.Config) { c.Logger = log })
	ctx := context.Background()
	_, poolID := setup(t, e.c, "secrets", 12)
	const short, good = "short-pass9", "a-good-long-passphrase"
	_, err := e.c.Passphrases.Create(ctx, poolID, r1client.PassphraseCreate{Passphrase: short, Username: "u"})
	if err == nil || strings.Contains(err.Error(), short) {
		t.Fatalf("error %v echoes the passphrase", err)
	}
	if _, err := e.c.Passphrases.Create(ctx, poolID, r1client.PassphraseCreate{Passphrase: good, Username: "v"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Passphrases.Query(ctx, poolID, r1client.PassphraseQuery{}); err != nil {
		t.Fatal(err)
	}
	out := logged.String()
	if !strings.Contains(out, "/passphrases") {
		t.Fatalf("expected debug request lines, got %q", out)
	}
	for _, s := range []string{short, good, testSecret, "Bearer", "access_token"} {
		if strings.Contains(out, s) {
			t.Errorf("log contains %q", s)
		}
	}
}
