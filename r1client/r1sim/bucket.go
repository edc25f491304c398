package r1sim

import (
	"math"
	"sync"
	"time"
)

// bucket is a token bucket: capacity tokens at most, refilled continuously at
// rate tokens per second. Time comes from the caller so tests can run a
// minute of saturation on a fake clock in milliseconds.
type bucket struct {
	mu       sync.Mutex
	rate     float64 // tokens per second; <= 0 means unlimited
	capacity float64
	tokens   float64
	last     time.Time
}

func newBucket(perMinute, burst int, now time.Time) *bucket {
	b := &bucket{}
	b.configure(perMinute, burst, now)
	b.tokens = b.capacity
	return b
}

// burstFor is the bucket capacity: the configured burst, or one second's worth
// of calls (at least 1).
func burstFor(perMinute, burst int) float64 {
	if burst > 0 {
		return float64(burst)
	}
	return math.Max(1, math.Floor(float64(perMinute)/60))
}

func (b *bucket) configure(perMinute, burst int, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	b.rate = float64(perMinute) / 60
	b.capacity = burstFor(perMinute, burst)
	b.tokens = math.Min(b.tokens, b.capacity)
	if b.last.IsZero() {
		b.last = now
	}
}

func (b *bucket) refill(now time.Time) {
	if b.last.IsZero() {
		b.last = now
		return
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens = math.Min(b.capacity, b.tokens+el.Seconds()*b.rate)
		b.last = now
	}
}

// take spends one token. When none is left it reports how long until one is.
func (b *bucket) take(now time.Time) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rate <= 0 {
		return true, 0
	}
	b.refill(now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}
