package r1sim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// quoteHandler is the handler of op under the QuotePassphraseRate fault, nil
// for the operations it does not apply to.
func (s *Sim) quoteHandler(op string) r1Handler {
	switch op {
	case OpCreatePassphrase:
		return s.quotePassphrase
	case OpImportPassphrases:
		return s.quoteImport
	}
	return nil
}

// The places a client is likely to shorten R1's text: a message, a sub-error
// message, and the read limit of an error body (r1client's maxMessage, its
// sub-error cap and maxErrorBody). The fault puts the passphrase across them.
const (
	quoteMessageCut  = 512
	quoteSubErrorCut = 200
	quoteBodyCut     = 8 << 10
)

// quotePassphrase refuses a passphrase create the way an R1 that quotes what
// it refused might, picking one way at random: the passphrase in a plain
// message; across the cut of a long message or of a long sub-error; JSON
// escaped in a body of an unexpected shape (a numeric status); across the
// read limit of a body over 8 KiB; or in the double-encoded error of a FAIL
// activity after a 202. Nothing is created.
func (s *Sim) quotePassphrase(r *http.Request, t *tenant) reply {
	var body passphraseBody
	if rep, ok := decode(r, &body); !ok {
		return rep
	}
	return s.quoteRefusal(t, deref(body.Passphrase), "CREATE_DPSK_PASSPHRASE")
}

// quoteRefusal refuses a write quoting the passphrase p, one of the ways
// quotePassphrase lists; useCase names the activity of the async way.
func (s *Sim) quoteRefusal(t *tenant, p, useCase string) reply {
	switch int(s.float() * 6) {
	case 0:
		return errReply(http.StatusBadRequest, "Passphrase "+p+" is not allowed")
	case 1:
		return errReply(http.StatusBadRequest, padTo(quoteMessageCut-len(p)/2)+p+" is not allowed")
	case 2:
		return errReply(http.StatusBadRequest, "Invalid content supplied",
			subError{Object: passphraseObject, Field: "passphrase", Message: padTo(quoteSubErrorCut-len(p)/2) + p + " is not allowed"})
	case 3:
		q := jsonString(p)
		return reply{http.StatusBadRequest, json.RawMessage(`{"status":400,"error":"Bad Request","message":"passphrase ` + q[1:len(q)-1] + ` is not allowed"}`)}
	case 4:
		q := jsonString(p)
		head := `{"status":"400 BAD_REQUEST","message":"`
		pad := padTo(quoteBodyCut - len(head) - len(q)/2)
		return reply{http.StatusBadRequest, json.RawMessage(head + pad + q[1:len(q)-1] + " " + padTo(1000) + `"}`)}
	default:
		t.mu.Lock()
		defer t.mu.Unlock()
		return reply{http.StatusAccepted, accepted{RequestID: t.addActivity(s, useCase,
			failure(passphraseObject, "passphrase", "Passphrase "+p+" is not allowed"))}}
	}
}

// padTo is n bytes of filler text (none when n <= 0).
func padTo(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("pad ", n/4+1)[:n]
}

// jsonString is s as a JSON string, quotes included, as writeJSON escapes it.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
