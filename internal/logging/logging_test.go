package logging

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNewHonoursFormatAndLevel(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, "json", "warn")
	log.Info("hidden")
	log.Warn("shown", "k", 1)
	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line), buf.String())
	require.Equal(t, "shown", line["msg"])

	buf.Reset()
	New(&buf, "", "nonsense").Info("info by default")
	require.Contains(t, buf.String(), "level=INFO msg=\"info by default\"")
}
