package r1client

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dpskmigrate/dpskmigrate/internal/secrettest"
)

// TestMaskedTextKeepsAtMostFiveBytes cuts each escaped form of a secret at
// every point, as R1 or a read limit might, and checks what survives.
func TestMaskedTextKeepsAtMostFiveBytes(t *testing.T) {
	esc := func(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) }
	rng := rand.New(rand.NewPCG(7, 8))
	for range 30 {
		secret := secrettest.Random(rng, 8+rng.IntN(56), true)
		pieces := secrettest.Pieces(secret)
		m := newMasker("unrelated-secret", secret)
		for _, f := range []string{secret, esc(secret), esc(esc(secret)), esc(esc(esc(secret)))} {
			for cut := 0; cut <= len(f); cut++ {
				for _, quoted := range []string{f[:cut], f[cut:], f[:cut] + " and " + f[cut:]} {
					text := m.mask(`{"message":"x ` + quoted + ` y"}`)
					if piece, around, found := secrettest.Find(text, pieces); found {
						t.Fatalf("%q survives in %s (secret %q)", piece, around, secret)
					}
				}
			}
		}
	}
}

// TestMaskingKeepsJSONReadable masks secrets quoted three JSON strings
// deep, as in an activity's error, and reads every level back: a masked run
// never ends between a backslash and what it escapes. (A secret whose
// escaped pieces happen to match the JSON around it is masked together with
// that JSON; that is safe, and then the raw masked text is what is shown.)
func TestMaskingKeepsJSONReadable(t *testing.T) {
	for _, secret := range []string{
		`ends-with-backslash\`, `"starts-with-quote`, `ends-with-quote"`, `mid\"dle-of-it`,
		`\\\\\\\\x`, `<tag>&amp;/path`, `a"b\c<d>e&f/g-long-enough`, `\"\"\"\"`,
	} {
		quoted, _ := json.Marshal(secret)
		for _, quote := range []string{secret, string(quoted)} { // R1 may quote it as a JSON string
			text := "value " + quote + " refused"
			for depth := 0; depth < 3; depth++ {
				b, _ := json.Marshal(map[string]string{"message": text, "code": "DPSK-001"})
				text = string(b)
			}
			text = newMasker(secret).mask(text)
			for depth := 0; depth < 3; depth++ {
				var v map[string]string
				if err := json.Unmarshal([]byte(text), &v); err != nil {
					t.Fatalf("secret %q: level %d is no longer JSON: %s", secret, depth, text)
				}
				text = v["message"]
			}
			if !strings.HasPrefix(text, "value ") || !strings.Contains(text, redacted) || !strings.HasSuffix(text, " refused") {
				t.Fatalf("secret %q: got %q", secret, text)
			}
		}
	}
}

func TestShortSecretsAreNotMasked(t *testing.T) {
	m := newMasker("s", "abcde", "")
	const text = "status: abcde is not a secret anyone can hide"
	if got := m.mask(text); got != text {
		t.Fatalf("got %q", got)
	}
}

// TestMaskerHoldsEveryPieceOfEveryForm: the masker leaves out no piece of a
// secret's escaped forms, though it adds only those near an escape.
func TestMaskerHoldsEveryPieceOfEveryForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	secrets := []string{"\u2028\xff<>&/\"\\\x01tail", `\\\\\\\\`, "plain-alnum-secret"}
	for range 200 {
		secrets = append(secrets, secrettest.Random(rng, 8+rng.IntN(56), rng.IntN(2) == 0))
	}
	m := newMasker(secrets...)
	m.build()
	want := map[gram]struct{}{}
	for _, s := range secrets {
		for _, f := range jsonForms(s) {
			for i := 0; i+gramLen <= len(f); i++ {
				want[gramAt(f, i)] = struct{}{}
			}
		}
	}
	if len(m.grams) != len(want) {
		t.Fatalf("the masker holds %d pieces, the forms have %d", len(m.grams), len(want))
	}
	for g := range want {
		if _, ok := m.grams[g]; !ok {
			t.Fatalf("piece %x is missing", uint64(g))
		}
	}
}
