package model

// converter reads one document of a known kind into out. It reports every
// problem through d.problem and adds nothing for a document it cannot use.
type converter func(d *document, out *Objects)

// kindKey is how converters are looked up: "apiVersion Kind", e.g.
// "networking.k8s.io/v1 NetworkPolicy".
func kindKey(apiVersion, kind string) string { return apiVersion + " " + kind }

// converterFor returns the converter of a document's apiVersion and kind.
func converterFor(apiVersion, kind string) (converter, bool) {
	key := kindKey(apiVersion, kind)
	if c, ok := coreKinds[key]; ok {
		return c, true
	}
	c, ok := policyKinds[key]
	return c, ok
}
