package dobackend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/digitalocean/godo"
)

// Cluster is what cachedeck shows of one managed Redis/Valkey cluster. It
// holds no secret that can be printed: the password is kept unexported, and
// URIs are stored without it.
type Cluster struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Engine      string       `json:"engine"` // valkey, or redis on older objects
	Version     string       `json:"version"`
	Region      string       `json:"region"`
	Size        string       `json:"size"`
	Nodes       int          `json:"nodes"`
	Status      string       `json:"status"` // online, resizing, migrating, forking, creating
	Tags        []string     `json:"tags,omitempty"`
	Public      *Endpoint    `json:"public,omitempty"`
	Private     *Endpoint    `json:"private,omitempty"`
	Standby     *Endpoint    `json:"standby,omitempty"`
	Maintenance *Maintenance `json:"maintenance_window,omitempty"`
	CreatedAt   time.Time    `json:"created_at"`

	// creds is a pointer so that printing a Cluster (%v, %+v) shows an
	// address, never the password: fmt prints unexported strings as they are.
	creds *credentials
}

// credentials are the passwords the API gave; in memory only.
type credentials struct{ public, private string }

// Endpoint is one way to reach the cluster.
type Endpoint struct {
	Host string `json:"host"`
	Port int    `json:"port"`
	User string `json:"user,omitempty"`
	TLS  bool   `json:"tls"`
	URI  string `json:"uri"` // without the password
}

// Maintenance is the cluster's maintenance window.
type Maintenance struct {
	Day         string   `json:"day"`
	Hour        string   `json:"hour"`
	Pending     bool     `json:"pending"`
	Description []string `json:"description,omitempty"`
}

// IsCacheEngine reports the engines cachedeck handles.
func IsCacheEngine(engine string) bool { return engine == "valkey" || engine == "redis" }

func clusterFrom(d *godo.Database) Cluster {
	c := Cluster{
		ID: clean(d.ID, 64), Name: clean(d.Name, 100), Engine: clean(d.EngineSlug, 20), Version: clean(d.VersionSlug, 20),
		Region: clean(d.RegionSlug, 20), Size: clean(d.SizeSlug, 60), Nodes: d.NumNodes, Status: clean(d.Status, 30),
		CreatedAt: d.CreatedAt,
	}
	for i, t := range d.Tags {
		if i == 20 {
			break
		}
		c.Tags = append(c.Tags, clean(t, 60))
	}
	c.creds = &credentials{}
	c.Public, c.creds.public = endpointFrom(d.Connection)
	c.Private, c.creds.private = endpointFrom(d.PrivateConnection)
	c.Standby, _ = endpointFrom(d.StandbyConnection)
	if m := d.MaintenanceWindow; m != nil {
		c.Maintenance = &Maintenance{Day: clean(m.Day, 20), Hour: clean(m.Hour, 20), Pending: m.Pending}
		for i, line := range m.Description {
			if i == 10 {
				break
			}
			c.Maintenance.Description = append(c.Maintenance.Description, clean(line, 200))
		}
	}
	return c
}

func endpointFrom(dc *godo.DatabaseConnection) (*Endpoint, string) {
	if dc == nil || dc.Host == "" {
		return nil, ""
	}
	e := &Endpoint{Host: clean(dc.Host, 255), Port: dc.Port, User: clean(dc.User, 100), TLS: dc.SSL}
	scheme := "redis"
	if dc.SSL {
		scheme = "rediss"
	}
	u := url.URL{Scheme: scheme, Host: fmt.Sprintf("%s:%d", e.Host, e.Port)}
	if e.User != "" {
		u.User = url.User(e.User)
	}
	e.URI = u.String()
	return e, dc.Password
}

// Password is the password the API gave for the chosen endpoint, for
// connecting; callers must not print it.
func (c *Cluster) Password(private bool) string {
	if c.creds == nil {
		return ""
	}
	if private {
		return c.creds.private
	}
	return c.creds.public
}

// Endpoint returns the public endpoint, or the private one (VPC) when
// private is set; an error says which is missing.
func (c *Cluster) Endpoint(private bool) (*Endpoint, error) {
	e, which := c.Public, "public"
	if private {
		e, which = c.Private, "private"
	}
	if e == nil {
		return nil, fmt.Errorf("cluster %s has no %s connection in the API's answer (try the other network: --do-private toggles it)", c.Name, which)
	}
	return e, nil
}

// listRoot is the list answer with the pagination godo's Databases.List
// drops: its root type has no links or meta.
type listRoot struct {
	Databases []godo.Database `json:"databases"`
	Links     *godo.Links     `json:"links"`
	Meta      *godo.Meta      `json:"meta"`
}

// maxPages bounds the listing (200 clusters a page).
const (
	perPage  = 200
	maxPages = 50
)

// Clusters lists every Redis/Valkey cluster of the account, every page,
// sorted by name. Other engines are left out.
func (c *Client) Clusters(ctx context.Context) ([]Cluster, error) {
	var out []Cluster
	seen := map[string]bool{}
	for page := 1; ; page++ {
		if page > maxPages {
			return nil, fmt.Errorf("DigitalOcean API: list clusters: more than %d pages; stopped (the API keeps sending a next page)", maxPages)
		}
		var root listRoot
		err := c.call(ctx, "list clusters", true, func(ctx context.Context) (*godo.Response, error) {
			root = listRoot{}
			req, err := c.api.NewRequest(ctx, http.MethodGet, fmt.Sprintf("/v2/databases?page=%d&per_page=%d", page, perPage), nil)
			if err != nil {
				return nil, err
			}
			return c.api.Do(ctx, req, &root)
		})
		if err != nil {
			return nil, err
		}
		fresh := 0
		for i := range root.Databases {
			d := &root.Databases[i]
			if seen[d.ID] {
				continue
			}
			seen[d.ID] = true
			fresh++
			if IsCacheEngine(d.EngineSlug) {
				out = append(out, clusterFrom(d))
			}
		}
		// The next page is there when the links say so; without links, a
		// full page may have a successor. A page of nothing new ends it
		// either way (a server that ignores ?page would loop).
		more := root.Links != nil && root.Links.Pages != nil && root.Links.Pages.Next != ""
		if root.Links == nil || root.Links.Pages == nil {
			more = len(root.Databases) >= perPage
		}
		if !more || fresh == 0 {
			break
		}
	}
	slices.SortFunc(out, func(a, b Cluster) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Get reads one cluster by ID.
func (c *Client) Get(ctx context.Context, id string) (*Cluster, error) {
	var d *godo.Database
	err := c.call(ctx, "get cluster", true, func(ctx context.Context) (*godo.Response, error) {
		var resp *godo.Response
		var err error
		d, resp, err = c.api.Databases.Get(ctx, id)
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, errors.New("DigitalOcean API: get cluster: the answer holds no database")
	}
	cl := clusterFrom(d)
	return &cl, nil
}

// Find returns the cluster named name (or with that ID), read fresh.
func (c *Client) Find(ctx context.Context, name string) (*Cluster, error) {
	all, err := c.Clusters(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for i := range all {
		if all[i].Name == name || all[i].ID == name {
			return c.Get(ctx, all[i].ID)
		}
		names = append(names, all[i].Name)
	}
	known := strings.Join(names, ", ")
	if known == "" {
		known = "none"
	}
	return nil, fmt.Errorf("no Redis/Valkey cluster named %q on this account (clusters: %s)", clean(name, 100), known)
}

// CA returns the cluster's CA certificate (PEM).
func (c *Client) CA(ctx context.Context, id string) ([]byte, error) {
	var ca *godo.DatabaseCA
	err := c.call(ctx, "get CA certificate", true, func(ctx context.Context) (*godo.Response, error) {
		var resp *godo.Response
		var err error
		ca, resp, err = c.api.Databases.GetCA(ctx, id)
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	if ca == nil || !strings.Contains(string(ca.Certificate), "-----BEGIN CERTIFICATE-----") {
		return nil, errors.New("DigitalOcean API: get CA certificate: the answer holds no PEM certificate")
	}
	return ca.Certificate, nil
}

// EvictionPolicies are the API's values, in the API's spelling
// (underscores; Redis spells them with dashes).
var EvictionPolicies = []string{
	godo.EvictionPolicyNoEviction, godo.EvictionPolicyAllKeysLRU, godo.EvictionPolicyAllKeysRandom,
	godo.EvictionPolicyVolatileLRU, godo.EvictionPolicyVolatileRandom, godo.EvictionPolicyVolatileTTL,
}

// NormalizePolicy accepts the API's spelling or Redis's (allkeys-lru) and
// returns the API's; an unknown name is an error listing the choices.
func NormalizePolicy(p string) (string, error) {
	n := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(p)), "-", "_")
	if slices.Contains(EvictionPolicies, n) {
		return n, nil
	}
	return "", fmt.Errorf("eviction policy %q is not one of %s", clean(p, 40), strings.Join(EvictionPolicies, ", "))
}

// EvictionPolicy reads the cluster's eviction policy (API spelling).
func (c *Client) EvictionPolicy(ctx context.Context, id string) (string, error) {
	var p string
	err := c.call(ctx, "get eviction policy", true, func(ctx context.Context) (*godo.Response, error) {
		var resp *godo.Response
		var err error
		p, resp, err = c.api.Databases.GetEvictionPolicy(ctx, id)
		return resp, err
	})
	return clean(p, 30), err
}

// SetEvictionPolicy changes it. Setting a value is idempotent, so it is
// retried like a read.
func (c *Client) SetEvictionPolicy(ctx context.Context, id, policy string) error {
	return c.call(ctx, "set eviction policy", true, func(ctx context.Context) (*godo.Response, error) {
		return c.api.Databases.SetEvictionPolicy(ctx, id, policy)
	})
}

// FirewallRule is one trusted source.
type FirewallRule struct {
	Type  string `json:"type"` // ip_addr, droplet, k8s, tag, app
	Value string `json:"value"`
}

// Firewall lists the cluster's trusted sources.
func (c *Client) Firewall(ctx context.Context, id string) ([]FirewallRule, error) {
	var rules []godo.DatabaseFirewallRule
	err := c.call(ctx, "get firewall rules", true, func(ctx context.Context) (*godo.Response, error) {
		var resp *godo.Response
		var err error
		rules, resp, err = c.api.Databases.GetFirewallRules(ctx, id)
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	out := make([]FirewallRule, 0, len(rules))
	for i, r := range rules {
		if i == 100 {
			break
		}
		out = append(out, FirewallRule{Type: clean(r.Type, 20), Value: clean(r.Value, 100)})
	}
	return out, nil
}

// Layout is a node count and the sizes offered with it.
type Layout struct {
	Nodes int      `json:"nodes"`
	Sizes []string `json:"sizes"`
}

// SizeOptions are the sizes and node counts the API offers for engine.
type SizeOptions struct {
	Engine  string   `json:"engine"`
	Layouts []Layout `json:"layouts"`
}

// Offers reports whether size with nodes is offered.
func (o *SizeOptions) Offers(size string, nodes int) bool {
	for _, l := range o.Layouts {
		if l.Nodes == nodes && slices.Contains(l.Sizes, size) {
			return true
		}
	}
	return false
}

// Options reads the sizes and node counts on offer for engine ("valkey"
// or "redis"); an engine with no layouts falls back to the other (older
// accounts list redis only).
func (c *Client) Options(ctx context.Context, engine string) (*SizeOptions, error) {
	var o *godo.DatabaseOptions
	err := c.call(ctx, "list sizes", true, func(ctx context.Context) (*godo.Response, error) {
		var resp *godo.Response
		var err error
		o, resp, err = c.api.Databases.ListOptions(ctx)
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	if o == nil {
		return nil, errors.New("DigitalOcean API: list sizes: the answer holds no options")
	}
	order := []string{"valkey", "redis"}
	if engine == "redis" {
		order = []string{"redis", "valkey"}
	}
	for _, eng := range order {
		opts := o.ValkeyOptions
		if eng == "redis" {
			opts = o.RedisOptions
		}
		if len(opts.Layouts) == 0 {
			continue
		}
		out := &SizeOptions{Engine: eng}
		for _, l := range opts.Layouts {
			sizes := make([]string, 0, len(l.Sizes))
			for _, s := range l.Sizes {
				sizes = append(sizes, clean(s, 60))
			}
			out.Layouts = append(out.Layouts, Layout{Nodes: l.NodeNum, Sizes: sizes})
		}
		slices.SortFunc(out.Layouts, func(a, b Layout) int { return a.Nodes - b.Nodes })
		return out, nil
	}
	return nil, errors.New("DigitalOcean API: list sizes: no sizes offered for valkey or redis")
}

// ResizeCall is the exact request a resize sends, for the preview.
func ResizeCall(id, size string, nodes int) string {
	return fmt.Sprintf(`PUT /v2/databases/%s/resize {"size":%q,"num_nodes":%d}`, id, size, nodes)
}

// Resize asks the API to resize. It answers 202 at once; the work follows
// (WaitResized). A 5xx or a timeout is not retried: the request may have
// been accepted, and a second one would be refused while resizing.
func (c *Client) Resize(ctx context.Context, id, size string, nodes int) error {
	if nodes < 1 || nodes > 3 {
		return fmt.Errorf("node count %d: DigitalOcean offers 1 to 3 nodes (a primary and up to two standbys)", nodes)
	}
	err := c.call(ctx, "resize", false, func(actx context.Context) (*godo.Response, error) {
		// A request on the wire is not cancelled with ctx: its answer is
		// what tells whether the resize was accepted. Ending ctx still
		// stops a rate-limit wait, when nothing was accepted.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(actx), c.opts.RequestTimeout)
		defer cancel()
		return c.api.Databases.Resize(rctx, id, &godo.DatabaseResizeRequest{SizeSlug: size, NumNodes: nodes})
	})
	var e *APIError
	if errors.As(err, &e) && (e.Kind == KindServer || e.Kind == KindTimeout) {
		e.Detail = "the resize may have been accepted: check with 'cachedeck do show' before sending it again"
		if e.Kind == KindServer {
			e.Message = strings.TrimSpace(e.Message + " " + e.Detail)
		}
	}
	return err
}

// WaitOptions bound WaitResized.
type WaitOptions struct {
	Interval time.Duration // between polls (default 10 s, like doctl --wait)
	Timeout  time.Duration // give up waiting after this long (default 45 min)
	// Progress hears every poll: the status and the time since the wait began.
	Progress func(c *Cluster, elapsed time.Duration)
}

// maxPollFailures ends a wait after this many failed polls in a row.
const maxPollFailures = 5

// ErrWaitTimeout: the wait stopped; the resize itself goes on.
var ErrWaitTimeout = errors.New("stopped waiting: the resize goes on at DigitalOcean")

// WaitResized polls the cluster until it is online with size and nodes.
// "online right after the 202" is not done: the status takes a few seconds
// to turn resizing, so the old size online means not started yet. Ending
// ctx or the timeout stops the wait only, never the resize.
func (c *Client) WaitResized(ctx context.Context, id, size string, nodes int, o WaitOptions) (*Cluster, error) {
	if o.Interval <= 0 {
		o.Interval = 10 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 45 * time.Minute
	}
	start := time.Now()
	failures := 0
	var last *Cluster
	for {
		cl, err := c.Get(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return last, fmt.Errorf("%w (wait cancelled after %s)", ErrWaitTimeout, time.Since(start).Round(time.Second))
			}
			// A resize takes many minutes: a poll that failed after its own
			// retries is tried again at the next interval, up to
			// maxPollFailures in a row. Token and lookup errors end it.
			failures++
			transient := IsKind(err, KindServer) || IsKind(err, KindTimeout) || IsKind(err, KindRateLimited)
			if !transient || failures >= maxPollFailures || time.Since(start) >= o.Timeout {
				return last, fmt.Errorf("%w; the wait stopped: the resize goes on at DigitalOcean", err)
			}
			if err := c.opts.Sleep(ctx, o.Interval); err != nil {
				return last, fmt.Errorf("%w (wait cancelled after %s)", ErrWaitTimeout, time.Since(start).Round(time.Second))
			}
			continue
		}
		failures, last = 0, cl
		elapsed := time.Since(start)
		if o.Progress != nil {
			o.Progress(cl, elapsed)
		}
		if cl.Status == "online" && cl.Size == size && cl.Nodes == nodes {
			return cl, nil
		}
		if elapsed >= o.Timeout {
			return cl, fmt.Errorf("%w (still %s after %s; follow it with 'cachedeck do show %s')", ErrWaitTimeout, cl.Status, elapsed.Round(time.Second), cl.Name)
		}
		if err := c.opts.Sleep(ctx, min(o.Interval, o.Timeout-elapsed)); err != nil {
			return cl, fmt.Errorf("%w (wait cancelled after %s, status %s)", ErrWaitTimeout, time.Since(start).Round(time.Second), cl.Status)
		}
	}
}
