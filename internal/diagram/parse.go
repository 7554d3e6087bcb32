package diagram

import (
	"fmt"
	"strings"
)

// Drawing is a DOT file of this package read back: its clusters, nodes,
// rank=same groups and edges, enough to test what a picture says (which
// edges it draws, which band a node is in, the order of its columns)
// without rendering it. Parse reads only the lines this package writes.
type Drawing struct {
	Nodes   []string
	Cluster map[string]string // node -> label of the cluster it is in
	Same    [][]string        // rank=same groups
	Edges   []Edge
}

// Edge is one edge of a Drawing, with its attributes.
type Edge struct {
	From, To string
	Attrs    map[string]string
}

// Parse reads a DOT file written by this package.
func Parse(dot string) (*Drawing, error) {
	d := &Drawing{Cluster: map[string]string{}}
	seen := map[string]bool{}
	cluster, inCluster := "", false
	for n, line := range strings.Split(strings.TrimRight(dot, "\n"), "\n") {
		where := fmt.Sprintf("line %d: %q", n+1, line)
		s := strings.TrimSpace(line)
		if i := strings.Index(s, " // "); i >= 0 && strings.HasPrefix(s, "{") {
			s = s[:i]
		}
		switch {
		case s == "" || strings.HasPrefix(s, "//") || s == "digraph lake {" ||
			strings.HasPrefix(s, "graph [") || strings.HasPrefix(s, "node [") || strings.HasPrefix(s, "edge ["):
		case strings.HasPrefix(s, "subgraph cluster_") && strings.HasSuffix(s, "{"):
			cluster, inCluster = "", true
		case inCluster && strings.HasPrefix(s, "label="):
			attrs, err := parseAttrs(strings.TrimSuffix(s, ";"))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			cluster = attrs["label"]
		case s == "}":
			if !inCluster {
				continue // the end of the graph
			}
			inCluster = false
		case strings.HasPrefix(s, "{ rank=same;") && strings.HasSuffix(s, "}"):
			var group []string
			for _, id := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(s, "{ rank=same;"), "}"), ";") {
				if id = strings.TrimSpace(id); id != "" {
					group = append(group, id)
				}
			}
			d.Same = append(d.Same, group)
		case strings.Contains(s, " -> "):
			chain, attrs, err := splitStatement(s)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			ids := strings.Split(chain, " -> ")
			for i := 1; i < len(ids); i++ {
				d.Edges = append(d.Edges, Edge{From: strings.TrimSpace(ids[i-1]), To: strings.TrimSpace(ids[i]), Attrs: attrs})
			}
		default:
			id, attrs, err := splitStatement(s)
			if err != nil || strings.ContainsAny(id, " {}") || len(attrs) == 0 {
				return nil, fmt.Errorf("%s: not a line this package writes", where)
			}
			if seen[id] {
				return nil, fmt.Errorf("%s: node %s declared twice", where, id)
			}
			seen[id] = true
			d.Nodes = append(d.Nodes, id)
			if inCluster {
				d.Cluster[id] = cluster
			}
		}
	}
	for _, e := range d.Edges {
		for _, id := range []string{e.From, e.To} {
			if !seen[id] {
				return nil, fmt.Errorf("edge %s -> %s: node %s is not declared", e.From, e.To, id)
			}
		}
	}
	for _, g := range d.Same {
		for _, id := range g {
			if !seen[id] {
				return nil, fmt.Errorf("rank=same group %v: node %s is not declared", g, id)
			}
		}
	}
	return d, nil
}

// splitStatement splits `x [a=b, c="d"];` into x and its attributes.
func splitStatement(s string) (string, map[string]string, error) {
	s = strings.TrimSuffix(s, ";")
	i := strings.Index(s, " [")
	if i < 0 {
		return s, map[string]string{}, nil
	}
	if !strings.HasSuffix(s, "]") {
		return "", nil, fmt.Errorf("unterminated attribute list")
	}
	attrs, err := parseAttrs(s[i+2 : len(s)-1])
	return s[:i], attrs, err
}

// parseAttrs reads `a=b, c="d, e", f=<x<BR/>y>` (or with semicolons).
func parseAttrs(s string) (map[string]string, error) {
	attrs := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimLeft(s, ",; ") {
		eq := strings.Index(s, "=")
		if eq < 0 {
			return nil, fmt.Errorf("attribute without a value in %q", s)
		}
		key, rest := strings.TrimSpace(s[:eq]), s[eq+1:]
		var val string
		switch {
		case strings.HasPrefix(rest, `"`):
			end := 1
			for end < len(rest) && (rest[end] != '"' || rest[end-1] == '\\') {
				end++
			}
			if end == len(rest) {
				return nil, fmt.Errorf("unterminated string in %q", s)
			}
			val, rest = strings.ReplaceAll(rest[1:end], `\"`, `"`), rest[end+1:]
		case strings.HasPrefix(rest, "<"):
			depth, end := 0, 0
			for end = 0; end < len(rest); end++ {
				if rest[end] == '<' {
					depth++
				} else if rest[end] == '>' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if end == len(rest) {
				return nil, fmt.Errorf("unterminated HTML label in %q", s)
			}
			val, rest = rest[1:end], rest[end+1:]
		default:
			end := strings.IndexAny(rest, ",; ")
			if end < 0 {
				end = len(rest)
			}
			val, rest = rest[:end], rest[end:]
		}
		attrs[key] = val
		s = rest
	}
	return attrs, nil
}

// Node finds a node by its ID, or by a resource's logical ID without its
// stack ("RawBucket" finds Storage_RawBucket wherever the bucket's stack
// is); "" when there is no such node or more than one.
func (d *Drawing) Node(name string) string {
	found := ""
	for _, id := range d.Nodes {
		if id == name {
			return id
		}
		if strings.HasSuffix(id, "_"+name) {
			if found != "" {
				return ""
			}
			found = id
		}
	}
	return found
}

// Has says whether the drawing shows an edge from -> to (by ID or name):
// a visible edge either way round with two heads, or this way round.
func (d *Drawing) Has(from, to string) bool {
	from, to = d.Node(from), d.Node(to)
	if from == "" || to == "" {
		return false
	}
	for _, e := range d.Edges {
		if e.Attrs["style"] == "invis" {
			continue
		}
		if e.From == from && e.To == to || e.Attrs["dir"] == "both" && e.From == to && e.To == from {
			return true
		}
	}
	return false
}

// Ranks are the ranks Graphviz's dot gives the nodes: rank=same groups
// share one, and every edge that constrains (all but constraint=false)
// puts its head at least one rank after its tail; each group takes the
// lowest rank that allows.
func (d *Drawing) Ranks() (map[string]int, error) {
	parent := map[string]string{}
	var root func(string) string
	root = func(id string) string {
		if p, ok := parent[id]; ok && p != id {
			parent[id] = root(p)
			return parent[id]
		}
		return id
	}
	for _, g := range d.Same {
		for _, id := range g[1:] {
			if a, b := root(g[0]), root(id); a != b {
				parent[b] = a
			}
		}
	}
	group := map[string]string{} // node -> its rank's representative
	for _, id := range d.Nodes {
		group[id] = root(id)
	}
	after := map[string][]string{}
	indegree := map[string]int{}
	for _, e := range d.Edges {
		if e.Attrs["constraint"] == "false" {
			continue
		}
		from, to := group[e.From], group[e.To]
		if from == to {
			continue // within a rank
		}
		after[from] = append(after[from], to)
		indegree[to]++
	}
	rank := map[string]int{}
	var queue []string
	for _, id := range d.Nodes {
		if group[id] == id && indegree[id] == 0 {
			queue = append(queue, id)
		}
	}
	done := 0
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		done++
		for _, next := range after[g] {
			rank[next] = max(rank[next], rank[g]+1)
			if indegree[next]--; indegree[next] == 0 {
				queue = append(queue, next)
			}
		}
	}
	groups := 0
	for _, id := range d.Nodes {
		if group[id] == id {
			groups++
		}
	}
	if done != groups {
		return nil, fmt.Errorf("the constraining edges make a cycle")
	}
	out := map[string]int{}
	for _, id := range d.Nodes {
		out[id] = rank[group[id]]
	}
	return out, nil
}
