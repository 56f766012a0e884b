package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
	"github.com/spf13/cobra"
)

func newExplainCommand() *cobra.Command {
	var src sourceFlags
	var output string
	cmd := &cobra.Command{
		Use:   "explain POD",
		Short: "Which policies select a pod, and what their rules say",
		Long: `explain shows what governs a pod's traffic: for ingress and egress, the
tiers whose policies select it, in evaluation order, each policy with its
rules in plain words (staged and host-only policies shown and marked), the
tier's default action, and what happens to a packet no rule decides (the end
of a tier, or the namespace profile, which allows).

POD is a pod, workload or service name (looked up in every namespace),
NAMESPACE/NAME, or a pod's IP address; a workload or service stands for its
pods, each explained in turn.

-o json writes
  {"pods": [{"pod": "ns/name", "workload": "Deployment ns/name",
             "labels": {...}, "hostNetwork": false,
             "ingress": DIRECTION, "egress": DIRECTION}],
   "notes": ["..."]}
where DIRECTION is
  {"tiers": [{"tier": "default", "order": 1000000, "defaultAction": "Deny",
              "applies": true,
              "policies": [{"policy": "KubernetesNetworkPolicy ns/name",
                            "order": 1000, "source": "FILE:LINE",
                            "enforced": true, "status": "...",
                            "appliesTo": "pods where ...",
                            "notes": ["..."],
                            "rules": [{"index": 0, "action": "Allow",
                                       "origin": "spec.ingress[0]",
                                       "text": "Allow TCP to port ..."}]}]}],
   "otherwise": {"allowed": false, "tier": "default", "profile": "kns.ns",
                 "passed": ["..."], "text": "denied at the end of tier ..."}}
Fields that are empty are left out; "order" is absent for no order.

Exit codes: 0 success, 2 error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			c, err := src.load()
			if err != nil {
				return err
			}
			pods, err := explainPods(c, args[0])
			if err != nil {
				return &exitCode{code: 2, err: err}
			}
			ds := make([]reach.Description, len(pods))
			for i, p := range pods {
				ds[i] = reach.Describe(c, p)
			}
			return writeDescriptions(cmd.OutOrStdout(), output, ds, c.Notes)
		},
	}
	src.register(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// explainPods resolves name to the pods it stands for. NAMESPACE/NAME of a
// pod is that pod, even when a service or workload has the same name.
func explainPods(c *model.Cluster, name string) ([]*model.Pod, error) {
	for _, p := range c.Pods {
		if p.ID() == name {
			return []*model.Pod{p}, nil
		}
	}
	t, err := reach.Resolve(c, name, reach.SourceEnd)
	if err != nil {
		return nil, err
	}
	switch t.Kind {
	case reach.TargetHost:
		return nil, fmt.Errorf("%q is host endpoint %s: explain describes pods", name, t.Host.Name)
	case reach.TargetAddress:
		return nil, fmt.Errorf("%q: no pod has that address", name)
	}
	if len(t.Pods) == 0 {
		return nil, fmt.Errorf("%s has no pods", t.Name)
	}
	return t.Pods, nil
}

func writeDescriptions(w io.Writer, format string, ds []reach.Description, notes []string) error {
	if format == "json" {
		doc := explainDoc{Notes: notes}
		for _, d := range ds {
			doc.Pods = append(doc.Pods, describeJSON(d))
		}
		return writeJSON(w, doc)
	}
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(d.String() + "\n")
	}
	for _, n := range notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// The JSON form of explain is part of reach's interface: keep it stable.

type explainDoc struct {
	Pods  []podDescriptionDoc `json:"pods"`
	Notes []string            `json:"notes,omitempty"`
}

type podDescriptionDoc struct {
	Pod         string            `json:"pod"`
	Workload    string            `json:"workload,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	HostNetwork bool              `json:"hostNetwork,omitempty"`
	Ingress     directionDoc      `json:"ingress"`
	Egress      directionDoc      `json:"egress"`
}

type directionDoc struct {
	Tiers     []tierDoc   `json:"tiers,omitempty"`
	Otherwise fallbackDoc `json:"otherwise"`
}

type tierDoc struct {
	Tier          string      `json:"tier"`
	Order         *float64    `json:"order,omitempty"`
	DefaultAction string      `json:"defaultAction"`
	Applies       bool        `json:"applies"`
	Policies      []policyDoc `json:"policies"`
}

type policyDoc struct {
	Policy    string    `json:"policy"`
	Order     *float64  `json:"order,omitempty"`
	Source    string    `json:"source,omitempty"`
	Enforced  bool      `json:"enforced"`
	Status    string    `json:"status,omitempty"`
	AppliesTo string    `json:"appliesTo"`
	Notes     []string  `json:"notes,omitempty"`
	Rules     []ruleDoc `json:"rules,omitempty"`
}

type ruleDoc struct {
	Index  int    `json:"index"`
	Action string `json:"action"`
	Origin string `json:"origin,omitempty"`
	Text   string `json:"text"`
}

type fallbackDoc struct {
	Allowed bool     `json:"allowed"`
	Tier    string   `json:"tier,omitempty"`
	Profile string   `json:"profile,omitempty"`
	Passed  []string `json:"passed,omitempty"`
	Text    string   `json:"text"`
}

func describeJSON(d reach.Description) podDescriptionDoc {
	doc := podDescriptionDoc{
		Pod:         d.Pod.ID(),
		Labels:      d.Pod.Labels,
		HostNetwork: d.Pod.HostNetwork,
		Ingress:     directionJSON(d.Ingress),
		Egress:      directionJSON(d.Egress),
	}
	if w := d.Pod.Workload; w != nil {
		doc.Workload = w.Kind + " " + d.Pod.Namespace + "/" + w.Name
	}
	return doc
}

func directionJSON(dd reach.DirectionDescription) directionDoc {
	doc := directionDoc{Otherwise: fallbackDoc{
		Allowed: dd.Otherwise.Allowed,
		Profile: dd.Otherwise.Profile,
		Passed:  dd.Otherwise.Passed,
		Text:    dd.Otherwise.String(),
	}}
	if t := dd.Otherwise.Tier; t != nil {
		doc.Otherwise.Tier = t.Name
	}
	for _, td := range dd.Tiers {
		t := tierDoc{Tier: td.Tier.Name, Order: td.Tier.Order, DefaultAction: td.Tier.DefaultAction.String(), Applies: td.Applies}
		for _, pd := range td.Policies {
			t.Policies = append(t.Policies, policyJSON(pd))
		}
		doc.Tiers = append(doc.Tiers, t)
	}
	return doc
}

func policyJSON(pd reach.PolicyDescription) policyDoc {
	pol := pd.Policy
	doc := policyDoc{
		Policy:    pol.ID(),
		Order:     pol.Order,
		Enforced:  pd.Enforced,
		Status:    pd.Status(),
		AppliesTo: pd.AppliesTo,
		Notes:     pol.Notes,
	}
	if pol.Source.File != "" {
		doc.Source = fmt.Sprintf("%s:%d", pol.Source.File, pol.Source.Line)
	}
	for i, r := range pd.Rules {
		doc.Rules = append(doc.Rules, ruleDoc{Index: i, Action: r.Rule.Action.String(), Origin: r.Rule.Origin, Text: r.Text})
	}
	return doc
}
