package r1client_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dpskmigrate/dpskmigrate/internal/secrettest"
	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

const importHeader = "Username,Number of devices,MAC Address,Passphrase,VLAN ID,Passphrase Expiration"

// csvField quotes a value the RFC 4180 way.
func csvField(v string) string { return `"` + strings.ReplaceAll(v, `"`, `""`) + `"` }

// importFile is a CSV in R1's template holding the passphrases, one per entry.
func importFile(passphrases []string) []byte {
	var b strings.Builder
	b.WriteString("# written by a test\n" + importHeader + "\n")
	for i, p := range passphrases {
		fmt.Fprintf(&b, "user-%d,-1,,%s,,\n", i, csvField(p))
	}
	return []byte(b.String())
}

func TestImportCSVCreatesThePassphrases(t *testing.T) {
	e := newEnv(t, r1sim.Options{})
	ctx := context.Background()
	_, poolID := setup(t, e.c, "import", 8)
	acc, err := e.c.Passphrases.ImportCSV(ctx, poolID, importFile([]string{"first-passphrase", `quo"ted,pass`}))
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	page, err := e.c.Passphrases.Query(ctx, poolID, r1client.PassphraseQuery{Page: 1, PageSize: 10, SortField: "username"})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("%+v, %v", page, err)
	}
	if p := page.Items[1]; p.Username != "user-1" || p.Passphrase != `quo"ted,pass` || p.NumberOfDevicesType != "UNLIMITED" {
		t.Fatalf("imported %+v", p)
	}
	if n := e.sim.Stats().Calls[r1sim.OpImportPassphrases]; n != 1 {
		t.Fatalf("%d import calls, want 1", n)
	}
}

func TestImportCSVRefusalsAreTyped(t *testing.T) {
	e := newEnv(t, r1sim.Options{Faults: r1sim.Faults{ImportHeaderChanged: true}})
	_, poolID := setup(t, e.c, "import", 8)
	_, err := e.c.Passphrases.ImportCSV(context.Background(), poolID, importFile([]string{"first-passphrase"}))
	var ve *r1client.ValidationError
	if !errors.As(err, &ve) || r1client.Retryable(err) || !strings.Contains(err.Error(), "does not match the template") {
		t.Fatalf("a refused header: %v", err)
	}
}

func TestImportCSVSendsNoFileItCannotRead(t *testing.T) {
	e := newEnv(t, r1sim.Options{})
	_, poolID := setup(t, e.c, "import", 8)
	_, err := e.c.Passphrases.ImportCSV(context.Background(), poolID, []byte(importHeader+"\nu1,,,\"unclosed-passphrase,,\n"))
	if err == nil || !strings.Contains(err.Error(), "not sent") || strings.Contains(err.Error(), "unclosed") {
		t.Fatalf("a file that is not CSV: %v", err)
	}
	if n := e.sim.Stats().Calls[r1sim.OpImportPassphrases]; n != 0 {
		t.Fatalf("%d import calls, want none", n)
	}
}

// TestImportCSVErrorsNeverQuoteAPassphraseOfTheFile: R1 quotes the passphrase
// of one entry (any of them) in each way a client may get wrong; none of it
// may survive in the error, whichever entry it is.
func TestImportCSVErrorsNeverQuoteAPassphraseOfTheFile(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, q := range quotingBodies {
		t.Run(q.name, func(t *testing.T) {
			for range 5 {
				passphrases := make([]string, 40)
				for i := range passphrases {
					passphrases[i] = randomSecret(rng)
				}
				secret := passphrases[rng.IntN(len(passphrases))]
				c := cannedR1(t, 400, nil, q.body(secret))
				_, err := c.Passphrases.ImportCSV(context.Background(), "pool-1", importFile(passphrases))
				requireMasked(t, err, secret)
				if api, ok := r1client.AsAPIError(err); !ok || api.StatusCode != 400 {
					t.Fatalf("status lost: %v", err)
				}
			}
		})
	}
	t.Run("a file in another template", func(t *testing.T) {
		secret := randomSecret(rng)
		file := "Name,Secret\nuser-1," + csvField(secret) + "\n"
		c := cannedR1(t, 400, nil, jsonOf(map[string]any{"message": "Bad entry " + secret}))
		_, err := c.Passphrases.ImportCSV(context.Background(), "pool-1", []byte(file))
		requireMasked(t, err, secret)
	})
}

// TestImportCSVAgainstAnR1QuotingPassphrases runs imports into the simulator
// refusing each with one entry's passphrase quoted, at once or in the
// activity: the error, and the activity read with the file's passphrases
// (WithSecrets), hold none of it.
func TestImportCSVAgainstAnR1QuotingPassphrases(t *testing.T) {
	e := newEnv(t, r1sim.Options{Faults: r1sim.Faults{QuotePassphraseRate: 1}, Seed: 5})
	ctx := context.Background()
	_, poolID := setup(t, e.c, "import", 8)
	rng := rand.New(rand.NewPCG(9, 10))
	sync, async := 0, 0
	for range 30 {
		passphrases := make([]string, 20)
		for i := range passphrases {
			passphrases[i] = randomSecret(rng)
		}
		pieces := secrettest.Pieces(passphrases...)
		acc, err := e.c.Passphrases.ImportCSV(ctx, poolID, importFile(passphrases))
		text := ""
		if err != nil {
			sync++
			text = err.Error() + fmt.Sprintf("%+v", err)
		} else {
			async++
			a := waitActivity(t, e.c, acc.RequestID) // without the secrets: R1's text as it is
			if !a.Failed() || secretsFound(a.FailureMessage(), pieces) == "" {
				t.Fatalf("the fault should quote a passphrase in the activity: %+v", a)
			}
			a, err = e.c.Activities.Get(r1client.WithSecrets(ctx, passphrases...), acc.RequestID)
			if err != nil {
				t.Fatal(err)
			}
			text = a.FailureMessage() + fmt.Sprintf("%+v", a)
		}
		if found := secretsFound(text, pieces); found != "" {
			t.Fatalf("R1's answer leaks %s", found)
		}
	}
	if sync == 0 || async == 0 {
		t.Fatalf("%d refusals at once, %d in the activity: want both", sync, async)
	}
}

func secretsFound(text string, pieces map[string]string) string {
	if piece, around, found := secrettest.Find(text, pieces); found {
		return fmt.Sprintf("%q: ...%s...", piece, around)
	}
	return ""
}
