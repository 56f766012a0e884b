package main

import (
	"fmt"
	"strings"

	"github.com/reach-sim/reach/model"
	"github.com/reach-sim/reach/reach"
	"github.com/spf13/cobra"
)

func newWhatifCommand() *cobra.Command {
	var src sourceFlags
	var df diffFlags
	var cf changeFlags
	cmd := &cobra.Command{
		Use:   "whatif -f PATH... [--apply FILE]... [--delete KIND/NS/NAME]... [--label TARGET KEY=VALUE]... [--unlabel TARGET KEY]...",
		Short: "Which flows a change would open and close, before it is made",
		Long: `whatif changes the cluster read with -f (or --cluster) as the flags say, in
the order given, and lists the flows that become allowed (added) and those
that become denied (removed), as diff does. Nothing is changed anywhere: the
changes exist only in reach's model.

  --apply FILE         add or replace every object of FILE (a file or a
                       directory, - for stdin), as kubectl apply would
  --delete OBJECT      delete the object; a namespace takes every object in
                       it along, a workload its pods
  --label OBJECT K=V   set label K to V; on a workload, on its pod template
                       and its pods
  --unlabel OBJECT K   remove label K

OBJECT is KIND/NAMESPACE/NAME, or KIND/NAME for a cluster-scoped kind and for
namespace "default". KIND is a kind, its plural or kubectl's short name:
pod, deploy, sts, ds, job, ns, svc, sa, netpol, gnp, hep, netset, ...
"netpol" names the Kubernetes or the Calico NetworkPolicy of that name,
whichever exists; networkpolicy.networking.k8s.io and
networkpolicy.projectcalico.org say which. OBJECT and its label may also be
one argument: --label 'deploy/shop/web tier=db'.

reach computes the changed matrix from the first one, sweeping again only the
endpoints the change can affect.

` + diffFormatsHelp + `

Exit codes: 0 no flow changed, 1 flows changed (--fail-on added or removed:
only when flows were added, or removed), 2 error (bad input, or a change
that cannot be made, such as deleting an object that does not exist).`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := df.parse(); err != nil {
				return err
			}
			changes, err := cf.changes(cmd, args)
			if err != nil {
				return err
			}
			c, err := src.load()
			if err != nil {
				return err
			}
			before, err := reach.Analyze(c, df.options())
			if err != nil {
				return &exitCode{code: 2, err: err}
			}
			after, err := before.WhatIf(changes...)
			if err != nil {
				return problemsError("changes", err)
			}
			return df.report(cmd.OutOrStdout(), before, after)
		},
	}
	src.register(cmd)
	df.register(cmd)
	fl := cmd.Flags()
	fl.Var(cf.flag(model.ChangeApply), "apply", "add or replace the objects of `FILE` (file or directory, - for stdin); repeatable")
	fl.Var(cf.flag(model.ChangeDelete), "delete", "delete `KIND/NS/NAME`; repeatable")
	fl.Var(cf.flag(model.ChangeSetLabel), "label", "set a label: `TARGET KEY=VALUE`; repeatable")
	fl.Var(cf.flag(model.ChangeRemoveLabel), "unlabel", "remove a label: `TARGET KEY`; repeatable")
	return cmd
}

// changeFlags collects --apply, --delete, --label and --unlabel in the
// order given. --label and --unlabel take two words: the target is the
// flag's value, the label the next argument (or the rest of the value after
// a space).
type changeFlags struct {
	list []changeArg
}

type changeArg struct {
	op    model.ChangeOp
	value string
	label string // KEY=VALUE or KEY, for the label flags
}

func (cf *changeFlags) flag(op model.ChangeOp) *changeFlag { return &changeFlag{cf: cf, op: op} }

// changeFlag is one of the change flags, as a pflag.Value.
type changeFlag struct {
	cf *changeFlags
	op model.ChangeOp
}

func (f *changeFlag) String() string { return "" }
func (f *changeFlag) Type() string   { return "string" }
func (f *changeFlag) Set(v string) error {
	a := changeArg{op: f.op, value: v}
	if f.op == model.ChangeSetLabel || f.op == model.ChangeRemoveLabel {
		if target, label, ok := strings.Cut(strings.TrimSpace(v), " "); ok {
			a.value, a.label = target, strings.TrimSpace(label)
		}
	}
	f.cf.list = append(f.cf.list, a)
	return nil
}

// changes turns the flags into changes, giving each label flag that needs
// one the next of args.
func (cf *changeFlags) changes(cmd *cobra.Command, args []string) ([]model.Change, error) {
	if len(cf.list) == 0 {
		return nil, usageError("no change: give --apply, --delete, --label or --unlabel")
	}
	var out []model.Change
	for _, a := range cf.list {
		switch a.op {
		case model.ChangeApply:
			objs, err := model.ReadFiles(cmd.InOrStdin(), a.value)
			if err != nil {
				return nil, problemsError("manifests of --apply", err)
			}
			out = append(out, model.ApplyObjects(objs))
			continue
		case model.ChangeSetLabel, model.ChangeRemoveLabel:
			if a.label == "" {
				if len(args) == 0 {
					return nil, usageError(fmt.Sprintf("--%s %s: missing the label (%s)", flagName(a.op), a.value, labelWant(a.op)))
				}
				a.label, args = args[0], args[1:]
			}
		}
		ref, err := model.ParseObjectRef(a.value)
		if err != nil {
			return nil, usageError(fmt.Sprintf("--%s: %v", flagName(a.op), err))
		}
		switch a.op {
		case model.ChangeDelete:
			out = append(out, model.DeleteObject(ref))
		case model.ChangeSetLabel:
			key, value, ok := strings.Cut(a.label, "=")
			if !ok {
				return nil, usageError(fmt.Sprintf("--label %s %q: want KEY=VALUE", a.value, a.label))
			}
			out = append(out, model.SetLabel(ref, key, value))
		case model.ChangeRemoveLabel:
			if strings.Contains(a.label, "=") {
				return nil, usageError(fmt.Sprintf("--unlabel %s %q: want KEY", a.value, a.label))
			}
			out = append(out, model.RemoveLabel(ref, a.label))
		}
	}
	if len(args) > 0 {
		return nil, usageError(fmt.Sprintf("unexpected argument %q (--label and --unlabel take TARGET and one more argument)", args[0]))
	}
	return out, nil
}

func flagName(op model.ChangeOp) string {
	if op == model.ChangeSetLabel {
		return "label"
	}
	return "unlabel"
}

func labelWant(op model.ChangeOp) string {
	if op == model.ChangeSetLabel {
		return "KEY=VALUE"
	}
	return "KEY"
}
