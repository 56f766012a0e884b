package model

import (
	"fmt"
	"io"
	"maps"
	"slices"
)

// This file derives a cluster from another: the objects a Cluster was
// built from, Derive, and the reading of the manifests a change applies.

// Objects returns the objects c was built from, ready to be changed and
// built again: every object Build completes (pods, workloads, namespaces,
// host endpoints, network sets, tiers) is a copy without what Build added
// (synthesized addresses, workloads inferred from labels), and the others
// (services, service accounts, profiles, policies) are shared with c. Label
// maps and other reference fields are shared too: replace them, never
// modify them in place (With does so). Objects is empty for a Cluster that
// Build did not make.
func (c *Cluster) Objects() Objects {
	s := c.src
	o := Objects{
		Services:        slices.Clone(s.Services),
		ServiceAccounts: slices.Clone(s.ServiceAccounts),
		Profiles:        slices.Clone(s.Profiles),
		Policies:        slices.Clone(s.Policies),
		Skipped:         maps.Clone(s.Skipped),
		Notes:           slices.Clone(s.Notes),
	}
	for _, n := range s.Namespaces {
		cp := *n
		o.Namespaces = append(o.Namespaces, &cp)
	}
	o.Pods = make([]*Pod, len(s.Pods))
	for i, p := range s.Pods {
		o.Pods[i] = unbuiltPod(p)
	}
	for _, w := range s.Workloads {
		cp := *w
		if w.Pod != nil {
			cp.Pod = unbuiltPod(w.Pod)
		}
		o.Workloads = append(o.Workloads, &cp)
	}
	for _, h := range s.HostEndpoints {
		cp := *h
		cp.labels = nil
		o.HostEndpoints = append(o.HostEndpoints, &cp)
	}
	for _, n := range s.NetworkSets {
		cp := *n
		cp.labels = nil
		o.NetworkSets = append(o.NetworkSets, &cp)
	}
	for _, t := range s.Tiers {
		cp := *t
		cp.Policies = nil
		o.Tiers = append(o.Tiers, &cp)
	}
	return o
}

// unbuiltPod returns a copy of p without what Build added to it.
func unbuiltPod(p *Pod) *Pod {
	cp := *p
	cp.labels = nil
	if cp.IPSynthesized {
		cp.IPs, cp.IPSynthesized = nil, false
	}
	if cp.workloadInferred {
		cp.Workload, cp.workloadInferred = nil, false
	}
	return &cp
}

// Derive returns the cluster that c would be after changes, built with c's
// pod CIDR; c does not change. Changes that only add, replace or delete
// policies reuse everything else of c (the result shares c's pods,
// namespaces and other objects, and only its tiers are new); any other
// change builds the changed objects again, which costs about as much as
// the first Build. Either way the result is the Cluster that Build would
// make from c.Objects().With(changes...).
func (c *Cluster) Derive(changes ...Change) (*Cluster, error) {
	if policiesOnly(changes) {
		if c2, err := c.derivePolicies(changes); c2 != nil || err != nil {
			return c2, err
		}
	}
	o, err := c.Objects().With(changes...)
	if err != nil {
		return nil, err
	}
	return Build(o, Options{PodCIDR: c.PodCIDR})
}

// policiesOnly reports whether every change adds, replaces or deletes
// policies and nothing else.
func policiesOnly(changes []Change) bool {
	for _, ch := range changes {
		switch ch.Op {
		case ChangeApply:
			p := ch.Objects
			if p.count() != len(p.Policies) {
				return false
			}
		case ChangeDelete:
			if policyKindsOf(ch.Target.Kind) == nil {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// derivePolicies is Derive for changes to policies alone: it takes c's
// sorted tiers, removes the policies that went and inserts the new ones in
// order, and shares everything else with c. It returns nil and no error
// when a policy names a namespace that is not defined (Build would imply
// it, or stop implying it): Derive builds everything then.
func (c *Cluster) derivePolicies(changes []Change) (*Cluster, error) {
	// Only the policies and notes change: share the other slices. The
	// editor keeps identities unique, as Build requires.
	ed := &editor{o: c.src}
	ed.o.Policies, ed.o.Notes = slices.Clone(c.src.Policies), slices.Clone(c.src.Notes)
	for i, ch := range changes {
		if err := ed.apply(ch); err != nil {
			return nil, fmt.Errorf("change %d (%s): %w", i+1, ch, err)
		}
	}
	o := ed.o
	defined := map[string]bool{"": true}
	for _, n := range c.src.Namespaces {
		defined[n.Name] = true
	}
	added := make(map[*Policy]bool, len(o.Policies)) // the new policies
	for _, p := range o.Policies {
		added[p] = true
	}
	gone := map[*Policy]bool{}
	for _, p := range c.src.Policies {
		if !added[p] {
			if !defined[p.Namespace] {
				return nil, nil
			}
			gone[p] = true
		}
		delete(added, p)
	}
	tiers := make([]*Tier, len(c.Tiers))
	byName := map[string]*Tier{}
	for i, t := range c.Tiers {
		cp := *t
		if len(gone) > 0 || len(added) > 0 {
			cp.Policies = slices.DeleteFunc(slices.Clone(t.Policies), func(p *Policy) bool { return gone[p] })
		}
		tiers[i], byName[t.Name] = &cp, &cp
	}
	var errs errs
	for _, p := range o.Policies { // in input order, as Build sorts them
		if !added[p] {
			continue
		}
		if !defined[p.Namespace] {
			return nil, nil
		}
		t := byName[p.Tier]
		if t == nil {
			errs.add(p.Source, "spec.tier", fmt.Sprintf("tier %q does not exist (define it with a projectcalico.org/v3 Tier)", p.Tier))
			continue
		}
		// After every policy that sorts before or with it, as a stable
		// sort of the input would place it.
		i, _ := slices.BinarySearchFunc(t.Policies, p, func(x, y *Policy) int {
			if c := comparePolicies(x, y); c != 0 {
				return c
			}
			return -1
		})
		t.Policies = slices.Insert(t.Policies, i, p)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	c2 := *c
	c2.Tiers = tiers
	c2.src = o
	c2.Notes = append(slices.Clone(o.Notes), c.Notes[len(c.src.Notes):]...)
	return &c2, nil
}

// ReadFiles reads the objects in the files and directories at paths as Load
// does ("-" is stdin, or os.Stdin when stdin is nil), without building a
// Cluster: the objects of a ChangeApply. Every problem is reported at once,
// as a Problems.
func ReadFiles(stdin io.Reader, paths ...string) (Objects, error) {
	src := osSource()
	if stdin != nil {
		src.stdin = stdin
	}
	var rd objReader
	if len(paths) == 0 {
		rd.errs.add(Position{}, "", "no input: give at least one file or directory")
	}
	for _, name := range src.files(paths, &rd.errs) {
		data, err := src.readFile(name)
		if name == "-" && src.stdin != nil {
			name = StdinName
		}
		if err != nil {
			rd.errs.add(Position{File: name}, "", pathErrorMsg(err))
			continue
		}
		rd.file(name, data)
	}
	if err := rd.errs.err(); err != nil {
		return Objects{}, err
	}
	return rd.objs, nil
}
