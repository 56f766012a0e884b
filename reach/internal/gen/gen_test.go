package gen

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reach-sim/reach/model"
)

// dump prints what a cluster is made of, selectors in canonical form.
func dump(c *model.Cluster) string {
	s := ""
	for _, p := range c.Pods {
		s += fmt.Sprintf("%s %v %v %v %v %s\n", p.ID(), p.IPs, p.Labels, p.NamedPorts, p.HostNetwork, p.Phase)
	}
	for _, t := range c.Tiers {
		for _, p := range t.Policies {
			s += fmt.Sprintf("%s %s %s %v %v %d %d\n", t.Name, p.ID(), p.Selector, p.Ingress, p.Egress, len(p.IngressRules), len(p.EgressRules))
		}
	}
	return s
}

func TestClusters(t *testing.T) {
	for name, cfg := range map[string]Config{"small": Small(), "medium": Medium(), "scale": Scale(1000, 200)} {
		t.Run(name, func(t *testing.T) {
			a, err := Cluster(7, cfg)
			require.NoError(t, err)
			b, err := Cluster(7, cfg)
			require.NoError(t, err)
			assert.Equal(t, dump(a), dump(b), "same seed, same cluster")
			c, err := Cluster(8, cfg)
			require.NoError(t, err)
			assert.NotEqual(t, dump(a), dump(c), "another seed, another cluster")
			policies := 0
			for _, t := range a.Tiers {
				policies += len(t.Policies)
			}
			assert.Equal(t, cfg.KubernetesPolicies+cfg.CalicoPolicies, policies)
		})
	}
}

func TestScaleSize(t *testing.T) {
	c, err := Cluster(1, Scale(1000, 200))
	require.NoError(t, err)
	assert.InDelta(t, 1000, len(c.Pods), 150)
}
