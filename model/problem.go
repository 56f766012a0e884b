package model

import (
	"errors"
	"strings"
)

// Problem is one thing wrong with the input, with where it is.
type Problem struct {
	// Pos is the object, with Line set to the line of Field when known.
	Pos Position
	// Field is the path of the offending field, e.g.
	// "spec.ingress[0].ports[1].endPort"; empty for the whole object.
	Field string
	Msg   string
}

// Error renders FILE:LINE (doc N, Kind ns/name): FIELD: MESSAGE.
func (p *Problem) Error() string {
	var b strings.Builder
	if pos := p.Pos.String(); pos != "" {
		b.WriteString(pos)
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in one load, in input order. It is the
// error type the loaders and Build return.
type Problems []*Problem

// Error renders one problem a line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each *Problem.
func (ps Problems) Unwrap() []error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errs
}

// AsProblems returns the problems inside err: all of them for a Problems,
// one for a *Problem, nil otherwise.
func AsProblems(err error) Problems {
	var ps Problems
	if errors.As(err, &ps) {
		return ps
	}
	var p *Problem
	if errors.As(err, &p) {
		return Problems{p}
	}
	return nil
}

// errs collects problems.
type errs struct{ list Problems }

func (e *errs) add(pos Position, field, msg string) {
	e.list = append(e.list, &Problem{Pos: pos, Field: field, Msg: msg})
}

func (e *errs) err() error {
	if len(e.list) == 0 {
		return nil
	}
	return e.list
}
