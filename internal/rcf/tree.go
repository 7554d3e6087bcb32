package rcf

import (
	"math"
	"math/rand/v2"
)

// tree is one random cut tree over a tree's sample. Nodes live in slices
// indexed by int32 (no pointers for the garbage collector to chase); a leaf
// refers to a point of the forest's store. Internal nodes keep the bounding
// box of the points below them, which both inserting and scoring need.
type tree struct {
	dims int
	root int32
	// For node i: parent, children (left holds points with x[dim] <= cut),
	// cut dimension and value; leaves have left == -1 and point >= 0.
	parent, left, right []int32
	cutDim              []int16
	cut                 []float64
	point               []int32 // leaf: index into the point store
	mass                []int32
	// box holds min then max of each internal node: 2*dims values;
	// rangeSum the sum of its ranges, which scoring reads at every node.
	box      []float64
	rangeSum []float64
	free     []int32
	src      *rand.PCG // the state a checkpoint keeps
	rng      *rand.Rand
}

func newTree(dims, capacity int, src *rand.PCG) *tree {
	n := min(2*capacity, 64) // grows with the sample: a checkpoint's config alone allocates little
	return &tree{
		dims: dims, root: -1, src: src, rng: rand.New(src),
		parent: make([]int32, 0, n), left: make([]int32, 0, n), right: make([]int32, 0, n),
		cutDim: make([]int16, 0, n), cut: make([]float64, 0, n), point: make([]int32, 0, n),
		mass: make([]int32, 0, n), box: make([]float64, 0, n*2*dims), rangeSum: make([]float64, 0, n),
	}
}

func (t *tree) alloc() int32 {
	if k := len(t.free); k > 0 {
		i := t.free[k-1]
		t.free = t.free[:k-1]
		return i
	}
	t.parent = append(t.parent, -1)
	t.left = append(t.left, -1)
	t.right = append(t.right, -1)
	t.cutDim = append(t.cutDim, 0)
	t.cut = append(t.cut, 0)
	t.point = append(t.point, -1)
	t.mass = append(t.mass, 0)
	t.box = append(t.box, make([]float64, 2*t.dims)...)
	t.rangeSum = append(t.rangeSum, 0)
	return int32(len(t.parent) - 1)
}

func (t *tree) release(i int32) {
	t.parent[i], t.left[i], t.right[i], t.point[i], t.mass[i] = -1, -1, -1, -1, 0
	t.free = append(t.free, i)
}

func (t *tree) isLeaf(i int32) bool { return t.left[i] < 0 }

func (t *tree) minOf(i int32) []float64 { o := int(i) * 2 * t.dims; return t.box[o : o+t.dims] }
func (t *tree) maxOf(i int32) []float64 {
	o := int(i)*2*t.dims + t.dims
	return t.box[o : o+t.dims]
}

// bounds returns node i's bounding box; a leaf's is its point.
func (t *tree) bounds(i int32, s *store) (lo, hi []float64) {
	if t.isLeaf(i) {
		p := s.get(t.point[i])
		return p, p
	}
	return t.minOf(i), t.maxOf(i)
}

func (t *tree) newLeaf(pi int32) int32 {
	l := t.alloc()
	t.point[l], t.mass[l] = pi, 1
	return l
}

// insert adds point pi (whose values are p) to the tree and returns the
// point the tree now refers to: pi, or the twin a duplicate joined.
func (t *tree) insert(pi int32, p []float64, s *store) int32 {
	if t.root < 0 {
		t.root = t.newLeaf(pi)
		return pi
	}
	node := t.root
	for {
		lo, hi := t.bounds(node, s)
		if t.isLeaf(node) && equal(lo, p) {
			// A duplicate: the leaf counts it again.
			t.mass[node]++
			for a := t.parent[node]; a >= 0; a = t.parent[a] {
				t.mass[a]++
			}
			return t.point[node]
		}
		// Draw a cut uniformly over the summed ranges of the box grown by p.
		var total float64
		for d := 0; d < t.dims; d++ {
			total += fmax(hi[d], p[d]) - fmin(lo[d], p[d])
		}
		r := t.rng.Float64() * total
		dim, cut := -1, 0.0
		for d := 0; d < t.dims; d++ {
			l, h := fmin(lo[d], p[d]), fmax(hi[d], p[d])
			if span := h - l; r < span || d == t.dims-1 {
				dim, cut = d, l+math.Min(r, span)
				break
			} else {
				r -= span
			}
		}
		// The cut separates p from the box when it falls between them.
		separates := (p[dim] <= cut && cut < lo[dim]) || (hi[dim] <= cut && cut < p[dim])
		if separates {
			leaf := t.newLeaf(pi)
			parent := t.parent[node]
			in := t.alloc()
			t.cutDim[in], t.cut[in] = int16(dim), cut
			t.mass[in] = t.mass[node] + 1
			if p[dim] <= cut {
				t.left[in], t.right[in] = leaf, node
			} else {
				t.left[in], t.right[in] = node, leaf
			}
			t.parent[leaf], t.parent[node], t.parent[in] = in, in, parent
			mn, mx := t.minOf(in), t.maxOf(in)
			var sum float64
			for d := 0; d < t.dims; d++ {
				mn[d], mx[d] = fmin(lo[d], p[d]), fmax(hi[d], p[d])
				sum += mx[d] - mn[d]
			}
			t.rangeSum[in] = sum
			switch {
			case parent < 0:
				t.root = in
			case t.left[parent] == node:
				t.left[parent] = in
			default:
				t.right[parent] = in
			}
			for a := parent; a >= 0; a = t.parent[a] {
				t.mass[a]++
				t.grow(a, p)
			}
			return pi
		}
		// Not separated here: node is internal (a leaf's box is a point, so
		// any cut inside the grown box separates). Go down p's side.
		if p[t.cutDim[node]] <= t.cut[node] {
			node = t.left[node]
		} else {
			node = t.right[node]
		}
	}
}

// grow widens internal node a's box to contain p.
func (t *tree) grow(a int32, p []float64) {
	mn, mx := t.minOf(a), t.maxOf(a)
	for d := 0; d < t.dims; d++ {
		if p[d] < mn[d] {
			t.rangeSum[a] += mn[d] - p[d]
			mn[d] = p[d]
		}
		if p[d] > mx[d] {
			t.rangeSum[a] += p[d] - mx[d]
			mx[d] = p[d]
		}
	}
}

// remove deletes one occurrence of point p (store index pi) from the tree.
func (t *tree) remove(pi int32, p []float64, s *store) {
	node := t.root
	for node >= 0 && !t.isLeaf(node) {
		if p[t.cutDim[node]] <= t.cut[node] {
			node = t.left[node]
		} else {
			node = t.right[node]
		}
	}
	if node < 0 || !equal(s.get(t.point[node]), p) {
		panic("rcf: removing a point the tree does not hold")
	}
	if t.mass[node] > 1 {
		t.mass[node]--
		for a := t.parent[node]; a >= 0; a = t.parent[a] {
			t.mass[a]--
		}
		return
	}
	parent := t.parent[node]
	t.release(node)
	if parent < 0 {
		t.root = -1
		return
	}
	sibling := t.left[parent]
	if sibling == node {
		sibling = t.right[parent]
	}
	grand := t.parent[parent]
	t.parent[sibling] = grand
	switch {
	case grand < 0:
		t.root = sibling
	case t.left[grand] == parent:
		t.left[grand] = sibling
	default:
		t.right[grand] = sibling
	}
	t.release(parent)
	for a := grand; a >= 0; a = t.parent[a] {
		t.mass[a]--
		t.refit(a, s)
	}
}

// refit recomputes internal node a's box from its children.
func (t *tree) refit(a int32, s *store) {
	llo, lhi := t.bounds(t.left[a], s)
	rlo, rhi := t.bounds(t.right[a], s)
	mn, mx := t.minOf(a), t.maxOf(a)
	var sum float64
	for d := 0; d < t.dims; d++ {
		mn[d], mx[d] = fmin(llo[d], rlo[d]), fmax(lhi[d], rhi[d])
		sum += mx[d] - mn[d]
	}
	t.rangeSum[a] = sum
}

// fmin and fmax skip math.Min's NaN and signed-zero handling: points are
// finite (Update refuses others).
func fmin(a, b float64) float64 {
	if a < b {
		return a
	}
	return b
}

func fmax(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

// The score functions of AWS's RCF (CommonUtils in randomcutforest-core):
// a point that would be cut off at depth d scores 1/(d+1); one already in
// the sample scores 1/(d + log2(mass+1)), damped by how much of the tree it
// is; the tree's score is scaled by log2(treeMass+1).
func scoreSeen(depth, mass float64) float64   { return 1 / (depth + math.Log2(mass+1)) }
func scoreUnseen(depth float64) float64       { return 1 / (depth + 1) }
func damp(leafMass, treeMass float64) float64 { return 1 - leafMass/(2*treeMass) }
func normalizer(treeMass float64) float64     { return math.Log2(treeMass + 1) }

// score returns the tree's anomaly score of p and, when attr is not nil,
// adds each dimension's share of it to attr.
func (t *tree) score(p []float64, s *store, attr []float64, path []int32) (float64, []int32) {
	if t.root < 0 {
		return 0, path
	}
	// Walk down to where p would go, remembering the path.
	path = path[:0]
	node := t.root
	for {
		path = append(path, node)
		if t.isLeaf(node) {
			break
		}
		if p[t.cutDim[node]] <= t.cut[node] {
			node = t.left[node]
		} else {
			node = t.right[node]
		}
	}
	treeMass := float64(t.mass[t.root])
	depth := float64(len(path) - 1)
	leaf := path[len(path)-1]
	lp := s.get(t.point[leaf])
	var sc float64
	var spread []float64
	if attr != nil {
		spread = make([]float64, t.dims)
	}
	if equal(lp, p) {
		sc = damp(float64(t.mass[leaf]), treeMass) * scoreSeen(depth, float64(t.mass[leaf]))
		for d := range spread {
			spread[d] = sc / float64(t.dims)
		}
	} else {
		sc = scoreUnseen(depth)
		if spread != nil {
			var sum float64
			for d := 0; d < t.dims; d++ {
				sum += math.Abs(p[d] - lp[d])
			}
			for d := 0; d < t.dims; d++ {
				spread[d] = sc * math.Abs(p[d]-lp[d]) / sum
			}
		}
	}
	// Up the path: at each internal node p may have been cut off instead,
	// with the probability the grown box's extra range gives.
	for k := len(path) - 2; k >= 0; k-- {
		a := path[k]
		mn, mx := t.minOf(a), t.maxOf(a)
		var extra float64
		for d, v := range p {
			if v > mx[d] {
				extra += v - mx[d]
			} else if v < mn[d] {
				extra += mn[d] - v
			}
		}
		if extra == 0 {
			continue // p inside the box: it could not be cut off here
		}
		grown := t.rangeSum[a] + extra
		prob := extra / grown
		unseen := scoreUnseen(float64(k))
		sc = (1-prob)*sc + prob*unseen
		if spread != nil {
			for d, v := range p {
				var e float64
				if v > mx[d] {
					e = v - mx[d]
				} else if v < mn[d] {
					e = mn[d] - v
				}
				spread[d] = (1-prob)*spread[d] + unseen*e/grown
			}
		}
	}
	norm := normalizer(treeMass)
	for d := range spread {
		attr[d] += spread[d] * norm
	}
	return sc * norm, path
}

func equal(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
