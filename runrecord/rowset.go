package runrecord

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
)

// RowSet is a set of row positions (0-based, in a pool's plan) kept as sorted,
// disjoint, non-adjacent ranges. Migrations create rows in runs of
// neighbours, so a 12,000-row pool usually takes a few bytes. In JSON it is a
// string such as "0-99,101,103-200".
type RowSet struct {
	ranges []span
}

type span struct{ lo, hi int } // inclusive

// Add puts row in the set.
func (s *RowSet) Add(row int) {
	if row < 0 {
		return
	}
	// i is the first span that ends at or after row-1 (it may absorb row).
	i, _ := slices.BinarySearchFunc(s.ranges, row, func(sp span, r int) int {
		switch {
		case sp.hi < r-1:
			return -1
		case sp.lo > r+1:
			return 1
		}
		return 0
	})
	switch {
	case i < len(s.ranges) && s.ranges[i].lo <= row && row <= s.ranges[i].hi:
		return // already in
	case i < len(s.ranges) && s.ranges[i].hi == row-1:
		s.ranges[i].hi = row
		if i+1 < len(s.ranges) && s.ranges[i+1].lo == row+1 {
			s.ranges[i].hi = s.ranges[i+1].hi
			s.ranges = slices.Delete(s.ranges, i+1, i+2)
		}
	case i < len(s.ranges) && s.ranges[i].lo == row+1:
		s.ranges[i].lo = row
	default:
		s.ranges = slices.Insert(s.ranges, i, span{row, row})
	}
}

// AddSet puts every row of o in the set.
func (s *RowSet) AddSet(o RowSet) {
	for _, sp := range o.ranges {
		for r := sp.lo; r <= sp.hi; r++ {
			s.Add(r)
		}
	}
}

// Contains reports whether row is in the set.
func (s RowSet) Contains(row int) bool {
	_, found := slices.BinarySearchFunc(s.ranges, row, func(sp span, r int) int {
		switch {
		case sp.hi < r:
			return -1
		case sp.lo > r:
			return 1
		}
		return 0
	})
	return found
}

// Len is the number of rows in the set.
func (s RowSet) Len() int {
	n := 0
	for _, sp := range s.ranges {
		n += sp.hi - sp.lo + 1
	}
	return n
}

// Empty reports whether the set has no row.
func (s RowSet) Empty() bool { return len(s.ranges) == 0 }

// All yields the rows in increasing order.
func (s RowSet) All() iter.Seq[int] {
	return func(yield func(int) bool) {
		for _, sp := range s.ranges {
			for r := sp.lo; r <= sp.hi; r++ {
				if !yield(r) {
					return
				}
			}
		}
	}
}

// String is the JSON form without quotes: "0-99,101".
func (s RowSet) String() string {
	var b strings.Builder
	for i, sp := range s.ranges {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(sp.lo))
		if sp.hi != sp.lo {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(sp.hi))
		}
	}
	return b.String()
}

// ParseRowSet reads the String form.
func ParseRowSet(text string) (RowSet, error) {
	var s RowSet
	if strings.TrimSpace(text) == "" {
		return s, nil
	}
	for _, part := range strings.Split(text, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return RowSet{}, fmt.Errorf("row set %q: %q is not a row or a range", clip(text), clip(part))
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return RowSet{}, fmt.Errorf("row set %q: %q is not a range", clip(text), clip(part))
			}
		}
		if n := len(s.ranges); n > 0 && a <= s.ranges[n-1].hi+1 {
			return RowSet{}, errors.New("row set ranges must be sorted and apart")
		}
		s.ranges = append(s.ranges, span{a, b})
	}
	return s, nil
}

// MarshalJSON writes the String form.
func (s RowSet) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads the String form.
func (s *RowSet) UnmarshalJSON(b []byte) error {
	var text string
	if err := json.Unmarshal(b, &text); err != nil {
		return fmt.Errorf("row set: %w", err)
	}
	v, err := ParseRowSet(text)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// IsZero lets `omitzero` drop an empty set from JSON.
func (s RowSet) IsZero() bool { return s.Empty() }

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
