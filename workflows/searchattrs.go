package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
)

// Search attributes of migrations and pools, so operators find them with
// Temporal's own tools (`temporal workflow list --query ...`, the UI's
// filters). They must be registered on the namespace (SearchAttributes lists
// them with their types; the worker refuses to start without them).
var (
	SAExport      = temporal.NewSearchAttributeKeyKeyword("DpskExport")    // export sha256
	SAFirstPool   = temporal.NewSearchAttributeKeyKeyword("DpskFirstPool") // migration: its first pool's name
	SATenant      = temporal.NewSearchAttributeKeyKeyword("DpskTenant")    // migration: the R1 tenant
	SAStatus      = temporal.NewSearchAttributeKeyKeyword("DpskStatus")    // RUNNING, COMPLETED, PARTIAL, FAILED, CANCELED
	SAPaused      = temporal.NewSearchAttributeKeyBool("DpskPaused")       // migration
	SAPoolsDone   = temporal.NewSearchAttributeKeyInt64("DpskPoolsDone")   // migration: pools finished
	SAPoolsFailed = temporal.NewSearchAttributeKeyInt64("DpskPoolsFailed") // migration
	SAMigration   = temporal.NewSearchAttributeKeyKeyword("DpskMigration") // pool: its migration's ID
	SAPool        = temporal.NewSearchAttributeKeyKeyword("DpskPool")      // pool: its name
)

// SearchAttributes maps each search attribute to its type, as `temporal
// operator search-attribute create --name N --type T` takes them.
var SearchAttributes = map[string]string{
	SAExport.GetName(): "Keyword", SAFirstPool.GetName(): "Keyword", SATenant.GetName(): "Keyword",
	SAStatus.GetName(): "Keyword", SAPaused.GetName(): "Bool", SAPoolsDone.GetName(): "Int",
	SAPoolsFailed.GetName(): "Int", SAMigration.GetName(): "Keyword", SAPool.GetName(): "Keyword",
}

const statusRunning = "RUNNING"

// startSearchAttributes sets what a migration is, once it knows its plan.
func (m *migration) startSearchAttributes(ctx workflow.Context, page activities.PlanResult) {
	if m.in.Continued != nil {
		return // set by the first run, carried across continue-as-new
	}
	updates := []temporal.SearchAttributeUpdate{
		// A pause may come before the plan: the attribute says what is in force.
		SAExport.ValueSet(m.in.Export.SHA256), SAStatus.ValueSet(statusRunning), SAPaused.ValueSet(m.st.Control.Paused),
		SAPoolsDone.ValueSet(0), SAPoolsFailed.ValueSet(0),
	}
	if len(page.Pools) > 0 {
		updates = append(updates, SAFirstPool.ValueSet(page.Pools[0].DisplayName))
	}
	if page.Tenant != "" {
		updates = append(updates, SATenant.ValueSet(page.Tenant))
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, updates...)
}

// poolSearchAttributes keeps the migration's pool counts current.
func (m *migration) poolSearchAttributes(ctx workflow.Context) {
	pc := m.st.PoolCounts
	_ = workflow.UpsertTypedSearchAttributes(ctx, SAPoolsDone.ValueSet(int64(pc.Finished()-pc.Failed)), SAPoolsFailed.ValueSet(int64(pc.Failed)))
}

func (m *migration) pausedSearchAttribute(ctx workflow.Context) {
	_ = workflow.UpsertTypedSearchAttributes(ctx, SAPaused.ValueSet(m.st.Control.Paused))
}

func (m *migration) endSearchAttributes(ctx workflow.Context) {
	_ = workflow.UpsertTypedSearchAttributes(ctx, SAStatus.ValueSet(string(m.final)), SAPaused.ValueSet(false))
}

func (p *poolRun) startSearchAttributes(ctx workflow.Context) {
	if p.in.Continued != nil {
		return
	}
	updates := []temporal.SearchAttributeUpdate{SAExport.ValueSet(p.in.Export.SHA256), SAStatus.ValueSet(statusRunning), SAPool.ValueSet(p.in.Pool.DisplayName)}
	if p.parentID != "" {
		updates = append(updates, SAMigration.ValueSet(p.parentID))
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, updates...)
}

func (p *poolRun) endSearchAttributes(ctx workflow.Context, status Status) {
	_ = workflow.UpsertTypedSearchAttributes(ctx, SAStatus.ValueSet(string(status)))
}
