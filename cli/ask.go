package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// askLine writes question to w and reads one line from r. Ctrl-C while
// the operator is being asked ends ctx (the signal is ours, not the
// terminal's), so the wait ends with ctx too; the line reader is left to
// the process exit. unchanged completes "…: " in the errors, e.g.
// "nothing was deleted".
func askLine(ctx context.Context, w io.Writer, r io.Reader, question, unchanged string) (string, error) {
	fmt.Fprint(w, question)
	type answer struct {
		line string
		err  error
	}
	answers := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		answers <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(w)
		return "", fmt.Errorf("cancelled at the prompt: %s", unchanged)
	case a := <-answers:
		if a.err != nil && a.line == "" {
			return "", fmt.Errorf("no answer: %s", unchanged)
		}
		return strings.TrimRight(a.line, "\r\n"), nil
	}
}

// confirmOnTerminal asks question and reads one line: only "yes" confirms.
func confirmOnTerminal(ctx context.Context, w io.Writer, r io.Reader, question, unchanged string) error {
	line, err := askLine(ctx, w, r, question, unchanged)
	if err != nil {
		return err
	}
	if !strings.EqualFold(strings.TrimSpace(line), "yes") {
		return errors.New("cancelled: " + unchanged)
	}
	return nil
}
