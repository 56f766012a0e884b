package reach

import (
	"errors"
	"testing"

	"github.com/reach-sim/reach/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want Query
	}{
		{name: "arrow with port", args: []string{"frontend->database:5432"},
			want: Query{Src: "frontend", Dst: "database", Port: "5432", Protocol: model.TCP}},
		{name: "two arguments", args: []string{"frontend", "database:5432"},
			want: Query{Src: "frontend", Dst: "database", Port: "5432", Protocol: model.TCP}},
		{name: "no port", args: []string{"app/frontend->app/database"},
			want: Query{Src: "app/frontend", Dst: "app/database", Protocol: model.TCP}},
		{name: "protocol by name", args: []string{"a->b:53/udp"},
			want: Query{Src: "a", Dst: "b", Port: "53", Protocol: model.UDP, ProtocolGiven: true}},
		{name: "protocol by number", args: []string{"a->b:53/17"},
			want: Query{Src: "a", Dst: "b", Port: "53", Protocol: model.UDP, ProtocolGiven: true}},
		{name: "protocol without port", args: []string{"a->b:/ICMP"},
			want: Query{Src: "a", Dst: "b", Protocol: model.ICMP, ProtocolGiven: true}},
		{name: "named port", args: []string{"a->b:http-alt"},
			want: Query{Src: "a", Dst: "b", Port: "http-alt", Protocol: model.TCP}},
		{name: "IPv4 destination", args: []string{"web->8.8.8.8:443"},
			want: Query{Src: "web", Dst: "8.8.8.8", Port: "443", Protocol: model.TCP}},
		{name: "bare IPv6 destination", args: []string{"web->fd00::1"},
			want: Query{Src: "web", Dst: "fd00::1", Protocol: model.TCP}},
		{name: "bracketed IPv6 with port", args: []string{"web->[fd00::1]:443"},
			want: Query{Src: "web", Dst: "fd00::1", Port: "443", Protocol: model.TCP}},
		{name: "IP source", args: []string{"10.0.0.1->web:80"},
			want: Query{Src: "10.0.0.1", Dst: "web", Port: "80", Protocol: model.TCP}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseQuery(tc.args...)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseQueryErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no arrow", args: []string{"frontend"}, want: `query "frontend": offset 8: expected "SRC->DST" (or SRC and DST as two arguments)`},
		{name: "no source", args: []string{"->db:80"}, want: `query "->db:80": offset 0: missing source`},
		{name: "no destination", args: []string{"web->"}, want: `query "web->": offset 5: missing destination`},
		{name: "port zero", args: []string{"a->b:0"}, want: `query "a->b:0": offset 5: port 0 out of range 1-65535`},
		{name: "port too big", args: []string{"a->b:65536"}, want: `query "a->b:65536": offset 5: port 65536 out of range 1-65535`},
		{name: "empty port", args: []string{"a->b:"}, want: `query "a->b:": offset 5: missing port after ':'`},
		{name: "bad protocol", args: []string{"a->b:80/tcpx"}, want: `query "a->b:80/tcpx": offset 8: protocol "tcpx": want TCP, UDP, SCTP, ICMP, ICMPv6, UDPLite or a number from 1 to 255`},
		{name: "port on ICMP", args: []string{"a->b:80/ICMP"}, want: `query "a->b:80/ICMP": offset 5: protocol ICMP has no ports`},
		{name: "bad name", args: []string{"Web->b"}, want: `query "Web->b": offset 0: source "Web": want NAME, NAMESPACE/NAME or an IP address`},
		{name: "too many slashes", args: []string{"a->x/y/z"}, want: `query "a->x/y/z": offset 3: destination "x/y/z": want NAME, NAMESPACE/NAME or an IP address`},
		{name: "unclosed bracket", args: []string{"a->[fd00::1"}, want: `query "a->[fd00::1": offset 11: missing ']'`},
		{name: "three arguments", args: []string{"a", "b", "c"}, want: `query "a b c": offset 0: want 1 or 2 arguments, got 3`},
		{name: "bad port name", args: []string{"a->b:my_port"}, want: `query "a->b:my_port": offset 5: port "my_port": want a number from 1 to 65535 or a port name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseQuery(tc.args...)
			require.Error(t, err)
			var qe *QueryError
			require.True(t, errors.As(err, &qe))
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"a->b:80", "ns/a->[fd00::1]:443/UDP", "x->y:/ICMP", "a->b:http", "->", "a->b:99999/tcp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuery(s)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("error %v is not a *QueryError", err)
			}
			if qe.Offset < 0 || qe.Offset > len(s) {
				t.Fatalf("offset %d outside input %q", qe.Offset, s)
			}
			return
		}
		if q.Src == "" || q.Dst == "" {
			t.Fatalf("%q parsed with an empty end: %+v", s, q)
		}
		if q.Port != "" && !q.Protocol.HasPorts() {
			t.Fatalf("%q: port on a protocol without ports", s)
		}
	})
}
