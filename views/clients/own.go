package clients

import (
	"bufio"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/coldcopy/cachedeck/redisops"
)

// Which connections are the console's own?
//
// The console talks through go-redis's pool: up to 8 connections per node
// (plus the governor's probes during a breakdown), opened and reopened as
// go-redis sees fit and carrying no client name (redisops turns
// CLIENT SETINFO off and sets no name). CLIENT ID would identify only the
// one pooled connection it happened to run on. So two rules, either of
// which marks a row as ours:
//
//   - its address is the local end of one of this process's TCP sockets
//     (Linux: /proc/self/fd and /proc/self/net/tcp{,6}). That covers every
//     pooled connection, on every node, as long as no NAT or proxy sits
//     between us and the server (then the server sees another address);
//   - its last command is CLIENT LIST: the connection that produced this
//     very listing. That works everywhere, NAT or not; another tool
//     listing clients at the same instant would be marked too, which errs
//     on the safe side (we only refuse to kill it).
//
// Killing one of our own connections would do no harm go-redis cannot
// repair, but it is never what the operator meant, so it is not offered.

// endpoint is an address normalised for comparison: IP and port.
type endpoint struct {
	ip   string // net.IP.String() of the 16-byte form
	port int
}

func parseEndpoint(addr string) (endpoint, bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		// Some servers print IPv6 without brackets: "::1:6379".
		i := strings.LastIndexByte(addr, ':')
		if i < 0 {
			return endpoint{}, false
		}
		host, port = addr[:i], addr[i+1:]
	}
	ip := net.ParseIP(host)
	p, err := strconv.Atoi(port)
	if ip == nil || err != nil {
		return endpoint{}, false
	}
	return endpoint{ip: ip.To16().String(), port: p}, true
}

// localSockets lists the local ends of this process's TCP sockets; nil
// where /proc is not available.
func localSockets() map[endpoint]bool {
	inodes := map[string]bool{}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil {
			continue
		}
		if inode, ok := strings.CutPrefix(target, "socket:["); ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	out := map[endpoint]bool{}
	for _, table := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		readSocketTable(table, inodes, out)
	}
	return out
}

// readSocketTable adds the local addresses of the sockets of table whose
// inode is one of ours.
func readSocketTable(path string, inodes map[string]bool, out map[endpoint]bool) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || !inodes[fields[9]] {
			continue
		}
		if ep, ok := procEndpoint(fields[1]); ok {
			out[ep] = true
		}
	}
}

// procEndpoint decodes "0100007F:1F90" (IPv4) or a 32-digit IPv6 address:
// the kernel prints each 32-bit word in host (little-endian) order.
func procEndpoint(s string) (endpoint, bool) {
	addr, port, ok := strings.Cut(s, ":")
	if !ok {
		return endpoint{}, false
	}
	raw, err := hex.DecodeString(addr)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return endpoint{}, false
	}
	for i := 0; i+4 <= len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	p, err := strconv.ParseInt(port, 16, 32)
	if err != nil {
		return endpoint{}, false
	}
	return endpoint{ip: net.IP(raw).To16().String(), port: int(p)}, true
}

// ownClients marks the clients that are this console's connections.
func ownClients(list []redisops.ClientInfo, local map[endpoint]bool) map[int]bool {
	own := map[int]bool{}
	for i, ci := range list {
		if ci.Cmd == "client|list" {
			own[i] = true
			continue
		}
		if ep, ok := parseEndpoint(ci.Addr); ok && local[ep] {
			own[i] = true
		}
	}
	return own
}
