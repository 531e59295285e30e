package decode

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHexDump(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "00000000\n"},
		{"hello", []byte("hello\n"), "00000000  68 65 6c 6c 6f 0a                                 |hello.|\n00000006\n"},
		{"repeat", make([]byte, 40), "" +
			"00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n" +
			"*\n" +
			"00000020  00 00 00 00 00 00 00 00                           |........|\n" +
			"00000028\n"},
		{"escape is dotted", []byte("\x1b[2J\x9b"), "00000000  1b 5b 32 4a 9b                                    |.[2J.|\n00000005\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, hexDump(tt.in))
		})
	}
}

// TestHexDumpMatchesHexdumpC compares with the real tool (Debian's
// bsdextrautils; `make deps` installs it when missing).
func TestHexDumpMatchesHexdumpC(t *testing.T) {
	path, err := exec.LookPath("hexdump")
	require.NoError(t, err, "hexdump is needed: apt-get install bsdextrautils")
	inputs := [][]byte{
		[]byte(strings.Repeat("0123456789abcdef", 5) + "tail"),
		append(make([]byte, 100), []byte("x\x00\xff\x7f end")...),
		[]byte{0},
		[]byte(strings.Repeat("ab", 8)),
	}
	for _, in := range inputs {
		cmd := exec.Command(path, "-C")
		cmd.Stdin = bytes.NewReader(in)
		want, err := cmd.Output()
		require.NoError(t, err)
		assert.Equal(t, string(want), hexDump(in))
	}
}

func TestHexDumpWidths(t *testing.T) {
	b := []byte("ABCDEFGHIJ\x00\x1b")
	assert.Equal(t, "00000000  41 42 43 44 45 46 47 48  |ABCDEFGH|\n00000008  49 4a 00 1b              |IJ..|", HexDump(b, 8, false))
	zeros := make([]byte, 48)
	assert.Equal(t, 3, strings.Count(HexDump(zeros, 16, false), "\n")+1, "every line kept")
	assert.Equal(t, "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*", HexDump(zeros, 16, true))
	assert.Equal(t, "", HexDump(nil, 16, true))
}
