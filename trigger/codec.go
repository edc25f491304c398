package trigger

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"go.temporal.io/sdk/converter"
)

// CodecOriginEnv names the environment variable behind --codec-cors-origin.
const CodecOriginEnv = "DPSKMIGRATE_CODEC_CORS_ORIGIN"

// CodecConfig configures the codec server: Temporal's codec protocol
// (POST /codec/encode, POST /codec/decode) for the Temporal CLI
// (--codec-endpoint) and UI, behind the same bearer token as /v1. It decodes
// what the workers encrypted, so it is as sensitive as the histories
// themselves: it never logs a payload.
type CodecConfig struct {
	// Codec encodes and decodes payloads; nil when no payload key is
	// configured, and /codec then says so.
	Codec converter.PayloadCodec
	// Namespace is the Temporal namespace whose payloads the codec serves; a
	// request whose X-Namespace names another is refused. Default "default".
	Namespace string
	// CORSOrigins are the browser origins (the Temporal UI's) allowed to call
	// /codec; see ParseCORSOrigins.
	CORSOrigins []string
}

// codecHeaders are what the Temporal UI and CLI send to a codec server.
const codecHeaders = "Authorization, Content-Type, X-Namespace"

func (h *handler) routeCodec(mux *http.ServeMux) {
	if h.cfg.Codec.Codec == nil {
		mux.HandleFunc("/codec/", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, r, Problem{Status: http.StatusNotFound, Detail: "this trigger has no payload key, so histories are not encrypted and there is nothing to decode: set DPSKMIGRATE_CODEC_KEYS or DPSKMIGRATE_CODEC_KEY_FILE for the trigger and the workers"})
		})
		return
	}
	codec := h.codecRequest(converter.NewPayloadCodecHTTPHandler(h.cfg.Codec.Codec))
	mux.Handle("POST /codec/encode", h.withCORS(h.authorized(codec)))
	mux.Handle("POST /codec/decode", h.withCORS(h.authorized(codec)))
	// A browser's preflight carries no credentials: it is answered without the token.
	mux.Handle("OPTIONS /codec/encode", h.withCORS(http.HandlerFunc(h.codecPreflight)))
	mux.Handle("OPTIONS /codec/decode", h.withCORS(http.HandlerFunc(h.codecPreflight)))
}

// codecRequest bounds the body and checks the namespace before next decodes.
func (h *handler) codecRequest(next http.Handler) http.HandlerFunc {
	namespace := h.cfg.Codec.Namespace
	if namespace == "" {
		namespace = "default"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if ns := r.Header.Get("X-Namespace"); ns != "" && ns != namespace {
			writeProblem(w, r, Problem{Status: http.StatusNotFound,
				Detail: fmt.Sprintf("this codec serves the Temporal namespace %q only", namespace)})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeProblem(w, r, Problem{Status: http.StatusRequestEntityTooLarge,
					Detail: fmt.Sprintf("the payloads exceed %d bytes: send fewer at a time", h.cfg.MaxBodyBytes)})
				return
			}
			writeProblem(w, r, Problem{Status: http.StatusBadRequest, Detail: "the request body could not be read"})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		w.Header().Set("Cache-Control", "no-store") // decoded payloads stay out of caches
		next.ServeHTTP(w, r)
	}
}

// withCORS lets the configured origins read the answer.
func (h *handler) withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Origin")
		if origin := r.Header.Get("Origin"); origin != "" && slices.Contains(h.cfg.Codec.CORSOrigins, origin) {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
		next.ServeHTTP(w, r)
	})
}

func (h *handler) codecPreflight(w http.ResponseWriter, r *http.Request) {
	if !slices.Contains(h.cfg.Codec.CORSOrigins, r.Header.Get("Origin")) {
		writeProblem(w, r, Problem{Status: http.StatusForbidden,
			Detail: "this origin may not call the codec: start the trigger with --codec-cors-origin (or " + CodecOriginEnv + ") set to the Temporal UI's origin, such as http://localhost:8233"})
		return
	}
	w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	w.Header().Set("Access-Control-Allow-Headers", codecHeaders)
	w.Header().Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// ParseCORSOrigins reads a comma-separated list of origins such as
// "http://localhost:8233,http://127.0.0.1:8233" (the UI's origin is whichever
// host the browser was given, so list both). "*" is refused: the codec answers
// decoded histories and only named origins may read them.
func ParseCORSOrigins(spec string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(spec, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o == "*" {
			return nil, errors.New("codec CORS origin \"*\" is refused: name the Temporal UI's origin, such as http://localhost:8233")
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("codec CORS origin %q: want scheme://host[:port], such as http://localhost:8233", o)
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out, nil
}
