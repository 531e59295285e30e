package dobackend

import (
	"fmt"
	"strings"
)

// Headroom is the share of the target's usable memory that must stay free
// above today's used memory: less refuses a resize.
const Headroom = 0.20

// tightFree: a resize that leaves less than this free is allowed with a
// warning (or when the peak lacks the headroom).
const tightFree = 0.30

// Plan is a size and a node count.
type Plan struct {
	Size  string `json:"size"`
	Nodes int    `json:"nodes"`
}

// FitInput is the live memory of the connected cluster and the two plans.
type FitInput struct {
	Used      int64  // INFO used_memory, bytes
	Peak      int64  // used_memory_peak
	MaxMemory int64  // maxmemory; 0 when none is set or unknown
	Policy    string // maxmemory_policy (Redis spelling), "" when unknown
	Current   Plan
	Target    Plan
}

// Verdict of a fit check.
type Verdict string

const (
	Fits    Verdict = "fits"
	Tight   Verdict = "tight"   // allowed, with the warnings in Reasons
	Refused Verdict = "refused" // not sent; Reasons say why
)

// Fit is the result of CheckFit.
type Fit struct {
	Verdict   Verdict  `json:"verdict"`
	Reasons   []string `json:"reasons,omitempty"` // why refused or tight
	Notes     []string `json:"notes,omitempty"`   // what else to know
	Downsize  bool     `json:"downsize"`
	Used      int64    `json:"used_memory"`
	Peak      int64    `json:"used_memory_peak"`
	MaxMemory int64    `json:"maxmemory"`
	// TargetUsable is the memory the target size holds for data.
	TargetUsable          int64   `json:"target_usable"`
	TargetUsableEstimated bool    `json:"target_usable_estimated"`
	FreeAfter             float64 `json:"free_after"` // share of TargetUsable left free by Used
	// Evicted is how many bytes of today's data would not fit (0 if all do).
	Evicted     int64   `json:"evicted_bytes"`
	CostCurrent float64 `json:"cost_current_usd_month,omitempty"`
	CostTarget  float64 `json:"cost_target_usd_month,omitempty"`
	CostDelta   float64 `json:"cost_delta_usd_month"`
	PricesKnown bool    `json:"prices_known"`
	PriceDate   string  `json:"prices_date"`
	PricesNote  string  `json:"prices_note"`
}

// CheckFit judges whether target holds today's data. It is a pure
// function of the live figures and the table; nothing is sent anywhere.
// Every node holds the whole data set (standbys replicate, they do not
// shard), so a node count changes availability and cost, not capacity.
func CheckFit(in FitInput, table PriceTable) Fit {
	f := Fit{Verdict: Fits, Used: in.Used, Peak: in.Peak, MaxMemory: in.MaxMemory, PriceDate: table.Date, PricesNote: table.DateNote()}
	refuse := func(s string) { f.Verdict = Refused; f.Reasons = append(f.Reasons, s) }
	warn := func(s string) {
		if f.Verdict == Fits {
			f.Verdict = Tight
		}
		f.Reasons = append(f.Reasons, s)
	}
	if in.Target.Nodes < 1 || in.Target.Nodes > 3 {
		refuse(fmt.Sprintf("node count %d: DigitalOcean offers 1 to 3 nodes", in.Target.Nodes))
	}
	cur, curOK := table.Lookup(in.Current.Size)
	tgt, tgtOK := table.Lookup(in.Target.Size)
	if !tgtOK {
		refuse(fmt.Sprintf("size %s: its memory is unknown to cachedeck (not in the %s table, no -<N>gb suffix), so the fit cannot be checked", in.Target.Size, table.Date))
		return f
	}
	if in.Used <= 0 {
		refuse("the live used_memory is unknown (INFO memory was not read), so the fit cannot be checked")
		return f
	}
	f.TargetUsable, f.TargetUsableEstimated = tgt.Usable, tgt.Estimated
	f.FreeAfter = 1 - float64(in.Used)/float64(tgt.Usable)
	f.Downsize = curOK && tgt.RAM < cur.RAM
	usable := fmtBytes(tgt.Usable)
	if tgt.Estimated {
		usable = "about " + usable + " (estimated)"
	}

	switch {
	case in.Used > tgt.Usable:
		f.Evicted = in.Used - tgt.Usable
		refuse(fmt.Sprintf("%s holds %s for data, less than the %s used now: %s", in.Target.Size, usable, fmtBytes(in.Used), evictionEffect(in.Policy, f.Evicted)))
	case f.FreeAfter < Headroom:
		refuse(fmt.Sprintf("%s holds %s for data: the %s used now would leave %.0f %% free, under the %.0f %% headroom required", in.Target.Size, usable, fmtBytes(in.Used), 100*f.FreeAfter, 100*Headroom))
	default:
		if in.Peak > 0 && float64(in.Peak) > (1-Headroom)*float64(tgt.Usable) {
			what := "would lack the 20 % headroom"
			if in.Peak > tgt.Usable {
				what = "would not fit: " + evictionEffect(in.Policy, in.Peak-tgt.Usable) + " at such a peak"
			}
			warn(fmt.Sprintf("tight: the peak of %s %s on %s (%s)", fmtBytes(in.Peak), what, in.Target.Size, usable))
		}
		if f.FreeAfter < tightFree {
			warn(fmt.Sprintf("tight: %s leaves %.0f %% of %s free with today's %s", in.Target.Size, 100*f.FreeAfter, usable, fmtBytes(in.Used)))
		}
	}
	if f.Downsize && f.Verdict != Refused {
		f.Notes = append(f.Notes, "a downsize: DigitalOcean documents that database nodes cannot be resized to smaller sizes; if the API refuses (422) its message is shown")
	}
	if curOK && tgtOK && !f.Downsize && tgt.RAM > cur.RAM {
		f.Notes = append(f.Notes, fmt.Sprintf("headroom grows from %s to %s for data", fmtBytes(cur.Usable), fmtBytes(tgt.Usable)))
	}
	if in.MaxMemory > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("live maxmemory %s (policy %s)", fmtBytes(in.MaxMemory), orUnknown(in.Policy)))
	}
	if in.Target.Nodes == 1 && in.Current.Nodes > 1 {
		f.Notes = append(f.Notes, "no standby node left: a node failure means downtime until DigitalOcean replaces it")
	}
	if in.Target.Nodes != in.Current.Nodes {
		f.Notes = append(f.Notes, "the node count changes standbys only: every node holds the whole data set")
	}

	// Cost: a price per node, times the nodes.
	if curOK && tgtOK && cur.MonthlyUSD > 0 && tgt.MonthlyUSD > 0 {
		f.PricesKnown = true
		f.CostCurrent = cur.MonthlyUSD * float64(max(in.Current.Nodes, 1))
		f.CostTarget = tgt.MonthlyUSD * float64(max(in.Target.Nodes, 1))
		f.CostDelta = f.CostTarget - f.CostCurrent
	}
	return f
}

// evictionEffect says what a lack of n bytes does under policy.
func evictionEffect(policy string, n int64) string {
	p := strings.ReplaceAll(policy, "_", "-")
	switch {
	case p == "noeviction":
		return fmt.Sprintf("with noeviction, writes would fail with OOM errors once %s more is needed", fmtBytes(n))
	case strings.HasPrefix(p, "allkeys-"):
		return fmt.Sprintf("%s would evict about %s of keys", p, fmtBytes(n))
	case strings.HasPrefix(p, "volatile-"):
		return fmt.Sprintf("%s would evict about %s of keys with a TTL, and writes fail with OOM if those are not enough", p, fmtBytes(n))
	}
	return fmt.Sprintf("about %s would be evicted or refused (policy unknown)", fmtBytes(n))
}

// CostLine is "+$45.00/month (db-s-1vcpu-1gb x1 $15.00 → db-s-2vcpu-4gb x1
// $60.00; prices of 2026-12-03, unverified)", or says the price is unknown.
func (f Fit) CostLine(cur, tgt Plan) string {
	if !f.PricesKnown {
		return fmt.Sprintf("cost change unknown: a size is missing from the price table (%s)", f.PricesNote)
	}
	return fmt.Sprintf("%s/month (%s x%d $%.2f → %s x%d $%.2f; %s)", signedUSD(f.CostDelta), cur.Size, cur.Nodes, f.CostCurrent, tgt.Size, tgt.Nodes, f.CostTarget, f.PricesNote)
}

func signedUSD(v float64) string {
	if v < 0 {
		return fmt.Sprintf("-$%.2f", -v)
	}
	return fmt.Sprintf("+$%.2f", v)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// fmtBytes is 1.5 GiB, 312.0 MiB, 900 B.
func fmtBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
