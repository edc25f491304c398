package r1client_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

// BenchmarkRoundTrip measures client + simulator round trips on loopback with
// latency, faults and the rate limit off, 64 calls in flight: a passphrase
// create (the migration's hot path) and a Get of it alternate.
func BenchmarkRoundTrip(b *testing.B) {
	e := newEnv(b, r1sim.Options{})
	ctx := context.Background()
	_, poolID := setup(b, e.c, "bench", 8)
	var n atomic.Int64
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0))) // about 64 in flight whatever the host
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if i%2 == 0 {
				if _, err := e.c.Pools.Get(ctx, poolID); err != nil {
					b.Error(err)
					return
				}
				continue
			}
			_, err := e.c.Passphrases.Create(ctx, poolID, r1client.PassphraseCreate{
				Passphrase: fmt.Sprintf("bench-passphrase-%d", i), Username: fmt.Sprintf("bench-%d", i)})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkSequential is one request at a time: the latency floor of a round trip.
func BenchmarkSequential(b *testing.B) {
	e := newEnv(b, r1sim.Options{})
	ctx := context.Background()
	_, poolID := setup(b, e.c, "bench", 8)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := e.c.Pools.Get(ctx, poolID); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}
