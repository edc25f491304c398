package migrations_test

import (
	"os"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/dpskmigrate/dpskmigrate/internal/stack"
)

var temporalC client.Client

func TestMain(m *testing.M) {
	os.Exit(stack.RunWithTemporal(m, func(srv *testsuite.DevServer) { temporalC = srv.Client() }))
}
