package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Path is where the server answers.
const Path = "/metrics"

// CheckAddr says whether addr can be listened on as METRICS_ADDR: host:port,
// the host optional (all interfaces), the port 1 to 65535.
func CheckAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		var n int
		n, err = strconv.Atoi(port)
		if err == nil && (n < 1 || n > 65535) {
			err = errors.New("port out of range")
		}
	}
	if err != nil {
		return fmt.Errorf("METRICS_ADDR=%q: want host:port such as 127.0.0.1:9090 (0.0.0.0:9090 in a container), or unset it to serve no metrics", addr)
	}
	return nil
}

// Server serves a metrics handler at Path.
type Server struct {
	srv  *http.Server
	addr net.Addr
	done chan struct{}
}

// Serve listens on addr now (so a taken port fails at start-up) and serves h
// at Path in the background until Shutdown. Port 0 picks a free port (Addr).
func Serve(addr string, h http.Handler, logger *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR=%s: %w (choose a free port, or unset METRICS_ADDR)", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+Path, h)
	s := &Server{
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		addr: ln.Addr(),
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) && logger != nil {
			logger.Error("the metrics server stopped", "addr", s.addr.String(), "error", err)
		}
	}()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.addr.String() }

// Shutdown stops the server, letting a scrape in progress finish within ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	<-s.done
	return err
}
