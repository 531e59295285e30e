package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/dobackend"
	"github.com/coldcopy/cachedeck/redisops"
)

// resizeJSON is `cachedeck do resize --json`.
type resizeJSON struct {
	Cluster    string         `json:"cluster"`
	ID         string         `json:"id"`
	From       dobackend.Plan `json:"from"`
	To         dobackend.Plan `json:"to"`
	DryRun     bool           `json:"dry_run"`
	Fit        *dobackend.Fit `json:"fit,omitempty"`
	Request    string         `json:"request"`
	Accepted   bool           `json:"accepted"`
	Status     string         `json:"status,omitempty"`
	DurationMs int64          `json:"duration_ms"`
	Error      string         `json:"error,omitempty"`
}

type resizeFlags struct {
	size         string
	nodes        int
	dryRun       bool
	yes          bool
	asJSON       bool
	noWait       bool
	noFitCheck   bool
	waitTimeout  time.Duration
	pollInterval time.Duration
	prices       string
}

func (a *app) doResizeCmd() *cobra.Command {
	var f resizeFlags
	cmd := &cobra.Command{
		Use:   "resize NAME --size SLUG [--nodes N] [--dry-run] [--yes] [--json]",
		Short: "Resize a cluster: fit check on live memory, preview, typed confirmation, audited, waits until online",
		Long: `resize checks the target size against the cluster's live INFO memory
(used_memory, used_memory_peak, maxmemory) before anything is sent: a size
that would not hold today's data with 20 % headroom is refused, a tight one
is warned about, and the cost change per month is shown from the dated
price table. The preview states the exact API call; the cluster's name is
typed to confirm (or --yes). After the API's 202 it polls until the cluster
is online at the new size (--wait-timeout bounds the wait; Ctrl-C stops the
wait, never the resize). Audited: attempted, accepted, done or failed.

Live memory is read over the cluster's own connection from the API (CA
fetched, password in memory only), or over --url / --profile when given on
the command line (never a default profile or $REDIS_URL).`,
		Args: exactArgs(1, "the cluster's name"),
	}
	fl := cmd.Flags()
	fl.StringVar(&f.size, "size", "", "target size slug, e.g. db-s-2vcpu-4gb (see 'cachedeck do show')")
	fl.IntVar(&f.nodes, "nodes", 0, "target node count, 1-3 (default: unchanged)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "fit check and preview only: send nothing")
	fl.BoolVar(&f.yes, "yes", false, "do not ask for confirmation")
	fl.BoolVar(&f.asJSON, "json", false, "print the result as JSON (the preview goes to stderr)")
	fl.BoolVar(&f.noWait, "no-wait", false, "return once the API has accepted the resize")
	fl.BoolVar(&f.noFitCheck, "no-fit-check", false, "resize without reading live memory (only to a larger size)")
	fl.DurationVar(&f.waitTimeout, "wait-timeout", 45*time.Minute, "stop waiting for online after this long (the resize goes on)")
	fl.DurationVar(&f.pollInterval, "poll-interval", 10*time.Second, "time between status polls while waiting")
	_ = fl.MarkHidden("poll-interval")
	fl.StringVar(&f.prices, "prices", "", "price table JSON to use instead of the built-in one (default $CACHEDECK_DO_PRICES; see README)")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string) error {
		return a.resize(cmd.Context(), args[0], f)
	})
	return cmd
}

func (a *app) resize(ctx context.Context, name string, f resizeFlags) error {
	if f.size == "" {
		return usagef("give the target size: --size SLUG, e.g. db-s-2vcpu-4gb (a size not offered is refused with the list of those that are)")
	}
	if f.nodes != 0 && (f.nodes < 1 || f.nodes > 3) {
		return usagef("--nodes must be 1, 2 or 3 (a primary and up to two standbys)")
	}
	if f.waitTimeout <= 0 || f.pollInterval <= 0 {
		return usagef("--wait-timeout and --poll-interval must be positive")
	}
	if !f.dryRun && !f.yes && !stdinIsTerminal() {
		return usagef("resize changes the cluster: add --yes to confirm (no terminal to ask on)")
	}
	prices := dobackend.Prices
	if path := firstNonEmpty(f.prices, os.Getenv("CACHEDECK_DO_PRICES")); path != "" {
		t, err := dobackend.LoadPrices(path)
		if err != nil {
			return usageError{err}
		}
		prices = t
	}
	dc, prof, err := a.doClient()
	if err != nil {
		return err
	}
	if !f.dryRun && prof.readOnly {
		return errors.New("read-only mode: resize is a mutation, so it is not run (drop --read-only or use another profile; --dry-run still previews)")
	}
	cl, err := dc.Find(ctx, name)
	if err != nil {
		return err
	}
	from := dobackend.Plan{Size: cl.Size, Nodes: cl.Nodes}
	to := dobackend.Plan{Size: f.size, Nodes: f.nodes}
	if to.Nodes == 0 {
		to.Nodes = cl.Nodes
	}
	out := resizeJSON{Cluster: cl.Name, ID: cl.ID, From: from, To: to, DryRun: f.dryRun, Request: dobackend.ResizeCall(cl.ID, to.Size, to.Nodes)}
	if from == to {
		return usagef("%s is already %s with %d nodes: nothing to resize", decode.DisplayKey(cl.Name), from.Size, from.Nodes)
	}
	if cl.Status != "online" {
		return fmt.Errorf("%s is %s, not online: a resize is accepted only when it is online (follow it with 'cachedeck do show %s')", decode.DisplayKey(cl.Name), cl.Status, decode.DisplayKey(cl.Name))
	}
	opts, err := dc.Options(ctx, cl.Engine)
	if err != nil {
		return err
	}
	if !opts.Offers(to.Size, to.Nodes) {
		return usagef("%s with %d nodes is not offered for %s (offered: %s)", to.Size, to.Nodes, opts.Engine, offered(opts, to.Nodes))
	}

	// With --json, the preview and the progress go to stderr only when
	// someone reads them there (or is asked to confirm).
	pw := a.humanOut(f.asJSON, !f.yes && !f.dryRun && stdinIsTerminal())
	notes := a.noteOut(f.asJSON)
	// The fit check: live memory first, nothing sent before it passes.
	rc, fit, err := a.resizeFit(ctx, notes, dc, cl, from, to, f.noFitCheck, prices)
	if rc != nil {
		defer rc.Close()
	}
	if err != nil {
		return err
	}
	out.Fit = fit
	writeResizePreview(pw, cl, from, to, fit, out.Request, dc.RateNote())
	if fit != nil && fit.Verdict == dobackend.Refused {
		err := fmt.Errorf("resize refused: %s; nothing was sent", fit.Reasons[0])
		if f.asJSON {
			out.Error = err.Error()
			_ = a.writeJSON(out)
		}
		return err
	}
	if f.dryRun {
		if f.asJSON {
			return a.writeJSON(out)
		}
		_, err := fmt.Fprintln(a.stdout, "dry run: nothing was sent")
		return err
	}
	if !f.yes || (prof.production && stdinIsTerminal()) {
		if err := confirmClusterName(ctx, a.stderr, os.Stdin, cl.Name, "resize it", "nothing was sent"); err != nil {
			return err
		}
	}

	log, err := audit.Open(a.auditPath())
	if err != nil {
		return fmt.Errorf("%w: nothing was sent", err)
	}
	defer log.Close()
	target := fmt.Sprintf("%s x%d → %s x%d", from.Size, from.Nodes, to.Size, to.Nodes)
	entry := audit.Entry{Profile: prof.name, Server: "do:" + cl.Name, Action: "do resize", Target: target, Outcome: audit.Attempted}
	if err := log.Append(entry); err != nil {
		return fmt.Errorf("%w: nothing was sent", err)
	}
	start := time.Now()
	if err := dc.Resize(ctx, cl.ID, to.Size, to.Nodes); err != nil {
		entry.Outcome, entry.Error, entry.DurationMs = audit.Failed, err.Error(), time.Since(start).Milliseconds()
		_ = log.Append(entry)
		return a.resizeFailed(f.asJSON, out, err)
	}
	out.Accepted = true
	entry.Outcome, entry.DurationMs = audit.Accepted, time.Since(start).Milliseconds()
	if err := log.Append(entry); err != nil {
		fmt.Fprintf(a.stderr, "cachedeck: warning: the resize was accepted, but the audit log could not be written: %v\n", err)
	}
	fmt.Fprintf(notes, "accepted: %s is resizing to %s x%d\n", decode.DisplayKey(cl.Name), to.Size, to.Nodes)
	if f.noWait {
		out.Status = "accepted"
		return a.resizeDone(f.asJSON, out, start, "the API accepted the resize; follow it with 'cachedeck do show "+decode.DisplayKey(cl.Name)+"'")
	}

	progress := func(c *dobackend.Cluster, elapsed time.Duration) {
		line := fmt.Sprintf("status %s, %s x%d, %s elapsed", c.Status, c.Size, c.Nodes, elapsed.Round(time.Second))
		if rc != nil {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			if lat, err := rc.Ping(pctx); err == nil && lat > 0 {
				line += fmt.Sprintf(", PING %.1f ms", float64(lat.Microseconds())/1000)
			} else if err != nil {
				line += ", PING failed: " + redisops.Describe(err)
			}
			cancel()
		}
		fmt.Fprintln(notes, line)
	}
	final, err := dc.WaitResized(ctx, cl.ID, to.Size, to.Nodes, dobackend.WaitOptions{Interval: f.pollInterval, Timeout: f.waitTimeout, Progress: progress})
	if final != nil {
		out.Status = final.Status
	}
	if err != nil {
		// The wait stopped or polling failed: the resize is DigitalOcean's
		// now, and its outcome unknown here, so no done/failed line.
		out.Error = err.Error()
		if f.asJSON {
			out.DurationMs = time.Since(start).Milliseconds()
			_ = a.writeJSON(out)
		}
		return err
	}
	entry.Time, entry.Outcome, entry.DurationMs = time.Time{}, audit.Done, time.Since(start).Milliseconds()
	auditErr := log.Append(entry)
	if err := a.resizeDone(f.asJSON, out, start, fmt.Sprintf("done: %s is online as %s x%d after %s", decode.DisplayKey(cl.Name), to.Size, to.Nodes, time.Since(start).Round(time.Second))); err != nil {
		return err
	}
	if auditErr != nil {
		return fmt.Errorf("the resize is done, but the audit log could not be written: %w", auditErr)
	}
	return nil
}

func (a *app) resizeFailed(asJSON bool, out resizeJSON, err error) error {
	if asJSON {
		out.Error = err.Error()
		_ = a.writeJSON(out)
	}
	return err
}

func (a *app) resizeDone(asJSON bool, out resizeJSON, start time.Time, msg string) error {
	out.DurationMs = time.Since(start).Milliseconds()
	if asJSON {
		return a.writeJSON(out)
	}
	_, err := fmt.Fprintln(a.stdout, msg)
	return err
}

// resizeFit reads the live memory and judges the target. The connection
// is returned open for the PING shown while waiting. With --no-fit-check
// only a larger size passes without live figures.
func (a *app) resizeFit(ctx context.Context, notes io.Writer, dc *dobackend.Client, cl *dobackend.Cluster, from, to dobackend.Plan, skip bool, prices dobackend.PriceTable) (*redisops.Client, *dobackend.Fit, error) {
	if skip {
		cur, okCur := prices.Lookup(from.Size)
		tgt, okTgt := prices.Lookup(to.Size)
		if !okCur || !okTgt || tgt.RAM < cur.RAM {
			return nil, nil, usagef("--no-fit-check is only for a resize to a larger size; %s → %s needs the fit check", from.Size, to.Size)
		}
		fmt.Fprintln(notes, "cachedeck: warning: --no-fit-check: live memory not read")
		return nil, nil, nil
	}
	rc, err := a.connectForFit(ctx, notes, dc, cl)
	if err != nil {
		return nil, nil, fmt.Errorf("fit check: cannot read the live memory of %s: %v; nothing was sent (give --url to a route that reaches it, --do-private from inside its VPC, or --no-fit-check for an upsize)", decode.DisplayKey(cl.Name), redisops.Describe(err))
	}
	use, err := rc.MemoryUse(ctx)
	if err != nil {
		rc.Close()
		return nil, nil, fmt.Errorf("fit check: %v; nothing was sent", redisops.Describe(err))
	}
	fit := dobackend.CheckFit(dobackend.FitInput{Used: use.Used, Peak: use.Peak, MaxMemory: use.MaxMemory, Policy: use.Policy, Current: from, Target: to}, prices)
	return rc, &fit, nil
}

// connectForFit uses --url or --profile when given on the command line,
// else the cluster's own connection from the API. A default profile or
// $REDIS_URL is not taken: it may well name another server, and the fit
// would then be judged on the wrong data.
func (a *app) connectForFit(ctx context.Context, notes io.Writer, dc *dobackend.Client, cl *dobackend.Cluster) (*redisops.Client, error) {
	s, err := a.conn.resolve(a.stderr)
	if err != nil {
		return nil, err
	}
	if !a.conn.changed("url") && a.conn.profile == "" {
		if !a.conn.changed("tls-ca") {
			s.opts.TLSCA = ""
		}
		if s.opts, err = clusterConnOptions(ctx, dc, cl, a.conn.do.private, s.opts); err != nil {
			return nil, err
		}
	}
	rc, err := redisops.Connect(ctx, s.opts)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(notes, "cachedeck: note: live memory from %s\n", rc.Addr)
	return rc, nil
}

func offered(o *dobackend.SizeOptions, nodes int) string {
	for _, l := range o.Layouts {
		if l.Nodes == nodes {
			return strings.Join(l.Sizes, ", ")
		}
	}
	var counts []string
	for _, l := range o.Layouts {
		counts = append(counts, fmt.Sprint(l.Nodes))
	}
	return "no size with that node count; node counts offered: " + strings.Join(counts, ", ")
}

func writeResizePreview(w io.Writer, cl *dobackend.Cluster, from, to dobackend.Plan, fit *dobackend.Fit, request, rate string) {
	var b strings.Builder
	fmt.Fprintf(&b, "cluster:  %s (%s %s, %s, %s)\n", decode.DisplayKey(cl.Name), cl.Engine, cl.Version, cl.Region, cl.Status)
	fmt.Fprintf(&b, "resize:   %s x%d → %s x%d\n", from.Size, from.Nodes, to.Size, to.Nodes)
	if fit != nil {
		peak := humanBytes(fit.Peak)
		fmt.Fprintf(&b, "memory:   used %s, peak %s", humanBytes(fit.Used), peak)
		if fit.MaxMemory > 0 {
			fmt.Fprintf(&b, ", maxmemory %s", humanBytes(fit.MaxMemory))
		}
		if fit.TargetUsable > 0 {
			est := ""
			if fit.TargetUsableEstimated {
				est = " (estimated)"
			}
			fmt.Fprintf(&b, "; %s holds %s for data%s, %.0f %% free after", to.Size, humanBytes(fit.TargetUsable), est, 100*fit.FreeAfter)
		}
		b.WriteString("\n")
		fmt.Fprintf(&b, "fit:      %s\n", fit.Verdict)
		for _, r := range fit.Reasons {
			fmt.Fprintf(&b, "  - %s\n", r)
		}
		for _, n := range fit.Notes {
			fmt.Fprintf(&b, "  note: %s\n", n)
		}
		fmt.Fprintf(&b, "cost:     %s\n", fit.CostLine(from, to))
	}
	fmt.Fprintf(&b, "request:  %s\n", request)
	if rate != "" {
		fmt.Fprintf(&b, "          %s\n", rate)
	}
	_, _ = io.WriteString(w, b.String())
}
