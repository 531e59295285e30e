package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/coldcopy/cachedeck/config"
	"github.com/coldcopy/cachedeck/policy"
)

// policyCmd groups init, check and fix.
func (a *app) policyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy init | check | fix",
		Short: "Audit the cache against its policy (TTLs, never-cache data, compression, value sizes)",
		Long: `The policy says what the cache should hold: the TTL of each namespace, the
namespaces that must never be cached, compression above a size and the largest
value allowed. The built-in policy follows ColdCopy's infrastructure document;
'cachedeck policy init' writes it out for editing.

The policy file is, in order: --policy FILE, the profile's policy setting,
policy-<profile>.toml (or policy.toml without a profile) next to the config
file, else the built-in policy.`,
		Args: exactArgs(0, "a subcommand: init, check or fix"),
	}
	cmd.AddCommand(a.policyInitCmd(), a.policyCheckCmd(), a.policyFixCmd())
	return withHelpHints(cmd)
}

// policyLocation is where the policy file of this invocation lives and
// whether the user named it (a named file must exist).
func (a *app) policyLocation(flag string) (path string, explicit bool, err error) {
	cfgPath, cfgExplicit := a.conn.configPath, a.conn.configPath != ""
	if !cfgExplicit {
		cfgPath = config.DefaultPath()
	}
	path, explicit, err = policy.Locate(flag, cfgPath, cfgExplicit, a.conn.profile)
	if err != nil {
		return "", false, usageError{err}
	}
	return path, explicit, nil
}

// loadPolicy resolves and reads the policy; an invalid file is a usage
// error (exit 2): no verdict can come from it.
func (a *app) loadPolicy(flag string) (*policy.Policy, error) {
	path, explicit, err := a.policyLocation(flag)
	if err != nil {
		return nil, err
	}
	p, err := policy.Resolve(path, explicit)
	if err != nil {
		return nil, usageError{err}
	}
	return p, nil
}

func (a *app) policyInitCmd() *cobra.Command {
	var force bool
	var out string
	cmd := &cobra.Command{
		Use:   "init [--force] [--policy FILE]",
		Short: "Write the built-in policy to the policy file, for editing",
		Args:  exactArgs(0, "no arguments"),
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing policy file")
	cmd.Flags().StringVar(&out, "policy", "", "write here instead of the profile's policy file")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string) error {
		path, _, err := a.policyLocation(out)
		if err != nil {
			return err
		}
		if path == "" {
			return usagef("no config directory (HOME unset): give --policy FILE")
		}
		if err := policy.WriteDefault(path, force); err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.stdout, "wrote the built-in policy to %s: edit it, then run 'cachedeck policy check'\n", path)
		return err
	})
	return cmd
}
