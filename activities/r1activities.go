package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/dpskmigrate/dpskmigrate/r1client"
)

// GetR1Activity reads an R1 async activity once. Workflows wait between calls
// with timers, so waiting costs no worker slot and each poll is one R1 call.
//
// For a row's activity, R1's failure text may quote the passphrase; r1client
// masks it. If the row cannot be loaded, nothing is there to mask with, so
// R1's free text is dropped and only the status and the error code are kept.
func (a *Activities) GetR1Activity(ctx context.Context, in R1ActivityInput) (R1ActivityStatus, error) {
	canMask := true
	if in.Row != nil {
		row, err := a.row(in.Row.ExportInput, in.Row.PoolKey, in.Row.Row)
		if err == nil {
			ctx = r1client.WithSecrets(ctx, row.Passphrase)
		} else {
			canMask = false
		}
	}
	act, err := a.R1.Activities.Get(ctx, in.RequestID)
	var nf *r1client.NotFoundError
	if errors.As(err, &nf) {
		return R1ActivityStatus{RequestID: in.RequestID}, nil
	}
	if err != nil {
		if !canMask {
			return R1ActivityStatus{}, r1ErrorMsg("read R1 activity: "+withoutR1Text(err), err)
		}
		return R1ActivityStatus{}, r1Error("read R1 activity", err)
	}
	return activityStatus(act, canMask), nil
}

// ReadR1Activities reads up to MaxActivitiesPerRead R1 activities in one
// request; the ones R1 does not show yet are absent from the result. For
// passphrase writes (in.Rows), every row's passphrase is masked in R1's texts;
// if the rows cannot be loaded, R1's free text is dropped.
func (a *Activities) ReadR1Activities(ctx context.Context, in R1ActivitiesInput) (R1ActivitiesResult, error) {
	if len(in.RequestIDs) > MaxActivitiesPerRead {
		return R1ActivitiesResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("ReadR1Activities takes at most %d ids, got %d", MaxActivitiesPerRead, len(in.RequestIDs)), ErrExportInvalid, nil)
	}
	canMask := true
	var secrets []string
	var err error
	switch {
	case in.Rows != nil:
		secrets, err = a.passphrases(in.Rows.ExportInput, in.Rows.PoolKey, in.Rows.Rows)
	case in.Export != nil:
		secrets, err = a.exportSecrets(*in.Export)
	}
	if err == nil {
		ctx = r1client.WithSecrets(ctx, secrets...)
	} else {
		canMask = false
	}
	page, err := a.R1.Activities.QueryByIDs(ctx, in.RequestIDs)
	if err != nil {
		if !canMask {
			return R1ActivitiesResult{}, r1ErrorMsg("read R1 activities: "+withoutR1Text(err), err)
		}
		return R1ActivitiesResult{}, r1Error("read R1 activities", err)
	}
	res := R1ActivitiesResult{Activities: make([]R1ActivityStatus, 0, len(page.Items))}
	for _, act := range page.Items {
		res.Activities = append(res.Activities, activityStatus(act, canMask))
	}
	return res, nil
}

// passphrases are the rows' passphrases, to mask in R1's texts about them.
func (a *Activities) passphrases(in ExportInput, poolKey string, rows []int) ([]string, error) {
	unit, err := a.unit(in, poolKey)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rows))
	for _, pos := range rows {
		row, err := rowAt(unit, pos)
		if err != nil {
			return nil, err
		}
		out = append(out, row.Passphrase)
	}
	return out, nil
}

// activityStatus is what an R1 activity says; without a way to mask its
// text (canMask false) only the status and the error code are kept.
func activityStatus(act r1client.Activity, canMask bool) R1ActivityStatus {
	st := R1ActivityStatus{RequestID: act.RequestID, Visible: true, Status: act.Status, Succeeded: act.Done() && !act.Failed(), Failed: act.Failed()}
	if !st.Failed {
		return st
	}
	st.Duplicate = act.Duplicate()
	st.Message = act.FailureMessage()
	if !canMask {
		st.Message = "R1 activity " + act.Status
		if code := errorCode(act.FailureCode()); code != "" {
			st.Message += " with code " + code
		}
		st.Message += unmaskedNote
	}
	return st
}

// unmaskedNote explains a reason without R1's text.
const unmaskedNote = " (R1's text withheld: the row's passphrase could not be loaded from the export store to mask it)"

// withoutR1Text describes an R1 error by its request, status and code only.
func withoutR1Text(err error) string {
	api, ok := r1client.AsAPIError(err)
	if !ok {
		var te *r1client.TransportError
		if errors.As(err, &te) {
			return te.Error() // no R1 text: a transport error has no body
		}
		return "R1 call failed" + unmaskedNote
	}
	msg := fmt.Sprintf("R1 %s %s: %d %s", api.Method, api.Path, api.StatusCode, http.StatusText(api.StatusCode))
	if code := errorCode(api.Code); code != "" {
		msg += " with code " + code
	}
	return msg + unmaskedNote
}

// errorCode is R1's error code when it looks like one (DPSK-026,
// GENERAL_ERROR): text R1 put where a code belongs is not kept unmasked.
func errorCode(code string) string {
	if len(code) > 32 || strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
		return ""
	}
	return code
}
