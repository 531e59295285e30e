package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/dobackend"
)

func (a *app) doCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "do",
		Short: "DigitalOcean managed Redis/Valkey clusters: list, details, CA, eviction policy, guarded resize",
		Long: `do drives DigitalOcean's managed Redis/Valkey clusters through the API, so
on-call needs neither doctl nor the control panel. The token comes from
$DIGITALOCEAN_TOKEN, else doctl's config (its current context), else the
profile's do_token_env / do_token_file; it is never printed or logged.
--do-api (or $CACHEDECK_DO_API) points at another API base URL.`,
		Args: exactArgs(0, "a subcommand (clusters, show, ca, eviction, resize)"),
		RunE: a.run(func(cmd *cobra.Command, _ []string) error { return cmd.Help() }),
	}
	cmd.AddCommand(a.doClustersCmd(), a.doShowCmd(), a.doCACmd(), a.doEvictionCmd(), a.doResizeCmd())
	return withHelpHints(cmd)
}

func (a *app) writeJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *app) doClustersCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "clusters [--json]",
		Short: "List the account's Redis/Valkey clusters (every page)",
		Args:  exactArgs(0, "no arguments"),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string) error {
		dc, _, err := a.doClient()
		if err != nil {
			return err
		}
		cls, err := dc.Clusters(cmd.Context())
		if err != nil {
			return err
		}
		if asJSON {
			if cls == nil {
				cls = []dobackend.Cluster{}
			}
			return a.writeJSON(cls)
		}
		if len(cls) == 0 {
			_, err := fmt.Fprintln(a.stdout, "no Redis/Valkey clusters on this account")
			return err
		}
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tENGINE\tREGION\tSIZE\tNODES\tSTATUS\tTAGS\tHOST\tPRIVATE HOST")
		for _, c := range cls {
			fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", decode.DisplayKey(c.Name), c.Engine, c.Version, c.Region, c.Size, c.Nodes,
				c.Status, strings.Join(c.Tags, ","), hostOf(c.Public), hostOf(c.Private))
		}
		return tw.Flush()
	})
	return cmd
}

func hostOf(e *dobackend.Endpoint) string {
	if e == nil {
		return "-"
	}
	return fmt.Sprintf("%s:%d", e.Host, e.Port)
}

// clusterDetails is `do show --json`.
type clusterDetails struct {
	*dobackend.Cluster
	EvictionPolicy string                   `json:"eviction_policy"`
	Firewall       []dobackend.FirewallRule `json:"firewall"`
	Unavailable    map[string]string        `json:"unavailable,omitempty"`
}

func (a *app) doShowCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME [--json]",
		Short: "Details of one cluster: connection, standby, maintenance window, trusted sources, eviction policy",
		Args:  exactArgs(1, "the cluster's name"),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		dc, _, err := a.doClient()
		if err != nil {
			return err
		}
		cl, err := dc.Find(ctx, args[0])
		if err != nil {
			return err
		}
		d := clusterDetails{Cluster: cl, Firewall: []dobackend.FirewallRule{}, Unavailable: map[string]string{}}
		// One failing detail is shown as such; the rest still helps.
		if d.EvictionPolicy, err = dc.EvictionPolicy(ctx, cl.ID); err != nil {
			d.Unavailable["eviction_policy"] = err.Error()
		}
		if d.Firewall, err = dc.Firewall(ctx, cl.ID); err != nil {
			d.Unavailable["firewall"] = err.Error()
		}
		if ctx.Err() != nil {
			return errors.New("cancelled")
		}
		if asJSON {
			return a.writeJSON(d)
		}
		writeClusterDetails(a.stdout, d)
		if note := dc.RateNote(); note != "" {
			fmt.Fprintln(a.stderr, "cachedeck: note: "+note)
		}
		return nil
	})
	return cmd
}

func writeClusterDetails(w io.Writer, d clusterDetails) {
	var b strings.Builder
	c := d.Cluster
	fmt.Fprintf(&b, "%s  %s %s  %s  %s x%d  %s\n", decode.DisplayKey(c.Name), c.Engine, c.Version, c.Region, c.Size, c.Nodes, c.Status)
	fmt.Fprintf(&b, "id:          %s\n", c.ID)
	if len(c.Tags) > 0 {
		fmt.Fprintf(&b, "tags:        %s\n", strings.Join(c.Tags, ", "))
	}
	if info, ok := dobackend.Prices.Lookup(c.Size); ok && info.RAM > 0 {
		usable := humanBytes(info.Usable)
		if info.Estimated {
			usable = "about " + usable
		}
		fmt.Fprintf(&b, "memory:      %s per node, %s for data\n", humanBytes(info.RAM), usable)
	}
	for _, e := range []struct {
		label string
		ep    *dobackend.Endpoint
	}{{"public:     ", c.Public}, {"private:    ", c.Private}, {"standby:    ", c.Standby}} {
		if e.ep != nil {
			fmt.Fprintf(&b, "%s %s  (user %s)\n", e.label, e.ep.URI, e.ep.User)
		}
	}
	if m := c.Maintenance; m != nil {
		pending := ""
		if m.Pending {
			pending = "  PENDING: " + strings.Join(m.Description, "; ")
		}
		fmt.Fprintf(&b, "maintenance: %s %s UTC%s\n", m.Day, m.Hour, pending)
	}
	if d.EvictionPolicy != "" {
		fmt.Fprintf(&b, "eviction:    %s\n", d.EvictionPolicy)
	}
	if len(d.Firewall) == 0 && d.Unavailable["firewall"] == "" {
		b.WriteString("trusted:     none (any source may connect with the password)\n")
	}
	for i, r := range d.Firewall {
		label := "trusted:    "
		if i > 0 {
			label = "            "
		}
		fmt.Fprintf(&b, "%s %s %s\n", label, r.Type, r.Value)
	}
	for what, why := range d.Unavailable {
		fmt.Fprintf(&b, "%s: unavailable: %s\n", what, why)
	}
	fmt.Fprintf(&b, "connect:     cachedeck --do-cluster %s\n", decode.DisplayKey(c.Name))
	_, _ = io.WriteString(w, b.String())
}

func (a *app) doCACmd() *cobra.Command {
	return &cobra.Command{
		Use:   "ca NAME > ca.pem",
		Short: "Print the cluster's CA certificate (PEM)",
		Args:  exactArgs(1, "the cluster's name"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			dc, _, err := a.doClient()
			if err != nil {
				return err
			}
			cl, err := dc.Find(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			pem, err := dc.CA(cmd.Context(), cl.ID)
			if err != nil {
				return err
			}
			_, err = a.stdout.Write(pem)
			return err
		}),
	}
}

func (a *app) doEvictionCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "eviction NAME [POLICY] [--yes]",
		Short: "Show the cluster's eviction policy, or change it (confirmed, audited)",
		Long: `eviction shows the policy, or sets it through the API (managed Valkey blocks
CONFIG SET). Policies: ` + strings.Join(dobackend.EvictionPolicies, ", ") + `
(Redis's spelling with dashes is accepted). Changing it asks for the
cluster's name to be typed (or takes --yes) and is written to the audit log.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usagef("eviction takes the cluster's name and optionally a policy (got %d arguments)", len(args))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		var policy string
		if len(args) == 2 {
			p, err := dobackend.NormalizePolicy(args[1])
			if err != nil {
				return usageError{err}
			}
			policy = p
			if !yes && !stdinIsTerminal() {
				return usagef("eviction %s changes the cluster: add --yes to confirm (no terminal to ask on)", policy)
			}
		}
		dc, prof, err := a.doClient()
		if err != nil {
			return err
		}
		if policy != "" && prof.readOnly {
			return errors.New("read-only mode: changing the eviction policy is a mutation, so it is not run (drop --read-only or use another profile)")
		}
		cl, err := dc.Find(ctx, args[0])
		if err != nil {
			return err
		}
		current, err := dc.EvictionPolicy(ctx, cl.ID)
		if err != nil {
			return err
		}
		if policy == "" {
			_, err := fmt.Fprintln(a.stdout, current)
			return err
		}
		if policy == current {
			_, err := fmt.Fprintf(a.stdout, "%s already has eviction policy %s: nothing to change\n", decode.DisplayKey(cl.Name), current)
			return err
		}
		fmt.Fprintf(a.stderr, "eviction policy of %s: %s → %s\nrequest: PUT /v2/databases/%s/eviction_policy {\"eviction_policy\":%q}\n", decode.DisplayKey(cl.Name), current, policy, cl.ID, policy)
		if !yes || (prof.production && stdinIsTerminal()) {
			if err := confirmClusterName(ctx, a.stderr, os.Stdin, cl.Name, "change its eviction policy", "the policy is unchanged"); err != nil {
				return err
			}
		}
		entry := audit.Entry{Profile: prof.name, Server: "do:" + cl.Name, Action: "do eviction", Target: current + " → " + policy}
		return a.audited(entry, "the policy is unchanged", func() error { return dc.SetEvictionPolicy(ctx, cl.ID, policy) }, func() error {
			_, err := fmt.Fprintf(a.stdout, "eviction policy of %s is now %s\n", decode.DisplayKey(cl.Name), policy)
			return err
		})
	})
	return cmd
}

// audited writes an attempted line, runs fn, then writes done or failed.
// The attempted line is written before anything is sent: no audit log, no
// change.
func (a *app) audited(entry audit.Entry, unchanged string, fn func() error, report func() error) error {
	log, err := audit.Open(a.auditPath())
	if err != nil {
		return fmt.Errorf("%w: %s", err, unchanged)
	}
	defer log.Close()
	entry.Outcome = audit.Attempted
	if err := log.Append(entry); err != nil {
		return fmt.Errorf("%w: %s", err, unchanged)
	}
	start := time.Now()
	runErr := fn()
	entry.Time, entry.DurationMs, entry.Outcome = time.Time{}, time.Since(start).Milliseconds(), audit.Done
	if runErr != nil {
		entry.Outcome, entry.Error = audit.Failed, runErr.Error()
	}
	auditErr := log.Append(entry)
	if runErr != nil {
		return runErr
	}
	if err := report(); err != nil {
		return err
	}
	if auditErr != nil {
		return fmt.Errorf("the change was made, but the audit log could not be written: %w", auditErr)
	}
	return nil
}

// confirmClusterName asks for the cluster's name to be typed back exactly.
func confirmClusterName(ctx context.Context, w io.Writer, r io.Reader, name, does, unchanged string) error {
	line, err := askLine(ctx, w, r, fmt.Sprintf("Type the cluster's name to %s (%s): ", does, decode.DisplayKey(name)), unchanged)
	if err != nil {
		return err
	}
	if line != name {
		return errors.New("the typed name does not match the cluster's: " + unchanged)
	}
	return nil
}
