package cli

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/decode"
	"github.com/coldcopy/cachedeck/redisops"
)

// inspectJSON is the `cachedeck inspect --json` object. Numbers a server
// refused to give are null, with the reason in "unavailable".
type inspectJSON struct {
	Key         string            `json:"key"`
	KeyB64      string            `json:"key_b64"`
	Type        string            `json:"type"`
	TTLms       *int64            `json:"ttl_ms"`
	Encoding    *string           `json:"encoding"`
	MemoryBytes *int64            `json:"memory_bytes"`
	Length      *int64            `json:"length"`
	Value       any               `json:"value"`
	Unavailable map[string]string `json:"unavailable,omitempty"`
}

type collectionJSON struct {
	Items     []itemJSON `json:"items"`
	Cursor    string     `json:"cursor"`
	Truncated bool       `json:"truncated"` // more members than this page
}

type itemJSON struct {
	Field    string         `json:"field,omitempty"`     // hash field (display form)
	FieldB64 string         `json:"field_b64,omitempty"` // hash field bytes
	ID       string         `json:"id,omitempty"`        // stream entry ID
	Score    *float64       `json:"score,omitempty"`     // zset score
	Value    *decode.Result `json:"value,omitempty"`
	Fields   []fieldJSON    `json:"fields,omitempty"` // stream entry fields
}

type fieldJSON struct {
	Name  string        `json:"name"`
	Value decode.Result `json:"value"`
}

func (a *app) inspectCmd() *cobra.Command {
	var asJSON, keyB64 bool
	var opts redisops.InspectOptions
	cmd := &cobra.Command{
		Use:   "inspect [--json] [--key-b64] [--max-bytes N] KEY",
		Short: "Show a key's type, TTL, encoding, memory, length and its value decoded",
		Args:  exactArgs(1, "exactly one KEY"),
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.BoolVar(&keyB64, "key-b64", false, "KEY is base64 of the exact key bytes")
	f.Int64Var(&opts.MaxBytes, "max-bytes", redisops.DefaultMaxBytes, "fetch at most this many bytes of a string (GETRANGE)")
	f.Int64Var(&opts.PageSize, "page-size", redisops.DefaultPageSize, "collection members per page")
	f.StringVar(&opts.Cursor, "cursor", "", "continue a collection from this cursor")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string) error {
		key := args[0]
		if keyB64 {
			raw, err := base64.StdEncoding.DecodeString(key)
			if err != nil {
				return usagef("--key-b64: KEY is not valid base64: %v", err)
			}
			key = string(raw)
		}
		if opts.MaxBytes <= 0 || opts.PageSize <= 0 {
			return usagef("--max-bytes and --page-size must be positive")
		}
		c, _, err := a.connect(cmd.Context())
		if err != nil {
			return err
		}
		defer c.Close()
		r, err := c.Inspect(cmd.Context(), key, opts)
		if errors.Is(err, redisops.ErrNoSuchKey) {
			return fmt.Errorf("no such key: %s", decode.DisplayKey(key))
		}
		if err != nil {
			return err
		}
		if asJSON {
			enc := json.NewEncoder(a.stdout)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			return enc.Encode(toInspectJSON(r))
		}
		return writeInspectText(a.stdout, r)
	})
	return cmd
}

func toInspectJSON(r *redisops.KeyReport) inspectJSON {
	out := inspectJSON{
		Key:         decode.DisplayKey(r.Key),
		KeyB64:      base64.StdEncoding.EncodeToString([]byte(r.Key)),
		Type:        r.Type,
		Unavailable: r.Unavailable,
	}
	if _, refused := r.Unavailable["ttl"]; !refused {
		out.TTLms = &r.TTL
	}
	if _, refused := r.Unavailable["encoding"]; !refused {
		out.Encoding = &r.Encoding
	}
	if r.MemoryBytes >= 0 {
		out.MemoryBytes = &r.MemoryBytes
	}
	if r.Length >= 0 {
		out.Length = &r.Length
	}
	if len(out.Unavailable) == 0 {
		out.Unavailable = nil
	}
	switch {
	case r.Value != nil:
		out.Value = r.Value
	case r.Type != "string" && r.Unavailable["value"] == "":
		coll := collectionJSON{Items: make([]itemJSON, 0, len(r.Items)), Cursor: r.Cursor, Truncated: r.Cursor != ""}
		for i := range r.Items {
			coll.Items = append(coll.Items, toItemJSON(r.Type, &r.Items[i]))
		}
		out.Value = coll
	}
	return out
}

func toItemJSON(typ string, it *redisops.Item) itemJSON {
	out := itemJSON{Score: it.Score}
	switch typ {
	case "hash":
		out.Field = decode.DisplayKey(it.Field)
		out.FieldB64 = base64.StdEncoding.EncodeToString([]byte(it.Field))
	case "stream":
		out.ID = it.Field
		for _, f := range it.Entry {
			out.Fields = append(out.Fields, fieldJSON{Name: decode.DisplayKey(f.Name), Value: f.Value})
		}
		return out
	}
	out.Value = &it.Value
	return out
}

func writeInspectText(w io.Writer, r *redisops.KeyReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "key:       %s\n", decode.DisplayKey(r.Key))
	fmt.Fprintf(&b, "type:      %s\n", r.Type)
	fmt.Fprintf(&b, "ttl:       %s\n", orReason(r, "ttl", formatTTL(r.TTL)))
	fmt.Fprintf(&b, "encoding:  %s\n", orReason(r, "encoding", r.Encoding))
	fmt.Fprintf(&b, "memory:    %s\n", orReason(r, "memory_bytes", fmt.Sprintf("%d bytes", r.MemoryBytes)))
	fmt.Fprintf(&b, "length:    %s\n", orReason(r, "length", fmt.Sprint(r.Length)))
	if why := r.Unavailable["value"]; why != "" {
		fmt.Fprintf(&b, "value:     unavailable: %s\n", why)
	}
	if r.Value != nil {
		writeDecoded(&b, "", *r.Value)
		if r.Truncated {
			fmt.Fprintf(&b, "(value cut at %d of %d bytes; raise --max-bytes to see more)\n", len(r.Raw), r.Length)
		}
	}
	for _, it := range r.Items {
		switch r.Type {
		case "hash":
			fmt.Fprintf(&b, "--- field %s\n", decode.DisplayKey(it.Field))
		case "zset":
			fmt.Fprintf(&b, "--- score %g\n", *it.Score)
		case "stream":
			fmt.Fprintf(&b, "--- entry %s\n", it.Field)
			for _, f := range it.Entry {
				writeDecoded(&b, decode.DisplayKey(f.Name)+": ", f.Value)
			}
			continue
		default:
			fmt.Fprintln(&b, "---")
		}
		writeDecoded(&b, "", it.Value)
	}
	if r.Cursor != "" {
		fmt.Fprintf(&b, "(more members: continue with --cursor %s)\n", r.Cursor)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeDecoded(b *strings.Builder, label string, v decode.Result) {
	layers := append(append([]string{}, v.Layers...), v.Format)
	fmt.Fprintf(b, "%sdecoded:   %s\n", label, strings.Join(layers, " → "))
	for _, w := range v.Warnings {
		fmt.Fprintf(b, "WARNING:   %s\n", w)
	}
	b.WriteString(v.Text)
	if !strings.HasSuffix(v.Text, "\n") {
		b.WriteByte('\n')
	}
}

func orReason(r *redisops.KeyReport, field, value string) string {
	if why, ok := r.Unavailable[field]; ok {
		return "unavailable: " + why
	}
	return value
}

func formatTTL(ms int64) string {
	if ms < 0 {
		return "none (persists)"
	}
	return fmt.Sprintf("%s (%d ms)", (time.Duration(ms) * time.Millisecond).Round(time.Second), ms)
}
