// Package dotest is a fake DigitalOcean API for tests: an httptest server
// that answers the database endpoints cachedeck uses with the JSON recorded
// in testdata/do/, keeps the state a resize changes (status resizing, then
// online with the new size), and fails on demand with the recorded error
// bodies (401, 403, 404, 422, 429, 500).
package dotest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Token is the bearer token the fake accepts; anything else is a 401.
const Token = "dop_v1_FAKE-TOKEN-0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"

// IDs of the recorded clusters.
const (
	CacheID   = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30" // coldcopy-cache, valkey, db-s-1vcpu-1gb x1, page 1
	StagingID = "b7a3c2d1-1111-4222-8333-944455556666" // coldcopy-staging, redis, db-s-2vcpu-4gb x2, page 2
	PGID      = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" // a postgres cluster, left out of lists
)

// Request is one request the fake received.
type Request struct {
	Method, Path, Query string
	Body                string
}

// Failure is an answer given instead of the normal one.
type Failure struct {
	Status  int
	Headers map[string]string
}

// Server is the fake API. Its URL goes to --do-api / CACHEDECK_DO_API.
type Server struct {
	*httptest.Server
	t    testing.TB
	dir  string
	mu   sync.Mutex
	reqs []Request
	// failures queued per path prefix ("/v2/databases/ID/resize").
	failures map[string][]Failure
	clusters map[string]map[string]any // id → database object
	order    []string                  // ids in page order
	eviction map[string]string
	ca       []byte
	// onlineBefore and resizing are how many Gets show each phase after a
	// 202 (SetPhases). optionsFile is the recorded options answer.
	onlineBefore, resizing int
	optionsFile            string
	pending                map[string]*resize
	remaining              int
}

type resize struct {
	size  string
	nodes int
	gets  int
}

// New starts the fake and stops it when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	s := &Server{
		t: t, dir: filepath.Join(filepath.Dir(file), "..", "..", "testdata", "do"),
		failures: map[string][]Failure{}, clusters: map[string]map[string]any{},
		eviction: map[string]string{}, pending: map[string]*resize{},
		onlineBefore: 1, resizing: 2, optionsFile: "options.json", remaining: 5000,
	}
	for _, page := range []string{"databases_page1.json", "databases_page2.json"} {
		var root struct {
			Databases []map[string]any `json:"databases"`
		}
		s.load(page, &root)
		for _, d := range root.Databases {
			id := d["id"].(string)
			s.clusters[id] = d
			s.order = append(s.order, id)
		}
	}
	var ev struct {
		Policy string `json:"eviction_policy"`
	}
	s.load("eviction_policy.json", &ev)
	for id := range s.clusters {
		s.eviction[id] = ev.Policy
	}
	var ca struct {
		CA struct {
			Certificate []byte `json:"certificate"`
		} `json:"ca"`
	}
	s.load("ca.json", &ca)
	s.ca = ca.CA.Certificate
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// BaseURL is the URL for --do-api (ends with /).
func (s *Server) BaseURL() string { return s.URL + "/" }

func (s *Server) load(name string, v any) {
	data, err := os.ReadFile(filepath.Join(s.dir, name))
	if err != nil {
		s.t.Fatalf("dotest: %v", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		s.t.Fatalf("dotest: %s: %v", name, err)
	}
}

func (s *Server) raw(name string) []byte {
	data, err := os.ReadFile(filepath.Join(s.dir, name))
	if err != nil {
		s.t.Fatalf("dotest: %v", err)
	}
	return data
}

// FailNext makes the next n requests whose path starts with prefix answer
// status with the recorded error body and the given headers.
func (s *Server) FailNext(prefix string, n int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures[prefix] = append(s.failures[prefix], f)
	}
}

// SetConnection points a cluster's public (and private) connection at a
// real server, for connect and fit-check tests.
func (s *Server) SetConnection(id, host string, port int, tls bool, user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	scheme := "redis"
	if tls {
		scheme = "rediss"
	}
	conn := map[string]any{
		"protocol": scheme, "uri": fmt.Sprintf("%s://%s:%s@%s:%d", scheme, user, password, host, port),
		"host": host, "port": port, "user": user, "password": password, "ssl": tls,
	}
	s.clusters[id]["connection"] = conn
	s.clusters[id]["private_connection"] = conn
}

// SetPhases sets how many Gets after a resize's 202 still show the old
// size online (the API is slow to turn resizing), then how many show
// resizing, before the cluster is online at the new size.
func (s *Server) SetPhases(onlineBefore, resizing int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onlineBefore, s.resizing = onlineBefore, resizing
}

// SetOptionsFile serves another recorded options answer (e.g.
// "options_redis_only.json").
func (s *Server) SetOptionsFile(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.optionsFile = name
}

// SetCA replaces the CA certificate the fake serves (PEM).
func (s *Server) SetCA(pem []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ca = pem
}

// Requests returns what the fake received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Count is how many requests had this method and path.
func (s *Server) Count(method, path string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// Eviction is the policy the fake holds for id.
func (s *Server) Eviction(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.eviction[id]
}

// Cluster returns a copy of a cluster's size, node count and status.
func (s *Server) Cluster(id string) (size string, nodes int, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.clusters[id]
	return d["size"].(string), int(d["num_nodes"].(float64)), d["status"].(string)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body)})
	s.remaining--
	w.Header().Set("RateLimit-Limit", "5000")
	w.Header().Set("RateLimit-Remaining", strconv.Itoa(s.remaining))
	w.Header().Set("RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	w.Header().Set("Content-Type", "application/json")

	if r.Header.Get("Authorization") != "Bearer "+Token {
		s.fail(w, Failure{Status: http.StatusUnauthorized})
		return
	}
	for prefix, queue := range s.failures {
		if strings.HasPrefix(r.URL.Path, prefix) && len(queue) > 0 {
			s.failures[prefix] = queue[1:]
			s.fail(w, queue[0])
			return
		}
	}

	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || parts[0] != "v2" || parts[1] != "databases" {
		s.fail(w, Failure{Status: http.StatusNotFound})
		return
	}
	switch {
	case len(parts) == 2 && r.Method == http.MethodGet:
		s.list(w, r)
	case len(parts) == 3 && parts[2] == "options" && r.Method == http.MethodGet:
		_, _ = w.Write(s.raw(s.optionsFile))
	case len(parts) >= 3:
		id := parts[2]
		d, ok := s.clusters[id]
		if !ok {
			s.fail(w, Failure{Status: http.StatusNotFound})
			return
		}
		sub := strings.Join(parts[3:], "/")
		switch {
		case sub == "" && r.Method == http.MethodGet:
			s.advance(id, d)
			writeJSON(w, map[string]any{"database": d})
		case sub == "ca" && r.Method == http.MethodGet:
			writeJSON(w, map[string]any{"ca": map[string]any{"certificate": base64.StdEncoding.EncodeToString(s.ca)}})
		case sub == "firewall" && r.Method == http.MethodGet:
			_, _ = w.Write(s.raw("firewall.json"))
		case sub == "eviction_policy" && r.Method == http.MethodGet:
			writeJSON(w, map[string]any{"eviction_policy": s.eviction[id]})
		case sub == "eviction_policy" && r.Method == http.MethodPut:
			var req struct {
				Policy string `json:"eviction_policy"`
			}
			if json.Unmarshal(body, &req) != nil || req.Policy == "" {
				s.unprocessable(w, "eviction_policy is required")
				return
			}
			s.eviction[id] = req.Policy
			w.WriteHeader(http.StatusNoContent)
		case sub == "resize" && r.Method == http.MethodPut:
			s.resize(w, id, d, body)
		default:
			s.fail(w, Failure{Status: http.StatusNotFound})
		}
	default:
		s.fail(w, Failure{Status: http.StatusNotFound})
	}
}

// list serves the recorded pages: page 1 has links.pages.next.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	page := r.URL.Query().Get("page")
	name := "databases_page1.json"
	if page == "2" {
		name = "databases_page2.json"
	} else if page != "" && page != "1" {
		writeJSON(w, map[string]any{"databases": []any{}, "links": map[string]any{}, "meta": map[string]any{"total": len(s.order)}})
		return
	}
	var root map[string]any
	_ = json.Unmarshal(s.raw(name), &root)
	// Serve the current state of each cluster on the page.
	dbs := root["databases"].([]any)
	for i, d := range dbs {
		id := d.(map[string]any)["id"].(string)
		dbs[i] = s.clusters[id]
	}
	writeJSON(w, root)
}

func (s *Server) resize(w http.ResponseWriter, id string, d map[string]any, body []byte) {
	var req struct {
		Size  string `json:"size"`
		Nodes int    `json:"num_nodes"`
	}
	if json.Unmarshal(body, &req) != nil || req.Size == "" || req.Nodes == 0 {
		s.unprocessable(w, "size and num_nodes are required")
		return
	}
	if d["status"] != "online" {
		s.unprocessable(w, "cluster is not online (status "+d["status"].(string)+")")
		return
	}
	var opts struct {
		Options map[string]struct {
			Layouts []struct {
				Nodes int      `json:"num_nodes"`
				Sizes []string `json:"sizes"`
			} `json:"layouts"`
		} `json:"options"`
	}
	_ = json.Unmarshal(s.raw(s.optionsFile), &opts)
	offered := false
	for _, l := range opts.Options[d["engine"].(string)].Layouts {
		for _, size := range l.Sizes {
			offered = offered || (l.Nodes == req.Nodes && size == req.Size)
		}
	}
	if !offered {
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = w.Write(s.raw("error_422.json"))
		return
	}
	s.pending[id] = &resize{size: req.Size, nodes: req.Nodes}
	w.WriteHeader(http.StatusAccepted)
}

// advance moves a pending resize one Get further: online (not started
// yet), resizing, then online at the new size.
func (s *Server) advance(id string, d map[string]any) {
	p := s.pending[id]
	if p == nil {
		return
	}
	p.gets++
	switch {
	case p.gets <= s.onlineBefore:
		d["status"] = "online"
	case p.gets <= s.onlineBefore+s.resizing:
		d["status"] = "resizing"
	default:
		d["status"], d["size"], d["num_nodes"] = "online", p.size, float64(p.nodes)
		delete(s.pending, id)
	}
}

func (s *Server) unprocessable(w http.ResponseWriter, msg string) {
	w.WriteHeader(http.StatusUnprocessableEntity)
	writeJSON(w, map[string]any{"id": "unprocessable_entity", "message": msg})
}

func (s *Server) fail(w http.ResponseWriter, f Failure) {
	for k, v := range f.Headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(f.Status)
	name := fmt.Sprintf("error_%d.json", f.Status)
	if _, err := os.Stat(filepath.Join(s.dir, name)); err == nil {
		_, _ = w.Write(s.raw(name))
		return
	}
	_, _ = w.Write(s.raw("error_500.json"))
}

func writeJSON(w http.ResponseWriter, v any) {
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(v)
	_, _ = w.Write(buf.Bytes())
}
