package r1client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

func TestIdentityGroupLifecycle(t *testing.T) {
	e := newEnv(t, r1sim.Options{}, func(c *r1client.Config) { c.FindPageSize = 3 })
	ctx := context.Background()
	// "team-2" comes after six other groups its keyword also matches: page 3 of 3.
	for _, n := range []string{"team-20", "team-21", "team-22", "team-23", "team-24", "team-25", "team-2", "other"} {
		acc, err := e.c.IdentityGroups.Create(ctx, n, "desc "+n)
		if err != nil {
			t.Fatal(err)
		}
		mustSucceed(t, e.c, acc)
	}
	g, err := e.c.IdentityGroups.FindByName(ctx, "team-2")
	if err != nil || g == nil || g.Name != "team-2" || g.Description != "desc team-2" {
		t.Fatalf("FindByName(team-2) = %+v, %v", g, err)
	}
	if st := e.sim.Stats(); st.Calls["POST /identityGroups/query"] != 3 {
		t.Fatalf("FindByName used %d queries, want 3 (one per page)", st.Calls["POST /identityGroups/query"])
	}
	if g, err := e.c.IdentityGroups.FindByName(ctx, "team"); g != nil || err != nil {
		t.Fatalf("FindByName(team) = %+v, %v; want nil, nil (no exact match)", g, err)
	}
	got, err := e.c.IdentityGroups.Get(ctx, g.ID)
	if err != nil || !r1client.SameID(got.ID, g.ID) {
		t.Fatalf("Get = %+v, %v", got, err)
	}

	_, err = e.c.IdentityGroups.Create(ctx, "team-2", "")
	var ce *r1client.ConflictError
	if !errors.As(err, &ce) || ce.StatusCode != 409 {
		t.Fatalf("duplicate group: got %v, want *ConflictError 409", err)
	}

	acc, err := e.c.IdentityGroups.Delete(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	_, err = e.c.IdentityGroups.Get(ctx, g.ID)
	var nf *r1client.NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("Get after delete: %v, want *NotFoundError", err)
	}
}

func TestIdentityGroupQueryPagesAreSpringPagesFromZero(t *testing.T) {
	e := newEnv(t, r1sim.Options{})
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if _, err := e.c.IdentityGroups.Create(ctx, fmt.Sprintf("g%d", i), ""); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for page := 0; ; page++ {
		p, err := e.c.IdentityGroups.Query(ctx, "", page, 2)
		if err != nil {
			t.Fatal(err)
		}
		if p.Page != page || p.TotalCount != 5 {
			t.Fatalf("page %d: %+v", page, p)
		}
		for _, g := range p.Items {
			names = append(names, g.Name)
		}
		if p.Last {
			break
		}
	}
	if strings.Join(names, ",") != "g0,g1,g2,g3,g4" {
		t.Fatalf("paged names %v", names)
	}
}

func TestPoolLifecycle(t *testing.T) {
	e := newEnv(t, r1sim.Options{}, func(c *r1client.Config) { c.FindPageSize = 2 })
	ctx := context.Background()
	groupID, poolID := setup(t, e.c, "pool-main", 8)

	g, err := e.c.IdentityGroups.Get(ctx, groupID)
	if err != nil || !r1client.SameID(g.DPSKPoolID, poolID) {
		t.Fatalf("group's dpskPoolId = %q, %v; want %s", g.DPSKPoolID, err, poolID)
	}
	p, err := e.c.Pools.Get(ctx, poolID)
	if err != nil || p.Name != "pool-main" || !r1client.SameID(p.IdentityGroupID, groupID) || p.PassphraseLength != 8 {
		t.Fatalf("Get = %+v, %v", p, err)
	}

	// A duplicate name is accepted and then fails in the activity.
	g2, err := e.c.IdentityGroups.Create(ctx, "other-group", "")
	if err != nil {
		t.Fatal(err)
	}
	dup, err := e.c.Pools.Create(ctx, g2.ID, r1client.Pool{Name: "pool-main", PassphraseFormat: "MOST_SECURED", PassphraseLength: 10})
	if err != nil {
		t.Fatalf("duplicate pool create must be accepted: %v", err)
	}
	a := waitActivity(t, e.c, dup.RequestID)
	if !a.Failed() || a.FailureMessage() != "DPSK service.name: Name must be unique" {
		t.Fatalf("duplicate pool activity: %s %q", a.Status, a.FailureMessage())
	}
	if n := len(e.sim.Inventory(testTenant).Pools); n != 1 {
		t.Fatalf("%d pools after the failed duplicate, want 1", n)
	}

	acc, err := e.c.Pools.Patch(ctx, poolID, r1client.PoolPatch{PassphraseLength: ptr(12), DeviceCountLimit: ptr(3),
		ExpirationType: ptr("DAYS_AFTER_TIME"), ExpirationOffset: ptr(30), Description: ptr("patched")})
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	p, _ = e.c.Pools.Get(ctx, poolID)
	if p.PassphraseLength != 12 || p.DeviceCountLimit != 3 || p.ExpirationType != "DAYS_AFTER_TIME" || p.ExpirationOffset != 30 || p.Description != "patched" {
		t.Fatalf("after patch: %+v", p)
	}
	_, err = e.c.Pools.Patch(ctx, poolID, r1client.PoolPatch{PassphraseLength: ptr(3)})
	var ve *r1client.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("passphraseLength 3: %v, want *ValidationError", err)
	}

	found, err := e.c.Pools.FindByName(ctx, "pool-main")
	if err != nil || found == nil || !r1client.SameID(found.ID, poolID) {
		t.Fatalf("FindByName = %+v, %v", found, err)
	}
	if found, err := e.c.Pools.FindByName(ctx, "pool"); found != nil || err != nil {
		t.Fatalf("FindByName(pool) = %+v, %v; want nil, nil", found, err)
	}

	ps, err := e.c.PolicySets.Create(ctx, "ps-1", "")
	if err != nil {
		t.Fatal(err)
	}
	acc, err = e.c.Pools.AttachPolicySet(ctx, poolID, ps.ID)
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	if p, _ := e.c.Pools.Get(ctx, poolID); !r1client.SameID(p.PolicySetID, ps.ID) {
		t.Fatalf("policySetId after attach = %q", p.PolicySetID)
	}
	var ce *r1client.ConflictError
	if err := e.c.PolicySets.Delete(ctx, ps.ID); !errors.As(err, &ce) {
		t.Fatalf("deleting a policy set in use: %v, want *ConflictError", err)
	}
	acc, err = e.c.Pools.DetachPolicySet(ctx, poolID, ps.ID)
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	if p, _ := e.c.Pools.Get(ctx, poolID); p.PolicySetID != "" {
		t.Fatalf("policySetId after detach = %q", p.PolicySetID)
	}

	// Delete dependencies: pool with passphrases (DPSK-026), group with a pool (GENERAL-026).
	if _, err := e.c.Passphrases.Create(ctx, poolID, r1client.PassphraseCreate{Passphrase: "long-enough-pass", Username: "u1"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.Pools.Delete(ctx, poolID)
	if !errors.As(err, &ve) || ve.Code != "DPSK-026" {
		t.Fatalf("deleting a pool with passphrases: %v, want *ValidationError DPSK-026", err)
	}
	_, err = e.c.IdentityGroups.Delete(ctx, groupID)
	if !errors.As(err, &ve) || ve.Code != "GENERAL-026" {
		t.Fatalf("deleting a group with a pool: %v, want *ValidationError GENERAL-026", err)
	}
	pg, _ := e.c.Passphrases.Query(ctx, poolID, r1client.PassphraseQuery{})
	if _, err := e.c.Passphrases.Delete(ctx, poolID, []string{pg.Items[0].ID}); err != nil {
		t.Fatal(err)
	}
	if acc, err = e.c.Pools.Delete(ctx, poolID); err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	if acc, err = e.c.IdentityGroups.Delete(ctx, groupID); err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
}

func TestPoolQueryPagesFromOneAcrossBoundaries(t *testing.T) {
	e := newEnv(t, r1sim.Options{})
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		setup(t, e.c, fmt.Sprintf("p%d", i), 8)
	}
	var names []string
	for page := 1; ; page++ {
		p, err := e.c.Pools.Query(ctx, "", page, 2)
		if err != nil {
			t.Fatal(err)
		}
		if p.Page != page || p.TotalCount != 5 {
			t.Fatalf("page %d: page %d total %d", page, p.Page, p.TotalCount)
		}
		for _, x := range p.Items {
			names = append(names, x.Name)
		}
		if p.Last {
			if page != 3 {
				t.Fatalf("last page is %d, want 3", page)
			}
			break
		}
	}
	if strings.Join(names, ",") != "p0,p1,p2,p3,p4" {
		t.Fatalf("paged names %v", names)
	}
}

func TestPassphraseRules(t *testing.T) {
	e := newEnv(t, r1sim.Options{})
	ctx := context.Background()
	_, poolID := setup(t, e.c, "rules", 10)
	secret := "tooShort9" // 9 characters, under the pool's 10
	tests := []struct {
		name string
		in   r1client.PassphraseCreate
	}{
		{"shorter than the pool's passphraseLength", r1client.PassphraseCreate{Passphrase: secret, Username: "a"}},
		{"under 8 characters", r1client.PassphraseCreate{Passphrase: "Sh0rt!!", Username: "b"}},
		{"over 63 characters", r1client.PassphraseCreate{Passphrase: strings.Repeat("x", 64), Username: "c"}},
		{"VLAN 4095", r1client.PassphraseCreate{Passphrase: "long-enough-1", Username: "d", VLANID: 4095}},
		{"VLAN negative", r1client.PassphraseCreate{Passphrase: "long-enough-2", Username: "e", VLANID: -1}},
	}
	for _, tt := range tests {
		_, err := e.c.Passphrases.Create(ctx, poolID, tt.in)
		var ve *r1client.ValidationError
		if !errors.As(err, &ve) || ve.StatusCode != 400 || len(ve.SubErrors) == 0 {
			t.Errorf("%s: got %v, want a 400 *ValidationError with sub-errors", tt.name, err)
			continue
		}
		if strings.Contains(err.Error(), tt.in.Passphrase) {
			t.Errorf("%s: error %q echoes the passphrase", tt.name, err)
		}
	}
	if n := len(e.sim.Inventory(testTenant).Pools[0].Passphrases); n != 0 {
		t.Fatalf("%d passphrases created by refused requests", n)
	}

	acc, err := e.c.Passphrases.Create(ctx, poolID, r1client.PassphraseCreate{Passphrase: "exactly-10", Username: "ok",
		VLANID: 4094, NumberOfDevicesType: "LIMITED", NumberOfDevices: 99})
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	got, _ := e.c.Passphrases.Query(ctx, poolID, r1client.PassphraseQuery{Usernames: []string{"ok"}})
	if len(got.Items) != 1 || got.Items[0].NumberOfDevices != 50 || got.Items[0].VLANID != 4094 || got.Items[0].IdentityID == "" {
		t.Fatalf("created passphrase %+v; want numberOfDevices clamped to 50, VLAN 4094, an identityId", got.Items)
	}

	// Duplicates are accepted, then fail in the activity; nothing is created.
	for _, dup := range []struct {
		in   r1client.PassphraseCreate
		want string
	}{
		{r1client.PassphraseCreate{Passphrase: "another-value", Username: "ok"}, "DPSK passphrase.username: Passphrase username already exists"},
		{r1client.PassphraseCreate{Passphrase: "exactly-10", Username: "someone-else"}, "DPSK passphrase.passphrase: Passphrase already exists"},
	} {
		acc, err := e.c.Passphrases.Create(ctx, poolID, dup.in)
		if err != nil {
			t.Fatal(err)
		}
		if a := waitActivity(t, e.c, acc.RequestID); !a.Failed() || a.FailureMessage() != dup.want {
			t.Errorf("duplicate %s: %s %q, want FAIL %q", dup.in.Username, a.Status, a.FailureMessage(), dup.want)
		}
	}
	if n := len(e.sim.Inventory(testTenant).Pools[0].Passphrases); n != 1 {
		t.Fatalf("%d passphrases, want 1", n)
	}
}

func TestPassphraseOperationsAndPaging(t *testing.T) {
	e := newEnv(t, r1sim.Options{})
	ctx := context.Background()
	groupID, poolID := setup(t, e.c, "paging", 8)
	const n = 7
	for i := 0; i < n; i++ {
		acc, err := e.c.Passphrases.Create(ctx, poolID, r1client.PassphraseCreate{Passphrase: fmt.Sprintf("passphrase-%02d", i), Username: fmt.Sprintf("user%02d", i), VLANID: 100 + i})
		if err != nil {
			t.Fatal(err)
		}
		mustSucceed(t, e.c, acc)
	}

	// Body paging from 1, pages of 3: 3 + 3 + 1.
	var queried []string
	for page := 1; ; page++ {
		p, err := e.c.Passphrases.Query(ctx, poolID, r1client.PassphraseQuery{Page: page, PageSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		if p.Page != page || p.TotalCount != n {
			t.Fatalf("query page %d: page %d total %d", page, p.Page, p.TotalCount)
		}
		for _, x := range p.Items {
			queried = append(queried, x.Username)
		}
		if p.Last {
			break
		}
	}
	// Spring paging from 0 on the GET list.
	var listed []string
	for page := 0; ; page++ {
		p, err := e.c.Passphrases.List(ctx, poolID, page, 3)
		if err != nil {
			t.Fatal(err)
		}
		if p.Page != page || p.TotalCount != n {
			t.Fatalf("list page %d: page %d total %d", page, p.Page, p.TotalCount)
		}
		for _, x := range p.Items {
			listed = append(listed, x.Username)
		}
		if p.Last {
			break
		}
	}
	want := "user00,user01,user02,user03,user04,user05,user06"
	if strings.Join(queried, ",") != want || strings.Join(listed, ",") != want {
		t.Fatalf("query %v / list %v, want %s in creation order", queried, listed, want)
	}

	desc, _ := e.c.Passphrases.Query(ctx, poolID, r1client.PassphraseQuery{PageSize: 2, SortField: "createdDate", SortOrder: "DESC"})
	if desc.Items[0].Username != "user06" {
		t.Fatalf("createdDate DESC starts with %s", desc.Items[0].Username)
	}
	byName, err := e.c.Passphrases.Query(ctx, poolID, r1client.PassphraseQuery{Usernames: []string{"user03", "user05", "nobody"}})
	if err != nil || len(byName.Items) != 2 || byName.TotalCount != 2 {
		t.Fatalf("username filter: %+v, %v", byName, err)
	}

	one := byName.Items[0]
	got, err := e.c.Passphrases.Get(ctx, poolID, one.ID)
	if err != nil || got.Username != "user03" || got.Passphrase != "passphrase-03" || got.VLANID != 103 {
		t.Fatalf("Get = %v, %v", got, err)
	}
	acc, err := e.c.Passphrases.Patch(ctx, poolID, one.ID, r1client.PassphrasePatch{VLANID: ptr(200)})
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	if got, _ := e.c.Passphrases.Get(ctx, poolID, one.ID); got.VLANID != 200 {
		t.Fatalf("VLAN after patch %d", got.VLANID)
	}

	// Identities: one per passphrase, named after the username, Spring pages.
	var idents []r1client.Identity
	for page := 0; ; page++ {
		p, err := e.c.Identities.List(ctx, groupID, page, 4)
		if err != nil {
			t.Fatal(err)
		}
		idents = append(idents, p.Items...)
		if p.Last {
			break
		}
	}
	if len(idents) != n || idents[3].Name != "user03" || !r1client.SameID(idents[3].ID, one.IdentityID) || !r1client.SameID(idents[3].GroupID, groupID) {
		t.Fatalf("identities %+v", idents)
	}
	acc, err = e.c.Identities.Patch(ctx, groupID, idents[3].ID, r1client.IdentityPatch{Description: ptr("cloudpath guid 123"), VLAN: ptr(300)})
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	inv := e.sim.Inventory(testTenant)
	if id := inv.IdentityGroups[0].Identities[3]; id.Description != "cloudpath guid 123" || id.VLAN != 300 {
		t.Fatalf("identity after patch %+v", id)
	}
	_, err = e.c.Identities.Patch(ctx, groupID, idents[3].ID, r1client.IdentityPatch{VLAN: ptr(5000)})
	var ve *r1client.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("identity VLAN 5000: %v, want *ValidationError", err)
	}

	acc, err = e.c.Passphrases.Delete(ctx, poolID, []string{byName.Items[0].ID, byName.Items[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	if p, _ := e.c.Passphrases.Query(ctx, poolID, r1client.PassphraseQuery{}); p.TotalCount != n-2 {
		t.Fatalf("%d passphrases after deleting 2", p.TotalCount)
	}
	_, err = e.c.Passphrases.Get(ctx, poolID, one.ID)
	var nf *r1client.NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("Get deleted passphrase: %v", err)
	}
	if g, _ := e.c.IdentityGroups.Get(ctx, groupID); g.IdentityCount != n-2 {
		t.Fatalf("identityCount %d after deleting 2 passphrases", g.IdentityCount)
	}
}

func TestPolicySets(t *testing.T) {
	e := newEnv(t, r1sim.Options{}, func(c *r1client.Config) { c.FindPageSize = 2 })
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if _, err := e.c.PolicySets.Create(ctx, fmt.Sprintf("Set-%d", i), "for tests"); err != nil {
			t.Fatal(err)
		}
	}
	p, err := e.c.PolicySets.Query(ctx, 2, 2)
	if err != nil || p.Page != 2 || p.TotalCount != 5 || !p.Last || len(p.Items) != 1 {
		t.Fatalf("page 2 of 2-item pages: %+v, %v", p, err)
	}
	ps, err := e.c.PolicySets.FindByName(ctx, "set-4") // case-insensitive, on the third page
	if err != nil || ps == nil || ps.Name != "Set-4" {
		t.Fatalf("FindByName(set-4) = %+v, %v", ps, err)
	}
	if ps, err := e.c.PolicySets.FindByName(ctx, "Set-9"); ps != nil || err != nil {
		t.Fatalf("FindByName(Set-9) = %+v, %v", ps, err)
	}
	_, err = e.c.PolicySets.Create(ctx, "SET-4", "")
	var ce *r1client.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("duplicate policy set: %v, want *ConflictError", err)
	}
	if err := e.c.PolicySets.Delete(ctx, ps.ID); err != nil {
		t.Fatal(err)
	}
	var nf *r1client.NotFoundError
	if err := e.c.PolicySets.Delete(ctx, ps.ID); !errors.As(err, &nf) {
		t.Fatalf("second delete: %v, want *NotFoundError", err)
	}
}

func TestParallelCreatesLoseNothing(t *testing.T) {
	e := newEnv(t, r1sim.Options{})
	ctx := context.Background()
	_, poolID := setup(t, e.c, "parallel", 8)
	const workers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				_, err := e.c.Passphrases.Create(ctx, poolID, r1client.PassphraseCreate{
					Passphrase: fmt.Sprintf("pass-%03d-%03d", w, i), Username: fmt.Sprintf("u-%03d-%03d", w, i)})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	inv := e.sim.Inventory(testTenant)
	if n := len(inv.Pools[0].Passphrases); n != workers*each {
		t.Fatalf("%d passphrases, want %d", n, workers*each)
	}
	if n := inv.IdentityGroups[0].IdentityCount; n != workers*each {
		t.Fatalf("%d identities, want %d", n, workers*each)
	}
}
