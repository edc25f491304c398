package migrations

import (
	"context"

	"github.com/dpskmigrate/dpskmigrate/internal/r1budget"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// Budget is the R1 call budget in force on the R1 task queue (r1budget).
type Budget = r1budget.Budget

// Budget reads the R1 call budget in force for the migrations of this
// service's task queue: the R1 queue's rate limit while one is set (lowered
// live with `temporal task-queue config set --queue-rps-limit`), the workers'
// R1_CALLS_PER_MINUTE otherwise.
func (s *Service) Budget(ctx context.Context) (Budget, error) {
	return r1budget.Read(ctx, s.Temporal.WorkflowService(), s.Namespace, workflows.R1TaskQueue(s.taskQueue()))
}
