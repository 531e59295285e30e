package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/audit"
	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
)

// slowEntryJSON is one entry of `cachedeck slowlog --json`. Args are
// redacted and in display form (decode.DisplayKey): printable, quoted when
// they hold spaces, control characters or invalid UTF-8.
type slowEntryJSON struct {
	Node       string   `json:"node"`
	ID         int64    `json:"id"`
	Time       string   `json:"time"`
	DurationUs int64    `json:"duration_us"`
	Args       []string `json:"args"`
	ClientAddr string   `json:"client_addr"`
	ClientName string   `json:"client_name"`
}

func (a *app) slowlogCmd() *cobra.Command {
	var asJSON, reset, yes bool
	var count int
	cmd := &cobra.Command{
		Use:   "slowlog [--count N] [--json] | slowlog --reset [--yes]",
		Short: "Show the slowest recent commands of every node (arguments redacted), or reset the slow log",
		Long: `slowlog reads SLOWLOG GET on every node and lists the entries newest first.
Passwords in AUTH, HELLO, ACL SETUSER, MIGRATE and CONFIG SET arguments are
replaced by ****. --reset empties the slow log on every node: it asks first
(or takes --yes), is refused in read-only mode, and is written to the audit
log.`,
		Args: exactArgs(0, "no arguments"),
	}
	f := cmd.Flags()
	f.IntVar(&count, "count", 10, "entries to show (1 to 128)")
	f.BoolVar(&asJSON, "json", false, "print a JSON array")
	f.BoolVar(&reset, "reset", false, "empty the slow log on every node (SLOWLOG RESET)")
	f.BoolVar(&yes, "yes", false, "with --reset: do not ask for confirmation")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string) error {
		if count < 1 || count > redisops.MaxSlowLogCount {
			return usagef("--count must be between 1 and %d", redisops.MaxSlowLogCount)
		}
		if yes && !reset {
			return usagef("--yes goes with --reset")
		}
		if reset && !yes && !stdinIsTerminal() {
			return usagef("--reset deletes every slow log entry: add --yes to confirm (no terminal to ask on)")
		}
		c, s, err := a.connect(cmd.Context())
		if err != nil {
			return err
		}
		defer c.Close()
		if reset {
			return a.slowlogReset(cmd, c, s, yes, asJSON)
		}
		entries, err := c.SlowLog(cmd.Context(), count)
		if err != nil {
			return err
		}
		if asJSON {
			out := make([]slowEntryJSON, 0, len(entries))
			for _, e := range entries {
				out = append(out, toSlowEntryJSON(e))
			}
			enc := json.NewEncoder(a.stdout)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		}
		return writeSlowText(a.stdout, entries, c.IsCluster())
	})
	return cmd
}

func (a *app) slowlogReset(cmd *cobra.Command, c *redisops.Client, s *session, yes, asJSON bool) error {
	if s.readOnly {
		return errors.New("read-only mode: --reset changes the server, so it is not run (drop --read-only or use another profile)")
	}
	where := c.Addr
	if c.IsCluster() {
		where = "every master of the cluster at " + c.Addr
	}
	if !yes {
		if err := confirmOnTerminal(cmd.Context(), a.stderr, os.Stdin, fmt.Sprintf("Delete every slow log entry on %s? Type yes to continue: ", where), "the slow log was not reset"); err != nil {
			return err
		}
	}
	// The audit log must be writable before anything changes.
	auditLog, err := audit.Open(a.auditPath())
	if err != nil {
		return fmt.Errorf("%w: nothing was changed", err)
	}
	defer auditLog.Close()
	start := time.Now()
	resetErr := c.SlowLogReset(cmd.Context())
	entry := audit.Entry{
		Profile: s.profileName, Server: c.Addr, Action: "slowlog-reset", Target: where,
		DurationMs: time.Since(start).Milliseconds(), Outcome: audit.Done,
	}
	if resetErr != nil {
		entry.Outcome, entry.Error = audit.Failed, resetErr.Error()
	}
	if err := auditLog.Append(entry); err != nil {
		if resetErr == nil {
			return fmt.Errorf("the slow log was reset, but the audit log could not be written: %w", err)
		}
		return fmt.Errorf("%w (and the audit log could not be written: %v)", resetErr, err)
	}
	if resetErr != nil {
		return resetErr
	}
	if asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(map[string]any{"reset": true, "server": c.Addr, "cluster": c.IsCluster()})
	}
	_, err = fmt.Fprintf(a.stdout, "slow log reset on %s\n", where)
	return err
}

func toSlowEntryJSON(e redisops.SlowEntry) slowEntryJSON {
	args := make([]string, len(e.Args))
	for i, arg := range e.Args {
		args[i] = decode.DisplayKey(arg)
	}
	return slowEntryJSON{
		Node: e.Node, ID: e.ID, Time: e.Time.UTC().Format(time.RFC3339),
		DurationUs: e.Duration.Microseconds(), Args: args,
		ClientAddr: displayOrEmpty(e.ClientAddr), ClientName: displayOrEmpty(e.ClientName),
	}
}

// displayOrEmpty is decode.DisplayKey, except that nothing stays nothing
// (DisplayKey quotes the empty key as "").
func displayOrEmpty(s string) string {
	if s == "" {
		return ""
	}
	return decode.DisplayKey(s)
}

func writeSlowText(w io.Writer, entries []redisops.SlowEntry, cluster bool) error {
	var b strings.Builder
	if len(entries) == 0 {
		b.WriteString("(the slow log is empty)\n")
	}
	for _, e := range entries {
		args := make([]string, len(e.Args))
		for i, arg := range e.Args {
			args[i] = decode.DisplayKey(arg)
		}
		fmt.Fprintf(&b, "%s  %9s  ", e.Time.Local().Format("2006-01-02 15:04:05"), slowDuration(e.Duration))
		if cluster {
			fmt.Fprintf(&b, "%s  ", e.Node)
		}
		client := displayOrEmpty(e.ClientAddr)
		if e.ClientName != "" {
			client += " (" + decode.DisplayKey(e.ClientName) + ")"
		}
		fmt.Fprintf(&b, "%s  %s\n", client, strings.Join(args, " "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func slowDuration(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%dµs", d.Microseconds())
	}
	return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000)
}

func stdinIsTerminal() bool { return term.IsTerminal(os.Stdin.Fd()) }
