package model

import (
	"fmt"
	"strconv"
	"strings"
)

// Protocol is an IP protocol number. The zero value means "any protocol"
// where a rule leaves the protocol out.
type Protocol uint8

// The protocols Calico knows by name.
const (
	ICMP    Protocol = 1
	TCP     Protocol = 6
	UDP     Protocol = 17
	ICMPv6  Protocol = 58
	SCTP    Protocol = 132
	UDPLite Protocol = 136
)

var protocolNames = map[Protocol]string{
	ICMP: "ICMP", TCP: "TCP", UDP: "UDP", ICMPv6: "ICMPv6", SCTP: "SCTP", UDPLite: "UDPLite",
}

// String returns Calico's name for the protocol (TCP, UDP, ICMP, ICMPv6, SCTP,
// UDPLite) or its number.
func (p Protocol) String() string {
	if n, ok := protocolNames[p]; ok {
		return n
	}
	return strconv.Itoa(int(p))
}

// HasPorts reports whether packets of the protocol carry ports.
func (p Protocol) HasPorts() bool { return p == TCP || p == UDP || p == SCTP || p == UDPLite }

// ParseProtocol reads a protocol name (case-insensitive: tcp, UDP, icmpv6, ...)
// or a number from 1 to 255.
func ParseProtocol(s string) (Protocol, error) {
	for p, n := range protocolNames {
		if strings.EqualFold(n, s) {
			return p, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 255 {
		return 0, fmt.Errorf("protocol %q: want TCP, UDP, SCTP, ICMP, ICMPv6, UDPLite or a number from 1 to 255", s)
	}
	return Protocol(n), nil
}

// PortRange is an inclusive range of ports. A single port has Min == Max.
// The zero value is port 0 only.
type PortRange struct {
	Min, Max uint16
}

// AllPorts is the range of every port.
var AllPorts = PortRange{Min: 0, Max: 65535}

// Contains reports whether port p is in the range.
func (r PortRange) Contains(p uint16) bool { return r.Min <= p && p <= r.Max }

// String returns "80" or "8000-8080".
func (r PortRange) String() string {
	if r.Min == r.Max {
		return strconv.Itoa(int(r.Min))
	}
	return fmt.Sprintf("%d-%d", r.Min, r.Max)
}

// Action is what a rule does when it matches.
type Action uint8

// The rule actions, and the tier default actions Deny and Pass.
const (
	Allow Action = iota + 1
	Deny
	Pass
	Log
)

// String returns the Calico spelling: Allow, Deny, Pass or Log.
func (a Action) String() string {
	switch a {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	case Pass:
		return "Pass"
	case Log:
		return "Log"
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// Direction is the side of a connection a policy governs: Ingress is traffic
// to the endpoint, Egress traffic from it.
type Direction uint8

// The two directions.
const (
	Ingress Direction = iota
	Egress
)

// String returns "Ingress" or "Egress".
func (d Direction) String() string {
	if d == Egress {
		return "Egress"
	}
	return "Ingress"
}

// Position says where an object came from: file, line of the object's
// document start, the 1-based document number in the file, and the object's
// identity. The zero value means "unknown" (objects built in code).
type Position struct {
	File      string
	Line      int
	Doc       int
	Kind      string
	Namespace string
	Name      string
}

// String renders FILE:LINE (doc N, Kind ns/name), leaving out what is unknown.
func (p Position) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
	}
	var id []string
	if p.Doc > 0 {
		id = append(id, fmt.Sprintf("doc %d", p.Doc))
	}
	if p.Kind != "" || p.Name != "" {
		obj := p.Kind
		if n := objectName(p.Namespace, p.Name); n != "" {
			obj = strings.TrimSpace(obj + " " + n)
		}
		id = append(id, obj)
	}
	if len(id) > 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("(" + strings.Join(id, ", ") + ")")
	}
	return b.String()
}

func objectName(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}
