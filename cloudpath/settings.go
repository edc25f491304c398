package cloudpath

import (
	"fmt"
	"strconv"
	"strings"
)

// poolSettings maps the pool's settings; rows are the ones to be created.
func poolSettings(src *Pool, rows []Row, label string, warnings *[]string) PoolSettings {
	var s PoolSettings
	var known bool
	if s.PassphraseFormat, known = passphraseFormat(src.PhraseRandomCharactersType); !known {
		s.PassphraseFormat = inferFormat(rows)
		if t := strings.TrimSpace(src.PhraseRandomCharactersType); t != "" {
			*warnings = append(*warnings, fmt.Sprintf("%s: phraseRandomCharactersType %q is unknown; passphrase format %s inferred from the passphrases", label, clip(t, 40), s.PassphraseFormat))
		}
	}

	// R1 treats the length as a minimum for imported passphrases.
	length := src.PhraseDefaultLength
	if length <= 0 {
		length = DefaultPassphraseLength
	}
	for i := range rows {
		length = min(length, passphraseLength(rows[i].Passphrase))
	}
	s.PassphraseLength = max(MinPassphraseLength, min(length, MaxPassphraseLength))

	if src.EnforceDeviceCountLimit && src.DeviceCountLimit > 0 {
		s.DeviceCountLimit = src.DeviceCountLimit
		if s.DeviceCountLimit > MaxDevicesPerDPSK {
			s.DeviceCountLimit = MaxDevicesPerDPSK
			*warnings = append(*warnings, fmt.Sprintf("%s: device limit %d is above R1's maximum; lowered to %d", label, src.DeviceCountLimit, MaxDevicesPerDPSK))
		}
	}

	if src.EnforceExpirationDate {
		typ := strings.ToUpper(strings.TrimSpace(src.ExpirationDateType))
		n, err := strconv.Atoi(strings.TrimSpace(src.ExpirationDateValue))
		switch {
		case !r1ExpirationTypes[typ]:
			*warnings = append(*warnings, fmt.Sprintf("%s: expiration type %q has no R1 equivalent; the R1 pool gets no expiration", label, clip(src.ExpirationDateType, 40)))
		case err != nil || n <= 0:
			*warnings = append(*warnings, fmt.Sprintf("%s: expiration value %q is not a positive whole number; the R1 pool gets no expiration", label, clip(src.ExpirationDateValue, 40)))
		default:
			s.ExpirationType, s.ExpirationOffset = typ, n
		}
	}
	return s
}
