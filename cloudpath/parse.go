package cloudpath

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// DefaultMaxBytes is the input limit when ParseOptions.MaxBytes is 0.
const DefaultMaxBytes = 64 << 20

// DefaultLegacyPoolName names the one pool of a legacy flat array.
const DefaultLegacyPoolName = "Cloudpath Import"

// ParseOptions tune Parse.
type ParseOptions struct {
	LegacyPoolName string // name of the one pool of a legacy flat array; default "Cloudpath Import"
	MaxBytes       int64  // refuse larger input with a *TooLargeError; 0 = DefaultMaxBytes
}

// ParseBytes parses an export held in memory; see Parse.
func ParseBytes(data []byte, opts ParseOptions) (*Export, error) {
	if limit := cmp.Or(max(opts.MaxBytes, 0), DefaultMaxBytes); int64(len(data)) > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	return Parse(bytes.NewReader(data), opts)
}

// Parse reads a Cloudpath export in any of its three shapes (single pool,
// multi-pool, legacy flat array), with or without a UTF-8 BOM. DPSKs are
// decoded one at a time from the stream, so memory stays close to the size
// of the result; at most MaxBytes+1 bytes are read.
//
// Errors are *SyntaxError (with line and column), *ShapeError (what was
// expected where, and what was found), *LimitError (a value over its limit,
// with line and column; see MaxPoolNameLength and the limits after it),
// *TooLargeError, or the reader's own error wrapped.
func Parse(r io.Reader, opts ParseOptions) (*Export, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.LegacyPoolName = strings.TrimSpace(opts.LegacyPoolName); opts.LegacyPoolName == "" {
		opts.LegacyPoolName = DefaultLegacyPoolName
	}
	if n := overLength(opts.LegacyPoolName, MaxPoolNameLength); n > 0 {
		return nil, fmt.Errorf("the legacy pool name has %d characters; at most %d are allowed", n, MaxPoolNameLength)
	}
	src, err := newTracker(r, opts.MaxBytes)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, dec: json.NewDecoder(src), opts: opts}
	p.dec.UseNumber() // Token returns a stray number as text: 1e999 is a wrong shape, not a crash
	src.keep = &p.mark
	return p.parse()
}

// parser walks the document with Token/More and decodes one DPSK at a time.
// mark is the decoder offset before the current step: errors are located
// from there (see locate).
type parser struct {
	src  *tracker
	dec  *json.Decoder
	opts ParseOptions
	mark int64
	sep  byte // the separator (',' or ':') due at mark, or 0
	step step // what is being read at mark
}

// step is the kind of decoder call made at the parser's mark.
type step int

const (
	stepToken  step = iota // Token for a delimiter or a value
	stepKey                // Token for an object key
	stepDecode             // Decode of a whole value
)

// elementSep is the separator before element i of an array or object.
func elementSep(i int) byte {
	if i == 0 {
		return 0
	}
	return ','
}

func (p *parser) parse() (*Export, error) {
	tok, err := p.topToken(0)
	if err == io.EOF {
		return nil, &SyntaxError{Line: 1, Column: 1, Msg: "the input is empty; expected a Cloudpath export (JSON)"}
	}
	if err != nil {
		return nil, err
	}
	var exp *Export
	switch tok {
	case json.Delim('['):
		pool := Pool{DisplayName: p.opts.LegacyPoolName}
		if err := p.dpskElements("$", &pool); err != nil {
			return nil, err
		}
		exp = &Export{Shape: ShapeLegacyArray, Pools: []Pool{pool}}
	case json.Delim('{'):
		if exp, err = p.topObject(); err != nil {
			return nil, err
		}
	default:
		return nil, &ShapeError{Path: "$", Expected: `an export object (with "pool" and "dpsks", or "dpskPools") or an array of DPSKs`,
			Found: describeToken(tok)}
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	return exp, nil
}

// end makes sure nothing but whitespace follows the export.
func (p *parser) end() error {
	tok, err := p.topToken(0)
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	off := p.skipSpace(p.mark)
	return p.src.syntaxError(off, fmt.Sprintf("unexpected data (%s) after the end of the export", describeToken(tok)))
}

// topObject reads a single-pool or multi-pool export; its '{' was read.
func (p *parser) topObject() (*Export, error) {
	var (
		single             Pool
		poolSeen, poolNull bool
		dpsksSeen, multi   bool
		pools              []Pool
		keys               []string
		exportError        string
		singleDPSKs        Pool // only its DPSKs are used; the pool object may come after them
	)
	for first := true; p.more(); first = false {
		key, err := p.key(first)
		if err != nil {
			return nil, err
		}
		if len(keys) < 8 {
			keys = append(keys, strconv.Quote(clip(key, 40)))
		}
		path := "$." + key
		switch strings.ToLower(key) {
		case "pool":
			tok, err := p.token(':')
			if err != nil {
				return nil, err
			}
			poolSeen = true
			switch tok {
			case nil:
				poolNull = true
			case json.Delim('{'):
				single = Pool{}
				if err := p.poolBody(path, &single, false); err != nil {
					return nil, err
				}
			default:
				return nil, &ShapeError{Path: path, Expected: "a DPSK pool object", Found: p.describeFound(tok)}
			}
		case "dpsks":
			dpsksSeen = true
			singleDPSKs = Pool{}
			if err := p.dpskArray(path, &singleDPSKs); err != nil {
				return nil, err
			}
		case "dpskpools":
			multi = true
			pools = pools[:0]
			if err := p.poolArray(path, &pools); err != nil {
				return nil, err
			}
		case "error":
			var raw json.RawMessage
			if err := p.decode(':', path, &raw); err != nil {
				return nil, err
			}
			exportError, _ = unquote(raw)
		default:
			if err := p.decode(':', path, &skipValue{}); err != nil {
				return nil, err
			}
		}
	}
	if _, err := p.delim('}', "$", "the end of the object"); err != nil {
		return nil, err
	}

	switch {
	case multi && (poolSeen || dpsksSeen):
		return nil, &ShapeError{Path: "$", Expected: `either "pool" with "dpsks" (one pool) or "dpskPools" (all pools)`, Found: "both"}
	case multi:
		return &Export{Shape: ShapeMultiPool, Pools: pools}, nil
	case poolSeen && poolNull:
		found := "null"
		if exportError != "" {
			found += fmt.Sprintf(" (the export says: %q)", clip(exportError, 200))
		}
		return nil, &ShapeError{Path: "$.pool", Expected: "a DPSK pool object", Found: found}
	case poolSeen && dpsksSeen:
		single.DPSKs = singleDPSKs.DPSKs
		return &Export{Shape: ShapeSinglePool, Pools: []Pool{single}}, nil
	}
	found := "an empty object"
	if len(keys) > 0 {
		found = "an object with keys " + strings.Join(keys, ", ")
	}
	if exportError != "" {
		found += fmt.Sprintf(" (the export says: %q)", clip(exportError, 200))
	}
	return nil, &ShapeError{Path: "$", Expected: `an export object with "pool" and "dpsks" (one pool) or "dpskPools" (all pools)`, Found: found}
}

// poolArray reads the value of "dpskPools": an array of pool objects.
func (p *parser) poolArray(path string, pools *[]Pool) error {
	tok, err := p.token(':')
	if err != nil {
		return err
	}
	if tok != json.Delim('[') {
		return &ShapeError{Path: path, Expected: "an array of DPSK pool objects", Found: p.describeFound(tok)}
	}
	for i := 0; p.more(); i++ {
		elemPath := path + "[" + strconv.Itoa(i) + "]"
		tok, err := p.token(elementSep(i))
		if err != nil {
			return err
		}
		if tok != json.Delim('{') {
			return &ShapeError{Path: elemPath, Expected: "a DPSK pool object", Found: p.describeFound(tok)}
		}
		var pool Pool
		if err := p.poolBody(elemPath, &pool, true); err != nil {
			return err
		}
		*pools = append(*pools, pool)
	}
	_, err = p.delim(']', path, "the end of the array")
	return err
}

// poolBody reads the members of a pool object; its '{' was read. withDPSKs
// says whether the object carries its own "dpsks" (multi-pool exports).
func (p *parser) poolBody(path string, pool *Pool, withDPSKs bool) error {
	var name string // the extractor falls back to "name" when displayName is missing
	for first := true; p.more(); first = false {
		key, err := p.key(first)
		if err != nil {
			return err
		}
		fieldPath := path + "." + key
		var (
			text textValue
			n    intValue
			b    boolValue
			list listValue
			lim  *fieldLimit // the limit of text, checked once it is read
		)
		switch strings.ToLower(key) {
		case "guid":
			err = p.decode(':', fieldPath, &text)
			pool.GUID, lim = string(text), &limitPoolGUID
		case "displayname":
			err = p.decode(':', fieldPath, &text)
			pool.DisplayName, lim = string(text), &limitPoolDisplayName
		case "name":
			err = p.decode(':', fieldPath, &text)
			name, lim = string(text), &limitPoolName
		case "description":
			err = p.decode(':', fieldPath, &text)
			pool.Description, pool.DescriptionCut = cutDescription(string(text))
		case "phrasedefaultlength":
			err = p.decode(':', fieldPath, &n)
			pool.PhraseDefaultLength = int(n)
		case "phraserandomcharacterstype":
			err = p.decode(':', fieldPath, &text)
			pool.PhraseRandomCharactersType, lim = string(text), &limitPhraseType
		case "ssidlist":
			if err = p.decode(':', fieldPath, &list); err == nil {
				err = p.checkPoolSSIDs(fieldPath, list)
			}
			pool.SSIDList = list
		case "enforceexpirationdate":
			err = p.decode(':', fieldPath, &b)
			pool.EnforceExpirationDate = bool(b)
		case "expirationdatetype":
			err = p.decode(':', fieldPath, &text)
			pool.ExpirationDateType, lim = string(text), &limitExpiryType
		case "expirationdatevalue":
			err = p.decode(':', fieldPath, &text)
			pool.ExpirationDateValue, lim = string(text), &limitExpiryValue
		case "enforcedevicecountlimit":
			err = p.decode(':', fieldPath, &b)
			pool.EnforceDeviceCountLimit = bool(b)
		case "devicecountlimit":
			err = p.decode(':', fieldPath, &n)
			pool.DeviceCountLimit = int(n)
		case "dpsks":
			if withDPSKs {
				pool.DPSKs = pool.DPSKs[:0]
				err = p.dpskArray(fieldPath, pool)
			} else {
				err = p.decode(':', fieldPath, &skipValue{})
			}
		default:
			err = p.decode(':', fieldPath, &skipValue{})
		}
		if err == nil && lim != nil {
			err = p.checkPoolText(fieldPath, string(text), lim)
		}
		if err != nil {
			return err
		}
	}
	if strings.TrimSpace(pool.DisplayName) == "" {
		pool.DisplayName = name
	}
	_, err := p.delim('}', path, "the end of the pool object")
	return err
}

// dpskArray reads an array of DPSK objects into pool.DPSKs.
func (p *parser) dpskArray(path string, pool *Pool) error {
	tok, err := p.token(':')
	if err != nil {
		return err
	}
	if tok != json.Delim('[') {
		return &ShapeError{Path: path, Expected: "an array of DPSK objects", Found: p.describeFound(tok)}
	}
	return p.dpskElements(path, pool)
}

// dpskJSON is the wire form of a DPSK; keys match case-insensitively.
type dpskJSON struct {
	GUID                textValue `json:"guid"`
	Name                textValue `json:"name"`
	Passphrase          string    `json:"passphrase"` // strictly a string: a number would lose leading zeros
	Status              textValue `json:"status"`
	SSIDList            listValue `json:"ssidList"`
	ExpirationDateTime  textValue `json:"expirationDateTime"`
	UseDeviceCountLimit boolValue `json:"useDeviceCountLimit"`
	DeviceCountLimit    intValue  `json:"deviceCountLimit"`
	VLAN                textValue `json:"vlanid"`
	Devices             skipValue `json:"devices"`
}

// dpskElements reads DPSK objects up to the closing ']' (the '[' was read).
func (p *parser) dpskElements(path string, pool *Pool) error {
	var scratch dpskJSON
	for i := 0; p.more(); i++ {
		scratch = dpskJSON{}
		d := &scratch
		if err := p.decode(elementSep(i), path+"["+strconv.Itoa(i)+"]", &d); err != nil {
			return err
		}
		if d == nil {
			return &ShapeError{Path: path + "[" + strconv.Itoa(i) + "]", Expected: "a DPSK object", Found: "null"}
		}
		if err := p.checkDPSK(path, i, d); err != nil {
			return err
		}
		pool.DPSKs = append(pool.DPSKs, DPSK{
			GUID:                string(d.GUID),
			Name:                string(d.Name),
			Passphrase:          d.Passphrase,
			Status:              string(d.Status),
			SSIDList:            d.SSIDList,
			ExpirationDateTime:  string(d.ExpirationDateTime),
			UseDeviceCountLimit: bool(d.UseDeviceCountLimit),
			DeviceCountLimit:    int(d.DeviceCountLimit),
			VLAN:                string(d.VLAN),
		})
	}
	_, err := p.delim(']', path, "the end of the array")
	return err
}

// --- decoder steps, each converting errors into located ones ---

func (p *parser) token(sep byte) (json.Token, error) {
	tok, err := p.topToken(sep)
	if err == io.EOF {
		return nil, p.fail(err)
	}
	return tok, err
}

// topToken is token for the top level, where io.EOF (no more values) is no error.
func (p *parser) topToken(sep byte) (json.Token, error) {
	p.mark, p.sep, p.step = p.dec.InputOffset(), sep, stepToken
	tok, err := p.dec.Token()
	if err == io.EOF && p.src.err == nil {
		return nil, io.EOF
	}
	if err != nil {
		return nil, p.fail(err)
	}
	return tok, nil
}

func (p *parser) more() bool {
	p.mark = p.dec.InputOffset()
	return p.dec.More()
}

func (p *parser) key(first bool) (string, error) {
	sep := byte(',')
	if first {
		sep = 0
	}
	p.step = stepKey
	p.mark, p.sep = p.dec.InputOffset(), sep
	tok, err := p.dec.Token()
	if err != nil {
		return "", p.fail(err)
	}
	key, ok := tok.(string)
	if !ok { // More said a member follows, so Token can only return a key
		return "", p.src.syntaxError(p.skipSpace(p.mark), "expected an object key")
	}
	return key, nil
}

// delim reads the closing delimiter want.
func (p *parser) delim(want json.Delim, path, what string) (json.Token, error) {
	tok, err := p.token(0)
	if err != nil {
		return nil, err
	}
	if tok != want {
		return nil, p.src.syntaxError(p.skipSpace(p.mark), fmt.Sprintf("expected %s at %s, found %s", what, path, describeToken(tok)))
	}
	return tok, nil
}

func (p *parser) decode(sep byte, path string, v any) error {
	p.mark, p.sep, p.step = p.dec.InputOffset(), sep, stepDecode
	err := p.dec.Decode(v)
	if err == nil {
		return nil
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field != "" {
			path += "." + te.Field
		}
		return &ShapeError{Path: path, Expected: expectedFor(te.Type), Found: describeGoKind(te.Value)}
	}
	return p.fail(err)
}
