package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// cliMarkdown renders the command tree as docs/cli.md; a test keeps the
// file equal to it, so the reference cannot drift from the code.
func cliMarkdown(root *cobra.Command) string {
	var sb strings.Builder
	sb.WriteString("# Command-line reference\n\n")
	sb.WriteString("Generated from the code (`go test ./cmd/vigil -update` rewrites it).\n\n")
	sb.WriteString("## Exit codes\n\n")
	sb.WriteString("| code | meaning |\n|---|---|\n")
	sb.WriteString(fmt.Sprintf("| %d | success |\n", exitOK))
	sb.WriteString(fmt.Sprintf("| %d | the command worked but its result fails the policy (findings at or above `--fail-on`) |\n", exitPolicy))
	sb.WriteString(fmt.Sprintf("| %d | error: the command could not do its job (bad target, unreadable image, bad flag) |\n\n", exitFailure))
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		sb.WriteString("## " + c.CommandPath() + "\n\n")
		if c.Long != "" {
			sb.WriteString(c.Long + "\n\n")
		} else if c.Short != "" {
			sb.WriteString(c.Short + "\n\n")
		}
		if c.Runnable() {
			sb.WriteString("```\n" + c.UseLine() + "\n```\n\n")
		}
		if c.Example != "" {
			sb.WriteString("Examples:\n\n```\n" + c.Example + "\n```\n\n")
		}
		if f := c.NonInheritedFlags().FlagUsages(); f != "" {
			sb.WriteString("Flags:\n\n```\n" + f + "```\n\n")
		}
		if !c.HasParent() {
			if f := c.PersistentFlags().FlagUsages(); f != "" {
				sb.WriteString("Global flags (every command):\n\n```\n" + f + "```\n\n")
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return sb.String()
}
