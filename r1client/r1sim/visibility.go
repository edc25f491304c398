package r1sim

import "time"

// Eventual consistency. R1 applies a 202 write asynchronously: reads show a
// created object, a patch or a delete only once its activity has run, often
// seconds later. The simulator commits every write at once (uniqueness checks
// and refusals see the committed state, as R1's do) and stamps it with the
// time it becomes visible: acceptance + Options.VisibilityDelay. Reads filter
// by that stamp; there is no background work. Each object carries its state:
//
//   - visibleAt: a create shows from then on;
//   - deleted, goneAt: a delete is committed (gone from every index) but reads
//     still show the object until goneAt; it stays in its order slice until a
//     later delete prunes it;
//   - past: the values a patch replaced, shown until the patch is visible.
//
// Each container (tenant groups and pools, a group's identities, a pool's
// passphrases) keeps settle, the time from which its reads equal the
// committed state, so reads take the committed indexes once everything is
// visible (always, with a zero delay).

// state is how an object's writes become visible.
type state[T any] struct {
	visibleAt time.Time
	goneAt    time.Time // set by a delete
	deleted   bool      // committed: the object is gone from every index
	past      []version[T]
}

// version is an object's values as reads show them until a later patch is visible.
type version[T any] struct {
	until time.Time
	v     *T
}

func (s *state[T]) st() *state[T] { return s }

// remove commits a delete that reads see at w.at.
func (s *state[T]) remove(w stamp) { s.deleted, s.goneAt = true, w.at }

// keep records old (the values before a patch) as what reads show until
// w.at; call it before changing the object.
func (s *state[T]) keep(old *T, w stamp) {
	kept := s.past[:0]
	for _, p := range s.past {
		if w.now.Before(p.until) {
			kept = append(kept, p)
		}
	}
	clear(s.past[len(kept):])
	s.past = kept
	if w.now.Before(w.at) {
		s.past = append(s.past, version[T]{until: w.at, v: old})
	}
}

// prunable reports whether a deleted object may leave its order slice:
// reads no longer show it.
func (s *state[T]) prunable(now time.Time) bool { return s.deleted && !now.Before(s.goneAt) }

// stamp is a write's acceptance time and the time reads see its effect.
type stamp struct{ now, at time.Time }

func (s *Sim) stamp() stamp {
	now := s.now()
	return stamp{now: now, at: now.Add(s.options().VisibilityDelay)}
}

// settleAt moves a container's settle time to at if that is later.
func settleAt(settle *time.Time, at time.Time) {
	if at.After(*settle) {
		*settle = at
	}
}

// view is one read: what reads show at now. stale records that the answer
// differs from the committed state (an object omitted, an older version or a
// deleted object shown).
type view struct {
	now   time.Time
	stale bool
}

func (s *Sim) view() view { return view{now: s.now()} }

// settled reports whether a container's reads equal its committed state.
func (v *view) settled(settle time.Time) bool { return !v.now.Before(settle) }

// versioned is an object with a visibility state.
type versioned[T any] interface {
	*T
	st() *state[T]
	key() string
}

// see returns the version of x that reads show (x itself, or the values
// before a patch not yet visible), or nil when reads do not show x.
func see[T any, P versioned[T]](v *view, x P) P {
	s := x.st()
	shown := !v.now.Before(s.visibleAt) && (!s.deleted || v.now.Before(s.goneAt))
	if shown == s.deleted {
		v.stale = true
	}
	if !shown {
		return nil
	}
	for i := range s.past {
		if v.now.Before(s.past[i].until) {
			v.stale = true
			return P(s.past[i].v)
		}
	}
	return x
}

// lookup finds id among the objects reads may show: the committed index, and
// while the container is not settled, the deleted objects still in order. It
// returns the live object; render it with see.
func lookup[T any, P versioned[T]](v *view, idx map[string]P, order []P, settle time.Time, id string) P {
	k := normID(id)
	x := idx[k]
	if x == nil && !v.settled(settle) {
		for _, o := range order {
			if o.st().deleted && normID(o.key()) == k {
				x = o
				break
			}
		}
	}
	if x == nil || see(v, x) == nil {
		return nil
	}
	return x
}

// seeAll returns the versions of xs that reads show, in order: xs itself
// (no copy) when that is all of them unchanged.
func seeAll[T any, P versioned[T]](v *view, xs []P) []P {
	for i, x := range xs {
		if y := see(v, x); y != x {
			out := make([]P, i, len(xs))
			copy(out, xs[:i])
			if y != nil {
				out = append(out, y)
			}
			for _, x := range xs[i+1:] {
				if y := see(v, x); y != nil {
					out = append(out, y)
				}
			}
			return out
		}
	}
	return xs
}

func setOf(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// identityCount is the number of identities of g that reads show.
func (v *view) identityCount(g *group) int {
	if v.settled(g.settle) {
		return len(g.identities)
	}
	n := 0
	for _, i := range g.identityOrder {
		if see(v, i) != nil {
			n++
		}
	}
	return n
}

func (g *group) key() string      { return g.id }
func (i *identity) key() string   { return i.id }
func (p *pool) key() string       { return p.id }
func (p *passphrase) key() string { return p.id }

// snapshot methods copy the values reads render, without the object's
// indexes and state.
func (g *group) snapshot() *group {
	c := *g
	c.state, c.identities, c.identityOrder = state[group]{}, nil, nil
	return &c
}

func (i *identity) snapshot() *identity {
	c := *i
	c.state = state[identity]{}
	return &c
}

func (p *pool) snapshot() *pool {
	c := *p
	c.state, c.pps, c.order, c.byUser, c.byValue = state[pool]{}, nil, nil, nil, nil
	return &c
}

func (p *passphrase) snapshot() *passphrase {
	c := *p
	c.state = state[passphrase]{}
	return &c
}

// noteStale counts a read whose answer differed from the committed state.
func (s *Sim) noteStale(t *tenant, v *view) {
	if v.stale {
		s.stats.staleRead(t.id)
	}
}
