package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestServesQuicklyAndShutsDownGracefully(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-log-level", "debug", "-credentials", "cid:topsecret"}, &logs,
			func(addr string) { ready <- addr })
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(time.Second):
		t.Fatal("not serving within a second")
	}
	t.Logf("serving after %s", time.Since(start))

	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"topsecret"}}
	resp, err := http.PostForm("http://"+addr+"/oauth2/token/t1", form)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: %v %v", err, resp)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	req, _ := http.NewRequest("POST", "http://"+addr+"/policySets", strings.NewReader(`{"name":"x","description":""}`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create: %v %v", err, resp)
	}

	// Writes show in reads a few seconds after their 202 by default, as in R1.
	resp, err = http.Get("http://" + addr + "/__sim/config")
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	json.NewDecoder(resp.Body).Decode(&cfg)
	resp.Body.Close()
	if cfg["visibilityDelay"] != "3s" {
		t.Errorf("default visibilityDelay %v, want 3s", cfg["visibilityDelay"])
	}

	cancel() // what SIGINT/SIGTERM does in main
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	out := logs.String()
	for _, want := range []string{"r1sim listening", "op=\"POST /policySets\"", "r1sim stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"topsecret", tok.AccessToken} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains a secret")
		}
	}
}

func TestRefusesNonLoopbackAndBadFlags(t *testing.T) {
	var logs syncBuffer
	for _, args := range [][]string{
		{"-addr", "0.0.0.0:8555"},
		{"-fault-5xx", "2"},
		{"-credentials", "no-colon"},
		{"-commit-then-fail-mode", "sometimes"},
		{"-visibility-delay", "-1s"},
		{"-commit-then-fail-ops", "creates,GET /dpskServices/{id}"},
		{"-ssid-limit-refusal", "later"},
		{"-network-get", "stale"},
		{"-rebind-pool", "REPLACE"},
	} {
		if err := run(context.Background(), args, &logs, nil); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
	if err := checkLoopback("0.0.0.0:1", true); err != nil {
		t.Errorf("-allow-remote: %v", err)
	}
	if err := checkLoopback("[::1]:1", false); err != nil {
		t.Errorf("::1: %v", err)
	}
}
