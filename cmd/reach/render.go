package main

import (
	"encoding/json"
	"io"

	"github.com/reach-sim/reach/reach"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// The JSON forms below are part of reach's interface: keep them stable.

type answerDoc struct {
	Query    string        `json:"query"`
	Src      string        `json:"src"`
	Dst      string        `json:"dst"`
	Allowed  bool          `json:"allowed"`
	Verdicts []verdictDoc  `json:"verdicts,omitempty"`
	Open     []openPortDoc `json:"open,omitempty"`
	Notes    []string      `json:"notes,omitempty"`
}

type verdictDoc struct {
	Src         string      `json:"src"`
	Dst         string      `json:"dst"`
	Protocol    string      `json:"protocol"`
	Port        uint16      `json:"port,omitempty"`
	Allowed     bool        `json:"allowed"`
	Self        bool        `json:"self,omitempty"`
	Egress      sideDoc     `json:"egress"`
	Ingress     sideDoc     `json:"ingress"`
	Logged      []string    `json:"logged,omitempty"`
	Assumptions []string    `json:"assumptions,omitempty"`
	Pending     *verdictDoc `json:"pending,omitempty"`
}

type sideDoc struct {
	Endpoint    string   `json:"endpoint,omitempty"`
	Allowed     bool     `json:"allowed"`
	Reason      string   `json:"reason"`
	Tier        string   `json:"tier,omitempty"`
	Policy      string   `json:"policy,omitempty"`
	Rule        *int     `json:"rule,omitempty"`
	RuleOrigin  string   `json:"ruleOrigin,omitempty"`
	Passed      []string `json:"passed,omitempty"`
	Explanation string   `json:"explanation"`
}

type openPortDoc struct {
	Src   string              `json:"src"`
	Dst   string              `json:"dst"`
	Self  bool                `json:"self,omitempty"`
	Ports map[string][]string `json:"ports"`
}

func answerJSON(a reach.Answer) answerDoc {
	d := answerDoc{
		Query:   a.Query.Src + "->" + a.Query.Dst,
		Src:     a.Src.Name,
		Dst:     a.Dst.Name,
		Allowed: a.Allowed(),
		Notes:   a.Notes,
	}
	if a.Query.Port != "" {
		d.Query += ":" + a.Query.Port
	}
	if a.Query.ProtocolGiven {
		d.Query += "/" + a.Query.Protocol.String()
	}
	for _, v := range a.Verdicts {
		d.Verdicts = append(d.Verdicts, verdictJSON(v))
	}
	for _, o := range a.Open {
		d.Open = append(d.Open, openPortDoc{Src: o.Src.String(), Dst: o.Dst.String(), Self: o.Self, Ports: portSetJSON(o.Ports)})
	}
	return d
}

func portSetJSON(s reach.PortSet) map[string][]string {
	out := map[string][]string{}
	for _, p := range s.Protocols() {
		ranges := s[p]
		if !p.HasPorts() {
			out[p.String()] = []string{} // the protocol, which has no ports
			continue
		}
		strs := make([]string, len(ranges))
		for i, r := range ranges {
			strs[i] = r.String()
		}
		out[p.String()] = strs
	}
	return out
}

func verdictJSON(v reach.Verdict) verdictDoc {
	d := verdictDoc{
		Src:         v.Flow.Src.String(),
		Dst:         v.Flow.Dst.String(),
		Protocol:    v.Flow.Protocol.String(),
		Allowed:     v.Allowed,
		Self:        v.Self,
		Egress:      sideJSON(v.Egress),
		Ingress:     sideJSON(v.Ingress),
		Assumptions: v.Assumptions,
	}
	if v.Flow.Protocol.HasPorts() {
		d.Port = v.Flow.Port
	}
	for _, s := range []reach.Side{v.Egress, v.Ingress} {
		for _, r := range s.Logged {
			d.Logged = append(d.Logged, r.String())
		}
	}
	if v.Pending != nil {
		p := verdictJSON(*v.Pending)
		d.Pending = &p
	}
	return d
}

func sideJSON(s reach.Side) sideDoc {
	d := sideDoc{
		Endpoint:    s.Endpoint,
		Allowed:     s.Allowed,
		Reason:      s.Reason.String(),
		Passed:      s.Passed,
		Explanation: s.String(),
	}
	if s.Tier != nil {
		d.Tier = s.Tier.Name
	}
	if s.Policy != nil {
		d.Policy = s.Policy.ID()
	}
	if s.Rule != nil {
		i := s.Rule.Index
		d.Rule = &i
		d.RuleOrigin = s.Rule.Origin
	}
	return d
}
