package reach

import (
	"errors"

	"github.com/reach-sim/reach/model"
)

// WhatIf returns the analysis of the analysed cluster after changes
// (model.Cluster.Derive), computed from this one by Update. Compare the two
// for the flows the changes open and close:
//
//	after, err := a.WhatIf(model.SetLabel(ref, "tier", "db"))
//	diff, err := reach.Compare(a, after, reach.DiffOptions{Explain: true})
func (a *Analysis) WhatIf(changes ...model.Change) (*Analysis, error) {
	c, err := a.c.Derive(changes...)
	if err != nil {
		return nil, err
	}
	return a.Update(c)
}

// Staged returns the analysis of the pending matrix of the analysed
// cluster, the one Calico's staged policies describe (MatrixOptions.Pending),
// computed from this analysis of its enforced matrix by Update: Compare(a,
// staged) lists what enforcing the staged policies would open and close.
// As in the pending verdict (semantics §3.2), staged Delete policies take no
// part.
func (a *Analysis) Staged() (*Analysis, error) {
	if a.opt.Pending {
		return nil, errors.New("staged: the analysis is of the pending matrix already")
	}
	opt := a.opt
	opt.Pending = true
	return a.update(a.c, opt)
}
