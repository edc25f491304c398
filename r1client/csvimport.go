package r1client

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
)

// ImportCSV is POST /dpskServices/{poolID}/passphrases/csvFiles: file, a CSV
// in R1's import template, uploaded as the multipart part "file" → 202
// {requestId} (the cached spec says 200 with a string body; both are read).
// R1 checks the file against its own rules (header, 5 MB, 10,000 entries);
// this call does not.
//
// R1's answer to an import may quote the passphrase of any of its entries,
// so every value of the file's Passphrase column is masked in the errors of
// this call, as a per-row create masks its one passphrase. A file the client
// cannot read as CSV is not sent: it could not say what to mask. The
// activity's failure text is read by a later call; give that call the same
// passphrases with WithSecrets.
func (s *PassphrasesService) ImportCSV(ctx context.Context, poolID string, file []byte) (Accepted, error) {
	path := passphrasesPath(poolID) + "/csvFiles"
	secrets, err := csvPassphrases(file)
	if err != nil {
		return Accepted{}, fmt.Errorf("R1 POST %s: not sent: %w", path, err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part := textproto.MIMEHeader{}
	part.Set("Content-Disposition", `form-data; name="file"; filename="passphrases.csv"`)
	part.Set("Content-Type", "text/csv")
	pw, err := mw.CreatePart(part)
	if err == nil {
		_, err = pw.Write(file)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil { // writes to a bytes.Buffer do not fail
		return Accepted{}, fmt.Errorf("R1 POST %s: building the upload: %w", path, err)
	}
	var out Accepted
	err = s.c.doBody(ctx, http.MethodPost, path, nil, mw.FormDataContentType(), body.Bytes(), secrets, &out)
	return out, err
}

// csvPassphrases are the values of file's Passphrase column, the secrets an
// answer about the file may quote. Without a column of that name (a file in
// another template) every value of the file is taken. The reading is
// lenient where it cannot cost a secret: comment lines (#) and records of
// any length are allowed; a malformed quote is an error that names the
// line, never its text.
func csvPassphrases(file []byte) ([]string, error) {
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(file, []byte("\xef\xbb\xbf"))))
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	col := -1
	var secrets []string
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return secrets, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("the file is not valid CSV (line %d, column %d: %v), so its passphrases could not be found to mask in R1's answer", pe.Line, pe.Column, pe.Err)
			}
			return nil, errors.New("the file is not valid CSV")
		}
		if first {
			for i, name := range rec {
				if name == "Passphrase" {
					col = i
				}
			}
			if col >= 0 {
				continue
			}
		}
		for i, v := range rec {
			if (col < 0 || i == col) && v != "" {
				secrets = append(secrets, v)
			}
		}
	}
}
