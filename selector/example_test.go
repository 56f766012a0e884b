package selector_test

import (
	"errors"
	"fmt"

	"github.com/reach-sim/reach/selector"
)

func ExampleParse() {
	sel, err := selector.Parse(`app == 'web' && tier in {'backend', 'frontend'}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sel)

	_, err = selector.Parse(`app == 'web' &&`)
	fmt.Println(err)
	var perr *selector.Error
	if errors.As(err, &perr) {
		fmt.Println(perr.Offset, perr.Msg)
	}
	// Output:
	// (app == "web" && tier in {"backend", "frontend"})
	// selector "app == 'web' &&": offset 15: expected label, found end of input
	// 15 expected label, found end of input
}

func ExampleSelector_Matches() {
	sel := selector.MustParse(`app == 'web' && version != 'v1'`)
	fmt.Println(sel.Matches(selector.Set{"app": "web", "version": "v2"}))
	fmt.Println(sel.Matches(selector.Set{"app": "web"})) // != is true when the label is absent
	fmt.Println(sel.Matches(selector.Set{"app": "web", "version": "v1"}))
	// Output:
	// true
	// true
	// false
}

func ExampleSelector_String() {
	for _, s := range []string{
		``,
		`a startswith '"'`,
		`! (has( b)||! has(a ))`,
		`a == 'b' || c == 'd' && e == 'f'`,
		`!!has(a) && x notin {'z', 'y', 'z'}`,
	} {
		fmt.Println(selector.MustParse(s))
	}
	// Output:
	// all()
	// a starts with '"'
	// !(has(b) || !has(a))
	// (a == "b" || (c == "d" && e == "f"))
	// (has(a) && x not in {"y", "z"})
}

func ExampleAnd() {
	sel := selector.And(
		selector.Eq("projectcalico.org/orchestrator", "k8s"),
		selector.In("app", "web", "api"),
		selector.Not(selector.Has("canary")),
	)
	fmt.Println(sel)
	fmt.Println(sel.Matches(selector.Set{"projectcalico.org/orchestrator": "k8s", "app": "api"}))
	fmt.Println(selector.And())
	fmt.Println(selector.Or())
	// Output:
	// (projectcalico.org/orchestrator == "k8s" && app in {"api", "web"} && !has(canary))
	// true
	// all()
	// !all()
}

func ExampleSelector_PrefixLabels() {
	// A rule's namespaceSelector, scoped the way Calico does it.
	ns := selector.Has("projectcalico.org/namespace")
	for _, s := range []string{`team == 'y'`, `all()`, `global()`} {
		sel := selector.MustParse(s).
			PrefixLabels("pcns.").
			ReplaceAll(ns).
			ReplaceGlobal(selector.Not(ns))
		fmt.Println(sel)
	}
	// Output:
	// pcns.team == "y"
	// has(projectcalico.org/namespace)
	// !has(projectcalico.org/namespace)
}
