package diff

// lineDiff computes a minimal edit script between a and b with Myers'
// O(ND) algorithm in its linear-space (middle snake) form. It returns, for
// each line of a, whether it is deleted and, for each line of b, whether it
// is inserted; unmarked lines form a longest common subsequence.
func lineDiff(a, b []string) (del, ins []bool) {
	// Intern lines as ints so comparisons are cheap.
	ids := make(map[string]int, len(a)+len(b))
	intern := func(lines []string) []int {
		out := make([]int, len(lines))
		for i, l := range lines {
			id, ok := ids[l]
			if !ok {
				id = len(ids)
				ids[l] = id
			}
			out[i] = id
		}
		return out
	}
	ia, ib := intern(a), intern(b)
	del = make([]bool, len(a))
	ins = make([]bool, len(b))
	// A line found on one side only can never be kept: mark it and run the
	// search on the others, which makes very different inputs cheap.
	inA := make([]bool, len(ids))
	inB := make([]bool, len(ids))
	for _, id := range ia {
		inA[id] = true
	}
	for _, id := range ib {
		inB[id] = true
	}
	ka, ma := keep(ia, inB, del)
	kb, mb := keep(ib, inA, ins)
	m := &myers{a: ka, b: kb}
	m.del = make([]bool, len(ka))
	m.ins = make([]bool, len(kb))
	n := len(ka) + len(kb) + 2
	m.vf = make([]int, 2*n+1)
	m.vb = make([]int, 2*n+1)
	m.compare(0, len(ka), 0, len(kb))
	for i, d := range m.del {
		del[ma[i]] = d
	}
	for j, d := range m.ins {
		ins[mb[j]] = d
	}
	return del, ins
}

// keep returns the ids present on the other side and their indexes in ids,
// marking the others in changed.
func keep(ids []int, other, changed []bool) (kept, index []int) {
	for i, id := range ids {
		if other[id] {
			kept = append(kept, id)
			index = append(index, i)
		} else {
			changed[i] = true
		}
	}
	return kept, index
}

type myers struct {
	a, b     []int
	del, ins []bool
	vf, vb   []int // forward and backward furthest-reaching x per diagonal, offset by len(vf)/2
}

// compare marks the edits turning a[aLo:aHi] into b[bLo:bHi].
func (m *myers) compare(aLo, aHi, bLo, bHi int) {
	for {
		for aLo < aHi && bLo < bHi && m.a[aLo] == m.b[bLo] {
			aLo++
			bLo++
		}
		for aLo < aHi && bLo < bHi && m.a[aHi-1] == m.b[bHi-1] {
			aHi--
			bHi--
		}
		switch {
		case aLo == aHi:
			for j := bLo; j < bHi; j++ {
				m.ins[j] = true
			}
			return
		case bLo == bHi:
			for i := aLo; i < aHi; i++ {
				m.del[i] = true
			}
			return
		}
		x, y := m.split(aLo, aHi, bLo, bHi)
		if (x == aLo && y == bLo) || (x == aHi && y == bHi) {
			// Cannot happen for a correct middle snake; stay safe rather
			// than recurse forever: replace the whole range.
			for i := aLo; i < aHi; i++ {
				m.del[i] = true
			}
			for j := bLo; j < bHi; j++ {
				m.ins[j] = true
			}
			return
		}
		// Recurse on the smaller half, loop on the other.
		if (x-aLo)+(y-bLo) < (aHi-x)+(bHi-y) {
			m.compare(aLo, x, bLo, y)
			aLo, bLo = x, y
		} else {
			m.compare(x, aHi, y, bHi)
			aHi, bHi = x, y
		}
	}
}

// split finds a point (x, y) on an optimal edit path from (aLo, bLo) to
// (aHi, bHi), strictly between its ends, by running the search from both
// ends until the paths meet. Both ranges are non-empty and differ in their
// first and last lines.
func (m *myers) split(aLo, aHi, bLo, bHi int) (int, int) {
	n, k := aHi-aLo, bHi-bLo
	maxD := (n + k + 1) / 2
	off := len(m.vf) / 2
	delta := n - k
	odd := delta%2 != 0
	// Diagonal d = x - y (relative to aLo, bLo); backward diagonals are
	// measured from the end: d' = (n - x) - (k - y).
	m.vf[off+1] = 0
	m.vb[off+1] = 0
	for d := 0; d <= maxD; d++ {
		for kf := -d; kf <= d; kf += 2 {
			var x int
			if kf == -d || (kf != d && m.vf[off+kf-1] < m.vf[off+kf+1]) {
				x = m.vf[off+kf+1]
			} else {
				x = m.vf[off+kf-1] + 1
			}
			y := x - kf
			for x < n && y < k && m.a[aLo+x] == m.b[bLo+y] {
				x++
				y++
			}
			m.vf[off+kf] = x
			if odd {
				kb := delta - kf
				if kb >= -(d-1) && kb <= d-1 && x+m.vb[off+kb] >= n {
					return aLo + x, bLo + y
				}
			}
		}
		for kb := -d; kb <= d; kb += 2 {
			var x int
			if kb == -d || (kb != d && m.vb[off+kb-1] < m.vb[off+kb+1]) {
				x = m.vb[off+kb+1]
			} else {
				x = m.vb[off+kb-1] + 1
			}
			y := x - kb
			for x < n && y < k && m.a[aHi-1-x] == m.b[bHi-1-y] {
				x++
				y++
			}
			m.vb[off+kb] = x
			if !odd {
				kf := delta - kb
				if kf >= -d && kf <= d && m.vf[off+kf]+x >= n {
					return aHi - x, bHi - y
				}
			}
		}
	}
	// Unreachable for non-empty ranges: the paths always meet by maxD.
	return aLo, bLo
}
