package trigger_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/dpskmigrate/dpskmigrate/internal/payloadcrypt"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/trigger"
)

const uiOrigin = "http://localhost:8233"

func codecKey(seed byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{seed}, payloadcrypt.KeySize))
}

func keyRing(t *testing.T, spec string) *payloadcrypt.KeyRing {
	t.Helper()
	r, err := payloadcrypt.ParseKeys(spec)
	require.NoError(t, err)
	return r
}

// codecServer serves the trigger with a codec of ring (nil: no key) and
// returns its URL and its log.
func codecServer(t *testing.T, ring *payloadcrypt.KeyRing, token string) (string, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	cfg := trigger.Config{Token: token, InsecureNoAuth: token == "", MaxBodyBytes: 64 << 10,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Codec:  trigger.CodecConfig{Namespace: "default", CORSOrigins: []string{uiOrigin}}}
	if ring != nil {
		cfg.Codec.Codec = payloadcrypt.NewCodec(ring)
	}
	srv := httptest.NewServer(trigger.NewHandler(&migrations.Service{Temporal: temporalC}, cfg))
	t.Cleanup(srv.Close)
	return srv.URL, logs
}

// codecCall posts payloads as the Temporal CLI and UI do.
func codecCall(t *testing.T, url string, payloads []*commonpb.Payload, header map[string]string) (int, http.Header, []byte) {
	t.Helper()
	body, err := json.Marshal(&commonpb.Payloads{Payloads: payloads})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Namespace", "default")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, res.Header, b
}

func encrypted(t *testing.T, ring *payloadcrypt.KeyRing, v any) *commonpb.Payload {
	t.Helper()
	p, err := payloadcrypt.DataConverter(nil, ring).ToPayload(v)
	require.NoError(t, err)
	return p
}

func decodedPayloads(t *testing.T, body []byte) []*commonpb.Payload {
	t.Helper()
	var out commonpb.Payloads
	require.NoError(t, json.Unmarshal(body, &out), "body: %s", body)
	return out.Payloads
}

func TestCodecEndpointDecodesForTheTokenHolderOnlyAndLogsNoPayload(t *testing.T) {
	t.Parallel()
	ring := keyRing(t, "A:"+codecKey(1))
	url, logs := codecServer(t, ring, testToken)
	username := "unit007-res00042@example.net"
	p := encrypted(t, ring, map[string]string{"username": username})

	for name, auth := range map[string]string{"no token": "", "another token": "Bearer not-the-token-0123456789", "basic auth": "Basic dXNlcjpwYXNz"} {
		code, header, body := codecCall(t, url+"/codec/decode", []*commonpb.Payload{p}, map[string]string{"Authorization": auth})
		require.Equal(t, http.StatusUnauthorized, code, "%s: %s", name, body)
		require.Contains(t, header.Get("WWW-Authenticate"), "Bearer")
		require.NotContains(t, string(body), username)
	}

	code, header, body := codecCall(t, url+"/codec/decode", []*commonpb.Payload{p}, map[string]string{"Authorization": "Bearer " + testToken})
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.Equal(t, "no-store", header.Get("Cache-Control"))
	plain := decodedPayloads(t, body)
	require.Len(t, plain, 1)
	require.Equal(t, "json/plain", string(plain[0].Metadata[converter.MetadataEncoding]))
	require.JSONEq(t, `{"username":"`+username+`"}`, string(plain[0].Data))

	// The SDK's remote data converter, as the Temporal CLI uses it.
	remote := converter.NewRemoteDataConverter(converter.GetDefaultDataConverter(), converter.RemoteDataConverterOptions{
		Endpoint: url + "/codec",
		ModifyRequest: func(r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+testToken)
			return nil
		},
	})
	var got map[string]string
	require.NoError(t, remote.FromPayload(p, &got))
	require.Equal(t, username, got["username"])
	back, err := remote.ToPayload(map[string]string{"username": "bob"})
	require.NoError(t, err)
	require.Equal(t, "A", string(back.Metadata[payloadcrypt.MetadataKeyID]), "/codec/encode encrypts with the ring's key")
	require.NoError(t, payloadcrypt.DataConverter(nil, ring).FromPayload(back, &got))
	require.Equal(t, "bob", got["username"])

	log := logs.String()
	require.Contains(t, log, `"path":"/codec/decode"`, "requests are logged")
	for _, s := range []string{username, "bob", base64.StdEncoding.EncodeToString(plain[0].Data), testToken} {
		require.NotContains(t, log, s, "the codec logs a payload or the token")
	}
}

func TestCodecEndpointAnswersTheUIsPreflightWithoutATokenAndOnlyForItsOrigin(t *testing.T) {
	t.Parallel()
	url, _ := codecServer(t, keyRing(t, "A:"+codecKey(1)), testToken)
	preflight := func(origin string) *http.Response {
		req, err := http.NewRequest(http.MethodOptions, url+"/codec/decode", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-namespace")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}

	res := preflight(uiOrigin)
	require.Equal(t, http.StatusNoContent, res.StatusCode)
	require.Equal(t, uiOrigin, res.Header.Get("Access-Control-Allow-Origin"))
	allowed := strings.ToLower(res.Header.Get("Access-Control-Allow-Headers"))
	for _, h := range []string{"authorization", "content-type", "x-namespace"} {
		require.Contains(t, allowed, h)
	}
	require.Contains(t, res.Header.Get("Access-Control-Allow-Methods"), "POST")

	res = preflight("http://elsewhere.example")
	require.Equal(t, http.StatusForbidden, res.StatusCode)
	require.Empty(t, res.Header.Get("Access-Control-Allow-Origin"))

	// The UI can read a refusal too, so it can show why.
	code, header, _ := codecCall(t, url+"/codec/decode", nil, map[string]string{"Origin": uiOrigin})
	require.Equal(t, http.StatusUnauthorized, code)
	require.Equal(t, uiOrigin, header.Get("Access-Control-Allow-Origin"))
	code, header, _ = codecCall(t, url+"/codec/decode", nil, map[string]string{"Origin": "http://elsewhere.example", "Authorization": "Bearer " + testToken})
	require.Equal(t, http.StatusOK, code)
	require.Empty(t, header.Get("Access-Control-Allow-Origin"), "another origin's page cannot read decoded payloads")
}

func TestCodecEndpointRefusesAnotherNamespaceAnOversizedBodyAndOtherMethods(t *testing.T) {
	t.Parallel()
	ring := keyRing(t, "A:"+codecKey(1))
	url, _ := codecServer(t, ring, testToken)
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	p := encrypted(t, ring, "unit000-res00001")

	code, _, body := codecCall(t, url+"/codec/decode", []*commonpb.Payload{p}, map[string]string{"Authorization": "Bearer " + testToken, "X-Namespace": "payroll"})
	require.Equal(t, http.StatusNotFound, code)
	require.Contains(t, string(body), `serves the Temporal namespace \"default\" only`)
	require.NotContains(t, string(body), "unit000")

	big := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: bytes.Repeat([]byte("x"), 80<<10)}
	code, _, _ = codecCall(t, url+"/codec/encode", []*commonpb.Payload{big}, auth)
	require.Equal(t, http.StatusRequestEntityTooLarge, code)

	res, err := http.Get(url + "/codec/decode")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
}

func TestARotatedCodecServerReadsOldPayloadsAndNamesAKeyItLacks(t *testing.T) {
	t.Parallel()
	old := encrypted(t, keyRing(t, "A:"+codecKey(1)), "unit000-res00001")
	auth := map[string]string{"Authorization": "Bearer " + testToken}

	rotated, _ := codecServer(t, keyRing(t, "B:"+codecKey(2)+",A:"+codecKey(1)), testToken)
	code, _, body := codecCall(t, rotated+"/codec/decode", []*commonpb.Payload{old}, auth)
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.Equal(t, `"unit000-res00001"`, string(decodedPayloads(t, body)[0].Data))
	code, _, body = codecCall(t, rotated+"/codec/encode", decodedPayloads(t, body), auth)
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.Equal(t, "B", string(decodedPayloads(t, body)[0].Metadata[payloadcrypt.MetadataKeyID]))

	withoutA, _ := codecServer(t, keyRing(t, "B:"+codecKey(2)), testToken)
	code, _, body = codecCall(t, withoutA+"/codec/decode", []*commonpb.Payload{old}, auth)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, string(body), `encrypted with key "A", which is not in the key ring [B]`)
}

func TestWithoutAKeyTheCodecEndpointSaysThereIsNothingToDecode(t *testing.T) {
	t.Parallel()
	url, _ := codecServer(t, nil, testToken)
	code, header, body := codecCall(t, url+"/codec/decode", nil, map[string]string{"Authorization": "Bearer " + testToken})
	require.Equal(t, http.StatusNotFound, code)
	require.Equal(t, "application/problem+json", header.Get("Content-Type"))
	require.Contains(t, string(body), "no payload key")
}

func TestOnLoopbackWithoutATokenTheCodecIsOpenAsTheTriggerIs(t *testing.T) {
	t.Parallel()
	ring := keyRing(t, "A:"+codecKey(1))
	url, _ := codecServer(t, ring, "")
	code, _, body := codecCall(t, url+"/codec/decode", []*commonpb.Payload{encrypted(t, ring, "unit000-res00001")}, nil)
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.Equal(t, `"unit000-res00001"`, string(decodedPayloads(t, body)[0].Data))
}

func TestCORSOriginsAreNamedOrigins(t *testing.T) {
	got, err := trigger.ParseCORSOrigins(" http://localhost:8233, http://127.0.0.1:8233/ ,https://temporal.example.net")
	require.NoError(t, err)
	require.Equal(t, []string{"http://localhost:8233", "http://127.0.0.1:8233", "https://temporal.example.net"}, got)
	got, err = trigger.ParseCORSOrigins("")
	require.NoError(t, err)
	require.Empty(t, got)
	for _, bad := range []string{"*", "localhost:8233", "http://localhost:8233/ui", "ftp://x", "http://u:p@host", "http://host?x=1"} {
		_, err := trigger.ParseCORSOrigins(bad)
		require.Error(t, err, bad)
		require.ErrorContains(t, err, "http://localhost:8233", "the refusal shows the form")
	}
}
