package cli

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Ctrl-C at a prompt ends the wait: the signal cancels the command's
// context, and a terminal read would otherwise block until Enter.
func TestAskLineEndsWithTheContext(t *testing.T) {
	never, w := io.Pipe() // nobody ever types
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		_, err := askLine(ctx, &out, never, "Type the pattern: ", "nothing was deleted")
		done <- err
	}()
	cancel()
	err := <-done
	require.Error(t, err)
	assert.Equal(t, "cancelled at the prompt: nothing was deleted", err.Error())
	assert.Contains(t, out.String(), "Type the pattern: ")
}

func TestConfirmOnTerminalAnswers(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	assert.NoError(t, confirmOnTerminal(ctx, &out, strings.NewReader("YES\n"), "? ", "nothing was restored"))
	err := confirmOnTerminal(ctx, &out, strings.NewReader("no\n"), "? ", "nothing was restored")
	assert.EqualError(t, err, "cancelled: nothing was restored")
	err = confirmOnTerminal(ctx, &out, strings.NewReader(""), "? ", "nothing was restored")
	assert.EqualError(t, err, "no answer: nothing was restored")
}
