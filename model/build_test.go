package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBuildLinksEveryListedPodToItsWorkload checks that pods listed without
// an owner but with a workload's template labels all become that workload's
// pods, and that the workload then adds no representative pod.
func TestBuildLinksEveryListedPodToItsWorkload(t *testing.T) {
	labels := map[string]string{"app": "web"}
	c, err := Build(Objects{
		Pods: []*Pod{
			{Namespace: "shop", Name: "web-1", Labels: map[string]string{"app": "web", "pod": "1"}},
			{Namespace: "shop", Name: "web-2", Labels: map[string]string{"app": "web", "pod": "2"}},
			{Namespace: "other", Name: "web-3", Labels: map[string]string{"app": "web"}},
		},
		Workloads: []*Workload{{Kind: "Deployment", Namespace: "shop", Name: "web",
			Pod: &Pod{Namespace: "shop", Name: "web-abcde", Labels: labels, Workload: &WorkloadRef{Kind: "Deployment", Name: "web"}}}},
	}, Options{})
	require.NoError(t, err)
	var names []string
	for _, p := range c.Pods {
		names = append(names, p.ID())
		if p.Namespace == "shop" {
			require.NotNil(t, p.Workload, p.ID())
			assert.Equal(t, WorkloadRef{Kind: "Deployment", Name: "web"}, *p.Workload, p.ID())
		} else {
			assert.Nil(t, p.Workload, "a pod of another namespace is not the workload's")
		}
	}
	assert.Equal(t, []string{"other/web-3", "shop/web-1", "shop/web-2"}, names)
}
