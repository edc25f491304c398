package migrations

import (
	"errors"
	"fmt"
	"regexp"
	"unicode/utf8"
)

// MaxWorkflowIDLength bounds a migration's workflow ID. Each pool runs as a
// child workflow named <id>/pool/<key>, with keys of at most 63 characters,
// and Temporal refuses workflow IDs over 1,000 characters: 200 keeps every
// child ID far inside that, and keeps IDs readable in URLs, logs and the UI.
const MaxWorkflowIDLength = 200

// workflowIDPattern allows no '/' (it separates the pools' child IDs from
// their parent's, and would split a status URL's path) and no space or
// control character (IDs are typed into shells and URLs).
var workflowIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$`)

// ErrInvalidWorkflowID is wrapped by every error of ValidateWorkflowID.
var ErrInvalidWorkflowID = errors.New("invalid workflow ID")

// ValidateWorkflowID checks a migration ID a person chose. The CLI, the HTTP
// trigger and Service.Start all apply it; generated IDs (NewWorkflowID) pass.
func ValidateWorkflowID(id string) error {
	if workflowIDPattern.MatchString(id) {
		return nil
	}
	const allowed = "letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
	if n := utf8.RuneCountInString(id); n > MaxWorkflowIDLength {
		return fmt.Errorf("%w: it has %d characters; use at most %d %s", ErrInvalidWorkflowID, n, MaxWorkflowIDLength, allowed)
	}
	return fmt.Errorf("%w %q: use 1 to %d %s", ErrInvalidWorkflowID, id, MaxWorkflowIDLength, allowed)
}
