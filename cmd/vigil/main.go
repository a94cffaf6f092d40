// Command vigil inventories container images and keeps watch over them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes: the only place errors become numbers.
const (
	exitOK      = 0
	exitPolicy  = 1 // findings or policy failure
	exitFailure = 2 // the command could not do its job
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// errPolicy marks a run that worked but whose result fails the policy.
var errPolicy = errors.New("policy failed")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errPolicy):
		fmt.Fprintln(stderr, "vigil:", err)
		return exitPolicy
	default:
		fmt.Fprintln(stderr, "vigil:", err)
		return exitFailure
	}
}
