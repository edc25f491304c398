package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/worker"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// DefaultUIURL is the Temporal UI of the dev server (`make dev`).
const DefaultUIURL = "http://localhost:8233"

// Settings are what the CLI reads from the environment (the Temporal
// connection itself is read by worker.Dial).
type Settings struct {
	TaskQueue      string // DPSKMIGRATE_TASK_QUEUE
	ExportDir      string // DPSKMIGRATE_EXPORT_DIR
	Namespace      string // TEMPORAL_NAMESPACE, for links and messages
	UIBaseURL      string // TEMPORAL_UI_URL
	CallsPerMinute int    // R1_CALLS_PER_MINUTE: the plan's time estimate and watch's ETA
}

// envVars documents every environment variable the CLI reads, for the usage.
var envVars = [][2]string{
	{"TEMPORAL_ADDRESS", "Temporal frontend host:port (default localhost:7233)"},
	{"TEMPORAL_NAMESPACE", "Temporal namespace (default \"default\")"},
	{"TEMPORAL_API_KEY", "API key for Temporal Cloud"},
	{"TEMPORAL_TLS_*", "TLS settings (TEMPORAL_TLS_CLIENT_CERT_PATH, ..._KEY_PATH, ...); TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE for a temporal.toml profile"},
	{"TEMPORAL_UI_URL", "Temporal Web UI for links (default " + DefaultUIURL + ")"},
	{"DPSKMIGRATE_TASK_QUEUE", "workflow task queue the workers poll (default " + workflows.TaskQueue + ")"},
	{"DPSKMIGRATE_EXPORT_DIR", "export store shared with the workers (default " + worker.DefaultExportDir() + ")"},
	{"DPSKMIGRATE_CODEC_KEYS", "payload keys id:base64key,... (the first encrypts, every one decrypts); the workers' keys, to read encrypted histories"},
	{"DPSKMIGRATE_CODEC_KEY_FILE", "a file of id:base64key lines, instead of DPSKMIGRATE_CODEC_KEYS"},
	{"R1_CALLS_PER_MINUTE", fmt.Sprintf("the tenant's R1 call budget, for time estimates and ETAs (default %d)", worker.DefaultCallsPerMinute)},
	{"R1_BASE_URL, R1_REGION", "R1 API endpoint or region (plan --check-r1)"},
	{"R1_TENANT_ID, R1_CLIENT_ID, R1_CLIENT_SECRET", "R1 application token (plan --check-r1)"},
	{"R1_MSP_TENANT_ID", "MSP tenant acting for R1_TENANT_ID (plan --check-r1)"},
}

// LoadSettings reads the settings, with a message naming the variable to fix.
func LoadSettings(getenv func(string) string) (Settings, error) {
	s := Settings{
		TaskQueue:      or(getenv("DPSKMIGRATE_TASK_QUEUE"), workflows.TaskQueue),
		ExportDir:      or(getenv("DPSKMIGRATE_EXPORT_DIR"), worker.DefaultExportDir()),
		Namespace:      or(getenv("TEMPORAL_NAMESPACE"), "default"),
		UIBaseURL:      strings.TrimRight(or(getenv("TEMPORAL_UI_URL"), DefaultUIURL), "/"),
		CallsPerMinute: worker.DefaultCallsPerMinute,
	}
	if v := getenv("R1_CALLS_PER_MINUTE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			return s, fmt.Errorf("R1_CALLS_PER_MINUTE=%q: want a whole number from 1 to 100000, such as %d", v, worker.DefaultCallsPerMinute)
		}
		s.CallsPerMinute = n
	}
	return s, nil
}

// R1ConfigFromEnv reads the R1 credentials the same way the worker does.
func R1ConfigFromEnv(getenv func(string) string) (r1client.Config, error) {
	cfg := r1client.Config{
		Region:       getenv("R1_REGION"),
		BaseURL:      getenv("R1_BASE_URL"),
		TenantID:     getenv("R1_TENANT_ID"),
		ClientID:     getenv("R1_CLIENT_ID"),
		ClientSecret: getenv("R1_CLIENT_SECRET"),
		MSPTenantID:  getenv("R1_MSP_TENANT_ID"),
		Timeout:      worker.DefaultR1Timeout,
	}
	if cfg.TenantID == "" || cfg.ClientID == "" || cfg.ClientSecret == "" {
		return cfg, errors.New("--check-r1 reads R1: set R1_TENANT_ID, R1_CLIENT_ID and R1_CLIENT_SECRET (an R1 application token), and R1_REGION or R1_BASE_URL")
	}
	return cfg, nil
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
