package dobackend

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"time"
)

// SizeInfo is what cachedeck knows of one node size: the API lists size
// slugs but neither their memory available to data nor their price.
type SizeInfo struct {
	Slug       string
	RAM        int64   // bytes of the plan's RAM
	Usable     int64   // bytes the cache can hold (maxmemory), well below RAM
	Estimated  bool    // Usable is interpolated, not a figure seen on a cluster
	MonthlyUSD float64 // per node
}

// PriceTable is a dated table of sizes.
type PriceTable struct {
	Date     string // when the figures were recorded (YYYY-MM-DD)
	Verified bool   // checked against DigitalOcean's live pricing page
	Source   string
	Sizes    map[string]SizeInfo
}

const gib = 1 << 30

// Prices is the table cachedeck ships. The API gives no prices, so they are
// written down here with their date; they were not checked against the
// live pricing page (there is no network to it where this was written),
// which the console and the commands say next to every price.
//
// Usable memory: DigitalOcean keeps about 70 % of RAM for data and 10 % for
// the replication log; the 1, 8 and 64 GiB figures (0.5, 5.2 and 43.7 GiB)
// were read on clusters, the others are interpolated between them.
var Prices = PriceTable{
	Date:     "2026-12-03",
	Verified: false,
	Source:   "DigitalOcean list prices for managed Valkey/Redis as recorded by the cachedeck authors; not checked against the live pricing page",
	Sizes: map[string]SizeInfo{
		"db-s-1vcpu-1gb":   {Slug: "db-s-1vcpu-1gb", RAM: 1 * gib, Usable: gib / 2, MonthlyUSD: 15},
		"db-s-1vcpu-2gb":   {Slug: "db-s-1vcpu-2gb", RAM: 2 * gib, Usable: gib * 12 / 10, Estimated: true, MonthlyUSD: 30},
		"db-s-2vcpu-4gb":   {Slug: "db-s-2vcpu-4gb", RAM: 4 * gib, Usable: gib * 25 / 10, Estimated: true, MonthlyUSD: 60},
		"db-s-4vcpu-8gb":   {Slug: "db-s-4vcpu-8gb", RAM: 8 * gib, Usable: gib * 52 / 10, MonthlyUSD: 120},
		"db-s-6vcpu-16gb":  {Slug: "db-s-6vcpu-16gb", RAM: 16 * gib, Usable: gib * 106 / 10, Estimated: true, MonthlyUSD: 240},
		"db-s-8vcpu-32gb":  {Slug: "db-s-8vcpu-32gb", RAM: 32 * gib, Usable: gib * 216 / 10, Estimated: true, MonthlyUSD: 480},
		"db-s-16vcpu-64gb": {Slug: "db-s-16vcpu-64gb", RAM: 64 * gib, Usable: gib * 437 / 10, MonthlyUSD: 960},
	},
}

var slugRAM = regexp.MustCompile(`-(\d+)gb$`)

// Lookup returns what the table knows of slug. A slug missing from the
// table but ending in -<N>gb gets its RAM from the name, an estimated
// usable memory (65 % of RAM) and no price (ok true, MonthlyUSD 0).
func (t PriceTable) Lookup(slug string) (SizeInfo, bool) {
	if s, ok := t.Sizes[slug]; ok {
		return s, true
	}
	m := slugRAM.FindStringSubmatch(slug)
	if m == nil {
		return SizeInfo{Slug: slug}, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n <= 0 || n > 4096 {
		return SizeInfo{Slug: slug}, false
	}
	return SizeInfo{Slug: slug, RAM: n * gib, Usable: n * gib * 65 / 100, Estimated: true}, true
}

// DateNote says how far to trust a price: "prices of 2026-12-03, unverified".
func (t PriceTable) DateNote() string {
	if t.Verified {
		return "prices of " + t.Date
	}
	return "prices of " + t.Date + ", unverified"
}

// priceFile is the JSON of LoadPrices.
type priceFile struct {
	Date     string `json:"date"`
	Verified bool   `json:"verified"`
	Source   string `json:"source"`
	Sizes    []struct {
		Slug       string  `json:"slug"`
		RAMMiB     int64   `json:"ram_mib"`
		UsableMiB  int64   `json:"usable_mib"`
		MonthlyUSD float64 `json:"monthly_usd"`
	} `json:"sizes"`
}

// LoadPrices reads a price table from a JSON file (--prices), so that
// on-call can use today's checked prices without a new build:
//
//	{"date": "2027-01-05", "verified": true, "source": "pricing page",
//	 "sizes": [{"slug": "db-s-1vcpu-1gb", "ram_mib": 1024, "usable_mib": 512, "monthly_usd": 15}]}
func LoadPrices(path string) (PriceTable, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return PriceTable{}, fmt.Errorf("price table: %w", err)
	}
	if len(data) > 1<<20 {
		return PriceTable{}, fmt.Errorf("price table %s: larger than 1 MiB", path)
	}
	var f priceFile
	if err := json.Unmarshal(data, &f); err != nil {
		return PriceTable{}, fmt.Errorf("price table %s: %v (see README: DigitalOcean)", path, err)
	}
	if _, err := time.Parse("2006-01-02", f.Date); err != nil {
		return PriceTable{}, fmt.Errorf("price table %s: \"date\" must be YYYY-MM-DD", path)
	}
	t := PriceTable{Date: f.Date, Verified: f.Verified, Source: f.Source, Sizes: map[string]SizeInfo{}}
	for _, s := range f.Sizes {
		if s.Slug == "" || s.RAMMiB <= 0 || s.UsableMiB <= 0 || s.UsableMiB > s.RAMMiB || s.MonthlyUSD < 0 {
			return PriceTable{}, fmt.Errorf("price table %s: size %q needs ram_mib > 0, 0 < usable_mib <= ram_mib, monthly_usd >= 0", path, s.Slug)
		}
		t.Sizes[s.Slug] = SizeInfo{Slug: s.Slug, RAM: s.RAMMiB << 20, Usable: s.UsableMiB << 20, MonthlyUSD: s.MonthlyUSD}
	}
	return t, nil
}
