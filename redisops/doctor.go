package redisops

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Doctor check statuses. Critical and warning are findings; info is worth
// knowing but breaks no baseline; unknown could not be seen (Why says why).
const (
	DoctorOK       = "ok"
	DoctorCritical = FindingCritical
	DoctorWarning  = FindingWarning
	DoctorInfo     = FindingInfo
	DoctorUnknown  = "unknown"
)

// DoctorCheck is one point of the production baseline on one node.
type DoctorCheck struct {
	ID       string // maxmemory, maxmemory-policy, persistence-rdb, …
	Node     string
	Status   string
	Seen     string // what the server showed
	Baseline string // what coldcopy-redis-cache.md's production configuration says
	Remedy   string // the exact config line, and the DigitalOcean setting where one exists
	Why      string // unknown: why it could not be seen
	Source   string // CONFIG, INFO, ACL DRYRUN, probe
}

// DoctorReport is the server against the production baseline.
type DoctorReport struct {
	Server   string
	Product  string
	Version  string
	User     string // the ACL user checked for dangerous commands
	Checks   []DoctorCheck
	Duration time.Duration
}

// Findings are the checks with status critical or warning.
func (r *DoctorReport) Findings() []DoctorCheck {
	var out []DoctorCheck
	for _, c := range r.Checks {
		if c.Status == DoctorCritical || c.Status == DoctorWarning {
			out = append(out, c)
		}
	}
	return out
}

// doctorConfig are the settings read with CONFIG GET, one per command so
// that Redis 6 (one pattern per CONFIG GET) answers too. requirepass is
// never asked for: it is the password.
var doctorConfig = []string{
	"maxmemory", "maxmemory-policy", "save", "appendonly", "appendfsync", "protected-mode",
	"slowlog-log-slower-than", "slowlog-max-len", "latency-monitor-threshold",
	"maxclients", "tcp-keepalive", "client-output-buffer-limit", "tls-port", "port",
}

// dangerousCommands are the commands the baseline renames away, with the
// arguments ACL DRYRUN checks them with.
var dangerousCommands = []struct {
	name     string
	args     []string
	severity string
}{
	{"FLUSHALL", nil, DoctorCritical},
	{"FLUSHDB", nil, DoctorCritical},
	{"KEYS", []string{"cachedeck:doctor:probe"}, DoctorWarning},
	{"CONFIG", []string{"GET", "maxmemory"}, DoctorWarning},
	{"DEBUG", []string{"HELP"}, DoctorWarning},
}

// Doctor checks every master against the production baseline of
// coldcopy-redis-cache.md: maxmemory and allkeys-lru, persistence,
// protected-mode, the default user, dangerous commands the connected user
// may run, TLS, slowlog and latency settings, maxclients, tcp-keepalive,
// client output buffer limits, replication, fragmentation, evictions and
// rejected connections. Settings come from CONFIG GET; where CONFIG is
// renamed or blocked they are inferred from INFO, ACL DRYRUN and harmless
// probes (an unauthenticated PING, DEBUG HELP, KEYS without arguments),
// and what stays unseen is a check with status unknown and the reason.
// FLUSHALL and FLUSHDB are never sent, in any form.
func (c *Client) Doctor(ctx context.Context) (*DoctorReport, error) {
	start := time.Now()
	r := &DoctorReport{Server: c.Addr, Product: c.Server.Product, Version: c.Server.Version, User: c.user()}
	var mu sync.Mutex
	err := c.ForEachNode(ctx, func(ctx context.Context, node *redis.Client) error {
		checks, err := c.doctorNode(ctx, node)
		mu.Lock()
		r.Checks = append(r.Checks, checks...)
		mu.Unlock()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	slices.SortStableFunc(r.Checks, func(a, b DoctorCheck) int {
		if x, y := doctorRank(a.Status), doctorRank(b.Status); x != y {
			return x - y
		}
		return strings.Compare(a.Node, b.Node)
	})
	r.Duration = time.Since(start)
	return r, nil
}

func doctorRank(s string) int {
	return slices.Index([]string{DoctorCritical, DoctorWarning, DoctorInfo, DoctorUnknown, DoctorOK}, s)
}

// doctorFacts is what one node showed.
type doctorFacts struct {
	info       map[string]string // every INFO field, sections merged
	config     map[string]string // CONFIG GET answers; nil when CONFIG is unavailable
	configWhy  string            // why CONFIG is unavailable
	tls        bool
	addr       string
	loopback   bool
	anonPing   error // the unauthenticated PING's reply
	anonPinged bool
}

func (c *Client) doctorNode(ctx context.Context, node *redis.Client) ([]DoctorCheck, error) {
	f := &doctorFacts{addr: node.Options().Addr, tls: node.Options().TLSConfig != nil, info: map[string]string{}}
	f.loopback = isLoopback(node.Options())
	sections, err := node.InfoMap(ctx).Result() // the default sections hold all we read, on every version
	if err != nil && !IsRefusal(err) {
		return nil, err
	}
	for _, sec := range sections {
		for k, v := range sec {
			f.info[k] = v
		}
	}
	infoWhy := ""
	if err != nil {
		infoWhy = "INFO " + Refusal(err)
	}

	pipe := node.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(doctorConfig))
	for i, name := range doctorConfig {
		cmds[i] = pipe.ConfigGet(ctx, name)
	}
	_, _ = pipe.Exec(ctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.config = map[string]string{}
	for i, cmd := range cmds {
		vals, err := cmd.Result()
		if err != nil {
			if why := Refusal(err); why != "" {
				f.config, f.configWhy = nil, "CONFIG "+why
				break
			}
			var rerr redis.Error
			if !errors.As(err, &rerr) {
				return nil, fmt.Errorf("CONFIG GET on %s: %w", f.addr, err)
			}
			continue
		}
		if v, ok := vals[doctorConfig[i]]; ok {
			f.config[doctorConfig[i]] = v
		}
	}
	f.anonPing, f.anonPinged = anonymousPing(ctx, node.Options())

	d := &doctorRun{f: f, node: f.addr, infoWhy: infoWhy}
	d.memory()
	d.persistence()
	d.access(ctx, c, node)
	d.transport()
	d.limits()
	d.health()
	return d.checks, nil
}

// anonymousPing opens a connection without credentials and PINGs: the
// answer says whether the default user needs a password, whatever CONFIG
// and ACL allow us to read.
func anonymousPing(ctx context.Context, o *redis.Options) (error, bool) {
	opts := *o
	opts.Username, opts.Password, opts.DB = "", "", 0
	opts.CredentialsProvider, opts.CredentialsProviderContext, opts.StreamingCredentialsProvider = nil, nil, nil
	opts.OnConnect = nil
	opts.PoolSize, opts.MinIdleConns, opts.MaxRetries = 1, 0, -1
	anon := redis.NewClient(&opts)
	defer anon.Close()
	pctx, cancel := context.WithTimeout(ctx, max(opts.DialTimeout, time.Second))
	defer cancel()
	err := anon.Ping(pctx).Err()
	var rerr redis.Error
	if err != nil && !errors.As(err, &rerr) && !isAuthFailure(err) {
		return err, false // the probe itself failed (network): not evidence
	}
	return err, true
}

func isLoopback(o *redis.Options) bool {
	if o.Network == "unix" {
		return true
	}
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// doctorRun builds one node's checks.
type doctorRun struct {
	f       *doctorFacts
	node    string
	infoWhy string
	checks  []DoctorCheck
}

func (d *doctorRun) add(c DoctorCheck) {
	c.Node = d.node
	d.checks = append(d.checks, c)
}

// setting returns a CONFIG value, or why it cannot be seen.
func (d *doctorRun) setting(name string) (string, string) {
	if d.f.config == nil {
		return "", d.f.configWhy
	}
	v, ok := d.f.config[name]
	if !ok {
		return "", "CONFIG GET " + name + " answered nothing (not a setting of this server version)"
	}
	return v, ""
}

// field returns an INFO field, or why it cannot be seen.
func (d *doctorRun) field(name string) (string, string) {
	if d.infoWhy != "" {
		return "", d.infoWhy
	}
	v, ok := d.f.info[name]
	if !ok {
		return "", "INFO has no " + name + " on this server"
	}
	return v, ""
}

func (d *doctorRun) unknown(id, baseline, remedy, why string) {
	d.add(DoctorCheck{ID: id, Status: DoctorUnknown, Baseline: baseline, Remedy: remedy, Why: why})
}

func (d *doctorRun) memory() {
	const base = "maxmemory 512mb (a limit below the host's RAM)"
	const remedy = "maxmemory 512mb (about 75% of the RAM left to Redis); DigitalOcean managed: set by the plan size (resize the cluster)"
	v, src := "", "CONFIG"
	var why string
	if v, why = d.setting("maxmemory"); why != "" {
		if v, why = d.field("maxmemory"); why == "" {
			src = "INFO"
		}
	}
	switch n, err := strconv.ParseInt(v, 10, 64); {
	case why != "":
		d.unknown("maxmemory", base, remedy, why)
	case err != nil:
		d.unknown("maxmemory", base, remedy, "unreadable value "+strconv.Quote(v))
	case n == 0:
		d.add(DoctorCheck{ID: "maxmemory", Status: DoctorCritical, Seen: "maxmemory 0 (no limit): the cache grows until the host runs out of memory", Baseline: base, Remedy: remedy, Source: src})
	default:
		d.add(DoctorCheck{ID: "maxmemory", Status: DoctorOK, Seen: "maxmemory " + configSize(n), Baseline: base, Source: src})
	}

	const pbase = "maxmemory-policy allkeys-lru"
	const premedy = "maxmemory-policy allkeys-lru; DigitalOcean managed: cluster Settings → Eviction policy → allkeys_lru"
	src = "CONFIG"
	if v, why = d.setting("maxmemory-policy"); why != "" {
		if v, why = d.field("maxmemory_policy"); why == "" {
			src = "INFO"
		}
	}
	switch {
	case why != "":
		d.unknown("maxmemory-policy", pbase, premedy, why)
	case v == "allkeys-lru":
		d.add(DoctorCheck{ID: "maxmemory-policy", Status: DoctorOK, Seen: "maxmemory-policy " + v, Baseline: pbase, Source: src})
	case v == "noeviction":
		d.add(DoctorCheck{ID: "maxmemory-policy", Status: DoctorCritical, Seen: "maxmemory-policy noeviction: when memory is full the app's writes fail instead of old keys being evicted", Baseline: pbase, Remedy: premedy, Source: src})
	default:
		d.add(DoctorCheck{ID: "maxmemory-policy", Status: DoctorWarning, Seen: "maxmemory-policy " + v, Baseline: pbase, Remedy: premedy, Source: src})
	}
}

func (d *doctorRun) persistence() {
	// RDB save points: CONFIG only.
	const sbase = "save 900 1 / save 300 10 / save 60 10000"
	const sremedy = "save 900 1\nsave 300 10\nsave 60 10000 (DigitalOcean managed: persistence is DigitalOcean's)"
	if v, why := d.setting("save"); why != "" {
		d.unknown("persistence-rdb", sbase, sremedy, why+"; INFO does not list save points")
	} else if strings.TrimSpace(v) == "" {
		d.add(DoctorCheck{ID: "persistence-rdb", Status: DoctorWarning, Seen: `save "" (no RDB snapshots: a restart starts cold)`, Baseline: sbase, Remedy: sremedy, Source: "CONFIG"})
	} else if v != "900 1 300 10 60 10000" {
		d.add(DoctorCheck{ID: "persistence-rdb", Status: DoctorInfo, Seen: "save " + v, Baseline: sbase, Remedy: sremedy, Source: "CONFIG"})
	} else {
		d.add(DoctorCheck{ID: "persistence-rdb", Status: DoctorOK, Seen: "save " + v, Baseline: sbase, Source: "CONFIG"})
	}
	// AOF on and everysec.
	const abase = "appendonly yes, appendfsync everysec"
	const aremedy = "appendonly yes\nappendfsync everysec"
	aof, src := "", "CONFIG"
	aofWhy := ""
	if v, why := d.setting("appendonly"); why == "" {
		aof = v
	} else if v, why2 := d.field("aof_enabled"); why2 == "" {
		aof, src = map[string]string{"1": "yes", "0": "no"}[v], "INFO"
	} else {
		aofWhy = why
	}
	switch {
	case aofWhy != "":
		d.unknown("persistence-aof", abase, aremedy, aofWhy)
	case aof != "yes":
		d.add(DoctorCheck{ID: "persistence-aof", Status: DoctorWarning, Seen: "appendonly no", Baseline: abase, Remedy: aremedy, Source: src})
	default:
		if v, why := d.setting("appendfsync"); why != "" {
			d.add(DoctorCheck{ID: "persistence-aof", Status: DoctorUnknown, Seen: "appendonly yes (INFO)", Baseline: abase, Remedy: aremedy, Why: "appendfsync: " + why + "; INFO does not show it"})
		} else if v != "everysec" {
			d.add(DoctorCheck{ID: "persistence-aof", Status: DoctorWarning, Seen: "appendonly yes, appendfsync " + v, Baseline: abase, Remedy: "appendfsync everysec", Source: "CONFIG"})
		} else {
			d.add(DoctorCheck{ID: "persistence-aof", Status: DoctorOK, Seen: "appendonly yes, appendfsync everysec", Baseline: abase, Source: "CONFIG"})
		}
	}
	// Last save and rewrite status: INFO.
	const lbase = "the last BGSAVE, AOF rewrite and AOF write succeeded"
	if d.infoWhy != "" {
		d.unknown("persistence-status", lbase, "", d.infoWhy)
		return
	}
	var bad []string
	for _, k := range []string{"rdb_last_bgsave_status", "aof_last_bgrewrite_status", "aof_last_write_status"} {
		if v, ok := d.f.info[k]; ok && v != "ok" {
			bad = append(bad, k+":"+v)
		}
	}
	if len(bad) > 0 {
		d.add(DoctorCheck{ID: "persistence-status", Status: DoctorCritical, Seen: strings.Join(bad, ", "), Baseline: lbase,
			Remedy: "read the server log (disk full? fork failed: vm.overcommit_memory = 1); stop-writes-on-bgsave-error yes blocks writes until a BGSAVE succeeds", Source: "INFO"})
	} else {
		d.add(DoctorCheck{ID: "persistence-status", Status: DoctorOK, Seen: "last BGSAVE, AOF rewrite and write ok", Baseline: lbase, Source: "INFO"})
	}
}

func (d *doctorRun) access(ctx context.Context, c *Client, node *redis.Client) {
	// protected-mode: CONFIG only.
	const pbase = "protected-mode yes"
	if v, why := d.setting("protected-mode"); why != "" {
		d.unknown("protected-mode", pbase, "protected-mode yes", why+"; INFO does not show it")
	} else if v != "yes" {
		d.add(DoctorCheck{ID: "protected-mode", Status: DoctorWarning, Seen: "protected-mode " + v, Baseline: pbase, Remedy: "protected-mode yes", Source: "CONFIG"})
	} else {
		d.add(DoctorCheck{ID: "protected-mode", Status: DoctorOK, Seen: "protected-mode yes", Baseline: pbase, Source: "CONFIG"})
	}

	// The default user: an unauthenticated PING tells.
	const dbase = "the default user needs a password (requirepass) or is disabled"
	const dremedy = "requirepass <32+ random characters> (or ACL: user default off); DigitalOcean managed: always password-protected"
	switch err := d.f.anonPing; {
	case !d.f.anonPinged:
		d.unknown("default-user", dbase, dremedy, "the unauthenticated probe connection failed: "+Describe(err))
	case err == nil:
		d.add(DoctorCheck{ID: "default-user", Status: DoctorCritical, Seen: "a connection without any password was answered: the default user has no password", Baseline: dbase, Remedy: dremedy, Source: "probe"})
	case strings.HasPrefix(err.Error(), "DENIED"):
		d.add(DoctorCheck{ID: "default-user", Status: DoctorWarning, Seen: "the default user has no password; only protected-mode keeps remote clients out", Baseline: dbase, Remedy: dremedy, Source: "probe"})
	default:
		d.add(DoctorCheck{ID: "default-user", Status: DoctorOK, Seen: "unauthenticated connections are refused (" + firstLine(err.Error()) + ")", Baseline: dbase, Source: "probe"})
	}

	// Dangerous commands the connected user can run.
	user := c.user()
	for _, dc := range dangerousCommands {
		d.dangerous(ctx, node, user, dc.name, dc.args, dc.severity)
	}
}

// dangerous checks one command: ACL DRYRUN when the user may run it, else
// COMMAND INFO (does it exist?), else a probe that cannot do anything (an
// arity error or DEBUG HELP). FLUSHALL and FLUSHDB are never probed.
func (d *doctorRun) dangerous(ctx context.Context, node *redis.Client, user, name string, args []string, severity string) {
	id := "command-" + strings.ToLower(name)
	base := name + " renamed away or denied to the application's users"
	remedy := fmt.Sprintf(`rename-command %s "" (or ACL SETUSER %s -%s); DigitalOcean managed: blocked by DigitalOcean`, name, user, strings.ToLower(name))
	if name == "DEBUG" {
		remedy = "enable-debug-command no (the default since Redis 7)"
	}
	available := func(seen, src string) {
		d.add(DoctorCheck{ID: id, Status: severity, Seen: seen, Baseline: base, Remedy: remedy, Source: src})
	}
	safe := func(seen, src string) {
		d.add(DoctorCheck{ID: id, Status: DoctorOK, Seen: seen, Baseline: base, Source: src})
	}
	// DEBUG: ACL DRYRUN says nothing of enable-debug-command; DEBUG HELP
	// does nothing and tells.
	if name == "DEBUG" {
		err := node.Do(ctx, "DEBUG", "HELP").Err()
		switch {
		case err == nil:
			available("DEBUG HELP answered: DEBUG is enabled for "+user, "probe")
		case strings.Contains(err.Error(), "not allowed"):
			safe("DEBUG is disabled (enable-debug-command)", "probe")
		case IsRefusal(err):
			safe("DEBUG "+Refusal(err), "probe")
		default:
			d.unknown(id, base, remedy, "DEBUG HELP answered "+firstLine(err.Error()))
		}
		return
	}
	dry := append([]any{"ACL", "DRYRUN", user, name}, anySlice(args)...)
	res, err := node.Do(ctx, dry...).Text()
	switch {
	case err == nil && res == "OK":
		available(fmt.Sprintf("%s is available to %s (ACL DRYRUN)", name, user), "ACL DRYRUN")
		return
	case err == nil:
		safe(fmt.Sprintf("%s is denied to %s: %s", name, user, firstLine(res)), "ACL DRYRUN")
		return
	case strings.Contains(err.Error(), "Command '") && strings.Contains(err.Error(), "not found"):
		safe(name+" is renamed away (ACL DRYRUN: command not found)", "ACL DRYRUN")
		return
	}
	dryWhy := "ACL DRYRUN " + Describe(err)
	// COMMAND INFO: a renamed-away command is absent.
	vals, cerr := node.Do(ctx, "COMMAND", "INFO", name).Slice()
	if cerr == nil && len(vals) == 1 && vals[0] == nil {
		safe(name+" is renamed away (COMMAND INFO knows no such command)", "COMMAND INFO")
		return
	}
	if name == "FLUSHALL" || name == "FLUSHDB" {
		why := dryWhy
		if cerr != nil {
			why += "; COMMAND INFO " + Describe(cerr)
		} else {
			why += "; the command exists (COMMAND INFO)"
		}
		d.unknown(id, base, remedy, why+"; cachedeck never sends "+name+" to find out")
		return
	}
	// KEYS with no argument and CONFIG with no subcommand fail on arity
	// before anything runs: "unknown command" means renamed away.
	perr := node.Do(ctx, name).Err()
	switch {
	case perr != nil && strings.HasPrefix(perr.Error(), "ERR unknown command"):
		safe(name+" is renamed away (the server does not know it)", "probe")
	case perr != nil && strings.HasPrefix(perr.Error(), "NOPERM"):
		safe(name+" is denied to "+user+" ("+firstLine(perr.Error())+")", "probe")
	default:
		d.unknown(id, base, remedy, dryWhy+"; "+name+" exists on the server, and whether "+user+" may run it cannot be seen without ACL DRYRUN")
	}
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func (d *doctorRun) transport() {
	const base = "TLS for connections (rediss://)"
	const remedy = "tls-port 6379, port 0, tls-cert-file/tls-key-file/tls-ca-cert-file; clients use rediss:// (DigitalOcean managed: always TLS on port 25061)"
	switch {
	case d.f.tls:
		d.add(DoctorCheck{ID: "tls", Status: DoctorOK, Seen: "this connection uses TLS", Baseline: base, Source: "connection"})
	case d.f.loopback:
		d.add(DoctorCheck{ID: "tls", Status: DoctorInfo, Seen: "plain TCP over loopback (or a unix socket): nothing crosses the network", Baseline: base, Remedy: remedy, Source: "connection"})
	default:
		d.add(DoctorCheck{ID: "tls", Status: DoctorWarning, Seen: "this connection is plain TCP over the network: passwords and values travel unencrypted", Baseline: base, Remedy: remedy, Source: "connection"})
	}

	const kbase = "tcp-keepalive 300"
	if v, why := d.setting("tcp-keepalive"); why != "" {
		d.unknown("tcp-keepalive", kbase, "tcp-keepalive 300", why+"; INFO does not show it")
	} else if v == "0" {
		d.add(DoctorCheck{ID: "tcp-keepalive", Status: DoctorWarning, Seen: "tcp-keepalive 0: dead clients hold their connection forever", Baseline: kbase, Remedy: "tcp-keepalive 300", Source: "CONFIG"})
	} else {
		d.add(DoctorCheck{ID: "tcp-keepalive", Status: DoctorOK, Seen: "tcp-keepalive " + v, Baseline: kbase, Source: "CONFIG"})
	}
}

func (d *doctorRun) limits() {
	// Slowlog.
	const sbase = "slowlog-log-slower-than 10000, slowlog-max-len 128"
	slower, why1 := d.setting("slowlog-log-slower-than")
	maxLen, why2 := d.setting("slowlog-max-len")
	switch s, _ := strconv.ParseInt(slower, 10, 64); {
	case why1 != "" || why2 != "":
		d.unknown("slowlog", sbase, "slowlog-log-slower-than 10000\nslowlog-max-len 128", firstNonEmptyStr(why1, why2)+"; INFO does not show it")
	case s < 0:
		d.add(DoctorCheck{ID: "slowlog", Status: DoctorWarning, Seen: "slowlog-log-slower-than " + slower + ": the slow log is off", Baseline: sbase, Remedy: "slowlog-log-slower-than 10000", Source: "CONFIG"})
	case s > 10000 || maxLen == "0":
		d.add(DoctorCheck{ID: "slowlog", Status: DoctorInfo, Seen: "slowlog-log-slower-than " + slower + ", slowlog-max-len " + maxLen, Baseline: sbase, Remedy: "slowlog-log-slower-than 10000\nslowlog-max-len 128", Source: "CONFIG"})
	default:
		d.add(DoctorCheck{ID: "slowlog", Status: DoctorOK, Seen: "slowlog-log-slower-than " + slower + ", slowlog-max-len " + maxLen, Baseline: sbase, Source: "CONFIG"})
	}
	const lbase = "latency monitor on (target: responses under 5 ms)"
	if v, why := d.setting("latency-monitor-threshold"); why != "" {
		d.unknown("latency-monitor", lbase, "latency-monitor-threshold 100", why)
	} else if v == "0" {
		d.add(DoctorCheck{ID: "latency-monitor", Status: DoctorInfo, Seen: "latency-monitor-threshold 0: LATENCY records nothing", Baseline: lbase, Remedy: "latency-monitor-threshold 100", Source: "CONFIG"})
	} else {
		d.add(DoctorCheck{ID: "latency-monitor", Status: DoctorOK, Seen: "latency-monitor-threshold " + v, Baseline: lbase, Source: "CONFIG"})
	}

	// maxclients against connected clients.
	const cbase = "connected clients under 80% of maxclients"
	maxc, src := "", "INFO"
	var why string
	if maxc, why = d.field("maxclients"); why != "" {
		if maxc, why = d.setting("maxclients"); why == "" {
			src = "CONFIG"
		}
	}
	conn, cwhy := d.field("connected_clients")
	m, _ := strconv.ParseFloat(maxc, 64)
	n, _ := strconv.ParseFloat(conn, 64)
	switch {
	case why != "" || cwhy != "" || m <= 0:
		d.unknown("maxclients", cbase, "maxclients 10000", firstNonEmptyStr(why, cwhy, "maxclients unreadable"))
	default:
		seen := fmt.Sprintf("%s of maxclients %s connected (%.0f%%)", conn, maxc, 100*n/m)
		remedy := "maxclients 10000 (and look for a connection leak in the app); DigitalOcean managed: the plan's connection limit, resize the cluster"
		switch r := n / m; {
		case r >= 0.95:
			d.add(DoctorCheck{ID: "maxclients", Status: DoctorCritical, Seen: seen, Baseline: cbase, Remedy: remedy, Source: src})
		case r >= 0.8:
			d.add(DoctorCheck{ID: "maxclients", Status: DoctorWarning, Seen: seen, Baseline: cbase, Remedy: remedy, Source: src})
		default:
			d.add(DoctorCheck{ID: "maxclients", Status: DoctorOK, Seen: seen, Baseline: cbase, Source: src})
		}
	}

	// Client output buffer limits.
	const obase = "client-output-buffer-limit normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60"
	if v, why := d.setting("client-output-buffer-limit"); why != "" {
		d.unknown("client-output-buffer-limit", obase, obase, why+"; INFO does not show it")
	} else if cobl := outputBufferLimits(v); cobl["pubsub"] == "0 0 0" || cobl["replica"] == "0 0 0" {
		d.add(DoctorCheck{ID: "client-output-buffer-limit", Status: DoctorWarning, Seen: "client-output-buffer-limit " + v + " (an unlimited class lets one slow client eat the memory)", Baseline: obase, Remedy: obase, Source: "CONFIG"})
	} else if cobl["replica"] != "268435456 67108864 60" || cobl["pubsub"] != "33554432 8388608 60" || cobl["normal"] != "0 0 0" {
		d.add(DoctorCheck{ID: "client-output-buffer-limit", Status: DoctorInfo, Seen: "client-output-buffer-limit " + v, Baseline: obase, Remedy: obase, Source: "CONFIG"})
	} else {
		d.add(DoctorCheck{ID: "client-output-buffer-limit", Status: DoctorOK, Seen: "client-output-buffer-limit " + v, Baseline: obase, Source: "CONFIG"})
	}
}

// outputBufferLimits splits CONFIG GET client-output-buffer-limit
// ("normal 0 0 0 slave 268435456 67108864 60 pubsub ...") by class.
func outputBufferLimits(v string) map[string]string {
	out := map[string]string{}
	f := strings.Fields(v)
	for i := 0; i+3 < len(f); i += 4 {
		class := f[i]
		if class == "slave" {
			class = "replica"
		}
		out[class] = strings.Join(f[i+1:i+4], " ")
	}
	return out
}

func (d *doctorRun) health() {
	if d.infoWhy != "" {
		for _, id := range []string{"replication", "fragmentation", "evictions", "rejected-connections"} {
			d.unknown(id, "", "", d.infoWhy)
		}
		return
	}
	info := d.f.info
	// Replication.
	const rbase = "replicas connected and in sync (replica-read-only yes)"
	switch role := info["role"]; {
	case role == "slave" || role == "replica":
		if s := info["master_link_status"]; s != "up" {
			d.add(DoctorCheck{ID: "replication", Status: DoctorCritical, Seen: "replica whose link to the master is " + s, Baseline: rbase, Remedy: "check the master's address, auth (masterauth) and network; see the server log", Source: "INFO"})
		} else {
			d.add(DoctorCheck{ID: "replication", Status: DoctorOK, Seen: "replica, link to the master up", Baseline: rbase, Source: "INFO"})
		}
	default:
		var lagging []string
		for k, v := range info {
			if strings.HasPrefix(k, "slave") && strings.Contains(v, "lag=") {
				for _, part := range strings.Split(v, ",") {
					if lag, ok := strings.CutPrefix(part, "lag="); ok {
						if n, _ := strconv.Atoi(lag); n > 10 {
							lagging = append(lagging, k+" lag "+lag+"s")
						}
					}
				}
			}
		}
		slices.Sort(lagging)
		seen := "master with " + info["connected_slaves"] + " replicas"
		if len(lagging) > 0 {
			d.add(DoctorCheck{ID: "replication", Status: DoctorWarning, Seen: seen + ": " + strings.Join(lagging, ", "), Baseline: rbase, Remedy: "a lagging replica: check its network and load; client-output-buffer-limit replica 256mb 64mb 60", Source: "INFO"})
		} else {
			d.add(DoctorCheck{ID: "replication", Status: DoctorOK, Seen: seen, Baseline: rbase, Source: "INFO"})
		}
	}
	// Fragmentation.
	const fbase = "mem_fragmentation_ratio between 1.0 and 1.5"
	ratio, _ := strconv.ParseFloat(info["mem_fragmentation_ratio"], 64)
	used, _ := strconv.ParseInt(info["used_memory"], 10, 64)
	switch {
	case used < fragMinUsedMemory:
		d.add(DoctorCheck{ID: "fragmentation", Status: DoctorOK, Seen: fmt.Sprintf("ratio %.2f at %s used (too little data for the ratio to mean anything)", ratio, configSize(used)), Baseline: fbase, Source: "INFO"})
	case ratio > TargetFragRatio:
		d.add(DoctorCheck{ID: "fragmentation", Status: DoctorWarning, Seen: fmt.Sprintf("mem_fragmentation_ratio %.2f", ratio), Baseline: fbase, Remedy: "activedefrag yes (jemalloc), or a restart in a quiet hour", Source: "INFO"})
	case ratio < 1:
		d.add(DoctorCheck{ID: "fragmentation", Status: DoctorWarning, Seen: fmt.Sprintf("mem_fragmentation_ratio %.2f: part of the data is swapped out", ratio), Baseline: fbase, Remedy: "lower maxmemory below the RAM the host can give Redis", Source: "INFO"})
	default:
		d.add(DoctorCheck{ID: "fragmentation", Status: DoctorOK, Seen: fmt.Sprintf("mem_fragmentation_ratio %.2f", ratio), Baseline: fbase, Source: "INFO"})
	}
	// Evictions and rejected connections since the start.
	uptime := info["uptime_in_days"] + " days"
	if n := info["evicted_keys"]; n != "" && n != "0" {
		d.add(DoctorCheck{ID: "evictions", Status: DoctorWarning, Seen: n + " keys evicted in " + uptime + " of uptime: memory is full and the hit rate pays for it", Baseline: "memory under 80% of maxmemory, no evictions", Remedy: "raise maxmemory (DigitalOcean managed: resize the cluster), or shorten TTLs ('cachedeck policy check')", Source: "INFO"})
	} else {
		d.add(DoctorCheck{ID: "evictions", Status: DoctorOK, Seen: "no keys evicted", Baseline: "no evictions", Source: "INFO"})
	}
	if n := info["rejected_connections"]; n != "" && n != "0" {
		d.add(DoctorCheck{ID: "rejected-connections", Status: DoctorWarning, Seen: n + " connections rejected in " + uptime + " of uptime (maxclients reached)", Baseline: "no connection rejected", Remedy: "maxclients 10000, and look for a connection leak in the app; DigitalOcean managed: resize for more connections", Source: "INFO"})
	} else {
		d.add(DoctorCheck{ID: "rejected-connections", Status: DoctorOK, Seen: "no connection rejected", Baseline: "no connection rejected", Source: "INFO"})
	}
}

func firstNonEmptyStr(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// configSize writes a byte count the way redis.conf does (4gb, 512mb).
func configSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dgb", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dmb", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1fmb", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fkb", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
