package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/redisops"
)

// doctorJSON is the `cachedeck doctor --json` object.
type doctorJSON struct {
	Server     string            `json:"server"`
	Product    string            `json:"product"`
	Version    string            `json:"version"`
	User       string            `json:"user"`
	Clean      bool              `json:"clean"` // no critical or warning check
	Findings   int               `json:"findings"`
	Unknown    int               `json:"unknown"`
	Checks     []doctorCheckJSON `json:"checks"` // most serious first
	DurationMs int64             `json:"duration_ms"`
}

type doctorCheckJSON struct {
	ID       string `json:"id"`
	Node     string `json:"node"`
	Status   string `json:"status"` // critical, warning, info, unknown, ok
	Seen     string `json:"seen,omitempty"`
	Baseline string `json:"baseline,omitempty"`
	Remedy   string `json:"remedy,omitempty"`
	Why      string `json:"why,omitempty"` // unknown: why it could not be seen
	Source   string `json:"source,omitempty"`
}

func (a *app) doctorCmd() *cobra.Command {
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:   "doctor [--json] [--all]",
		Short: "Check the server against the production baseline; exit 0 clean, 1 findings, 2 no verdict",
		Long: `doctor compares the running server with the production configuration of ColdCopy's
infrastructure document: maxmemory and allkeys-lru, persistence (save points, AOF
everysec, last save/rewrite status), protected-mode, the default user, dangerous
commands (FLUSHALL, FLUSHDB, KEYS, CONFIG, DEBUG) available to the connected user,
TLS, slowlog and latency settings, maxclients against connected clients,
tcp-keepalive, client output buffer limits, replication, fragmentation, evictions
and rejected connections.

Where CONFIG is renamed or blocked (managed Valkey, the doc's own security
settings) it infers what INFO, ACL DRYRUN and harmless probes show (an
unauthenticated PING, DEBUG HELP, a command without arguments) and lists the rest
as unknown with the reason: it never guesses, and never sends FLUSHALL or FLUSHDB.
Each finding says what was seen, the baseline and the remedy (the config line, or
the DigitalOcean setting). Exit code: 0 no critical or warning finding (info and
unknown do not fail), 1 findings, 2 no verdict.`,
		Args: exactArgs(0, "no arguments"),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().BoolVar(&all, "all", false, "text output: list the checks that passed too")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		c, _, err := a.connect(ctx)
		if err != nil {
			return noVerdict(err)
		}
		defer c.Close()
		r, err := c.Doctor(ctx)
		if err != nil {
			return noVerdict(err)
		}
		if asJSON {
			err = writeJSON(a.stdout, toDoctorJSON(r))
		} else {
			err = writeDoctorText(a.stdout, r, all, c.IsCluster())
		}
		if err != nil {
			return noVerdict(err)
		}
		if n := len(r.Findings()); n > 0 {
			return errFindings{n}
		}
		return nil
	})
	return withHelpHints(cmd)
}

func toDoctorJSON(r *redisops.DoctorReport) doctorJSON {
	out := doctorJSON{Server: r.Server, Product: r.Product, Version: r.Version, User: r.User, Findings: len(r.Findings()), DurationMs: r.Duration.Milliseconds(), Checks: []doctorCheckJSON{}}
	out.Clean = out.Findings == 0
	for _, c := range r.Checks {
		if c.Status == redisops.DoctorUnknown {
			out.Unknown++
		}
		out.Checks = append(out.Checks, doctorCheckJSON(c))
	}
	return out
}

func writeDoctorText(w io.Writer, r *redisops.DoctorReport, all, cluster bool) error {
	var b strings.Builder
	product := r.Product
	if product == "" {
		product = "server"
	}
	fmt.Fprintf(&b, "doctor: %s %s at %s, as user %s (%s)\n", product, r.Version, r.Server, r.User, r.Duration.Round(time.Millisecond))
	var ok, unknown []redisops.DoctorCheck
	shown := 0
	for _, c := range r.Checks {
		switch c.Status {
		case redisops.DoctorOK:
			ok = append(ok, c)
			continue
		case redisops.DoctorUnknown:
			unknown = append(unknown, c)
			continue
		}
		shown++
		node := ""
		if cluster {
			node = " [" + c.Node + "]"
		}
		fmt.Fprintf(&b, "\n%-8s %s%s\n", strings.ToUpper(c.Status), c.ID, node)
		fmt.Fprintf(&b, "  seen:     %s\n", c.Seen)
		fmt.Fprintf(&b, "  baseline: %s\n", c.Baseline)
		if c.Remedy != "" {
			fmt.Fprintf(&b, "  remedy:   %s\n", strings.ReplaceAll(c.Remedy, "\n", "\n            "))
		}
	}
	if len(unknown) > 0 {
		fmt.Fprintf(&b, "\nUNKNOWN (not guessed):\n")
		for _, c := range unknown {
			fmt.Fprintf(&b, "  %-26s %s\n", c.ID, c.Why)
			if c.Seen != "" {
				fmt.Fprintf(&b, "  %-26s seen: %s\n", "", c.Seen)
			}
		}
	}
	if all {
		fmt.Fprintf(&b, "\nOK:\n")
		for _, c := range ok {
			fmt.Fprintf(&b, "  %-26s %s\n", c.ID, c.Seen)
		}
	}
	findings := len(r.Findings())
	fmt.Fprintf(&b, "\n%d findings (critical or warning), %d notes, %d unknown, %d ok\n", findings, shown-findings, len(unknown), len(ok))
	_, err := io.WriteString(w, b.String())
	return err
}
