package stack

// The Temporal versions dpskmigrate is tested against, in one place. The
// Makefile pins the CLI (TEMPORAL_CLI_VERSION); its dev server, which every
// end-to-end test and `make demo` run, embeds the server and UI versions
// below; docker-compose.yml runs the same server and UI images. compose_test.go
// checks all four agree.
const (
	TemporalCLIVersion    = "v1.5.1"
	TemporalServerVersion = "1.29.1" // go.temporal.io/server in the CLI
	TemporalUIVersion     = "2.42.1" // github.com/temporalio/ui-server/v2 in the CLI
)
