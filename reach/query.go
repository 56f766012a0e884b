package reach

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/reach-sim/reach/model"
)

// Query is a parsed question "can SRC reach DST on PORT/PROTO?", written
//
//	SRC->DST[:PORT[/PROTO]]
//
// or as two words SRC and DST[:PORT[/PROTO]] (an unquoted -> is a shell
// redirection). SRC and DST are a name (pod, workload or service, looked up
// in every namespace), namespace/name, or an IP address (IPv6 with a port in
// brackets: [fd00::1]:80). PORT is a number or a named port; PROTO is TCP,
// UDP, SCTP, ICMP, ICMPv6 or a protocol number, TCP by default.
type Query struct {
	Src, Dst string
	// Port is the port as written: a number, a port name, or empty when the
	// query asks which ports are open.
	Port string
	// Protocol is the protocol; TCP when the query names none.
	Protocol model.Protocol
	// ProtocolGiven reports whether the query named the protocol.
	ProtocolGiven bool
}

// QueryError is a query that cannot be read, with the offset of the problem.
type QueryError struct {
	Input  string
	Offset int
	Msg    string
}

// Error renders: query "a->": offset 3: missing destination.
func (e *QueryError) Error() string {
	return fmt.Sprintf("query %q: offset %d: %s", e.Input, e.Offset, e.Msg)
}

// ParseQuery reads a query from one argument (SRC->DST[:PORT[/PROTO]]) or two
// (SRC, DST[:PORT[/PROTO]]).
func ParseQuery(args ...string) (Query, error) {
	var input, src, dst string
	dstOffset := 0
	switch len(args) {
	case 1:
		input = args[0]
		i := strings.Index(input, "->")
		if i < 0 {
			return Query{}, &QueryError{Input: input, Offset: len(input), Msg: `expected "SRC->DST" (or SRC and DST as two arguments)`}
		}
		src, dst, dstOffset = input[:i], input[i+2:], i+2
	case 2:
		input = args[0] + " " + args[1]
		src, dst, dstOffset = args[0], args[1], len(args[0])+1
	default:
		return Query{}, &QueryError{Input: strings.Join(args, " "), Msg: fmt.Sprintf("want 1 or 2 arguments, got %d", len(args))}
	}
	q := Query{Protocol: model.TCP}
	if err := checkName(input, src, 0, "source"); err != nil {
		return Query{}, err
	}
	host, portProto, off, err := splitHostPort(input, dst, dstOffset)
	if err != nil {
		return Query{}, err
	}
	if err := checkName(input, host, dstOffset, "destination"); err != nil {
		return Query{}, err
	}
	q.Src, q.Dst = src, host
	if off < 0 {
		return q, nil
	}
	if portProto == "" {
		return Query{}, &QueryError{Input: input, Offset: off, Msg: "missing port after ':'"}
	}
	port, proto, hasProto := strings.Cut(portProto, "/")
	if hasProto {
		p, err := model.ParseProtocol(proto)
		if err != nil {
			return Query{}, &QueryError{Input: input, Offset: off + len(port) + 1, Msg: err.Error()}
		}
		q.Protocol, q.ProtocolGiven = p, true
	}
	if port == "" {
		if !hasProto {
			return Query{}, &QueryError{Input: input, Offset: off, Msg: "missing port after ':'"}
		}
	} else if err := checkPort(port); err != nil {
		return Query{}, &QueryError{Input: input, Offset: off, Msg: err.Error()}
	}
	if port != "" && !q.Protocol.HasPorts() {
		return Query{}, &QueryError{Input: input, Offset: off, Msg: fmt.Sprintf("protocol %s has no ports", q.Protocol)}
	}
	q.Port = port
	return q, nil
}

// splitHostPort splits "name:port/proto", "[v6]:port" or a bare IPv6
// address; restOffset is -1 when there is no ':' part.
func splitHostPort(input, s string, offset int) (host, rest string, restOffset int, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 {
			return "", "", 0, &QueryError{Input: input, Offset: offset + len(s), Msg: "missing ']'"}
		}
		host, rest = s[1:end], s[end+1:]
		if rest == "" {
			return host, "", -1, nil
		}
		if rest[0] != ':' {
			return "", "", 0, &QueryError{Input: input, Offset: offset + end + 1, Msg: "expected ':' after ']'"}
		}
		return host, rest[1:], offset + end + 2, nil
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return s, "", -1, nil // a bare address, IPv6 included
	}
	i := strings.IndexByte(s, ':')
	if i < 0 {
		return s, "", -1, nil
	}
	return s[:i], s[i+1:], offset + i + 1, nil
}

func checkName(input, s string, offset int, what string) error {
	if strings.TrimSpace(s) == "" {
		return &QueryError{Input: input, Offset: offset, Msg: "missing " + what}
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return nil
	}
	parts := strings.Split(s, "/")
	if len(parts) > 2 {
		return &QueryError{Input: input, Offset: offset, Msg: fmt.Sprintf("%s %q: want NAME, NAMESPACE/NAME or an IP address", what, s)}
	}
	for _, p := range parts {
		if !isDNSName(p) {
			return &QueryError{Input: input, Offset: offset, Msg: fmt.Sprintf("%s %q: want NAME, NAMESPACE/NAME or an IP address", what, s)}
		}
	}
	return nil
}

// isDNSName reports whether s can be a Kubernetes object name (lowercase
// letters, digits, '-' and '.').
func isDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func checkPort(s string) error {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 65535 {
			return fmt.Errorf("port %d out of range 1-65535", n)
		}
		return nil
	}
	if len(s) > 15 || !isPortName(s) {
		return fmt.Errorf("port %q: want a number from 1 to 65535 or a port name", s)
	}
	return nil
}

// isPortName accepts Kubernetes port names (IANA service names).
func isPortName(s string) bool {
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9', c == '-':
		default:
			return false
		}
	}
	return letter && s[0] != '-' && s[len(s)-1] != '-'
}
