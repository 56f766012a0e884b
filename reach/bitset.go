package reach

import "math/bits"

// bitset is a fixed-size set of small non-negative integers, one bit each in
// 64-bit words. The matrix engine keeps its cells in bitsets so that a rule
// decides many (peer, port interval) cells with a few word operations.
//
// Operations on two bitsets require equal lengths; the engine sizes every
// bitset of one kind from the same count.
type bitset []uint64

// words returns the number of words a bitset of n bits needs.
func words(n int) int { return (n + 63) >> 6 }

func newBitset(n int) bitset { return make(bitset, words(n)) }

func (b bitset) set(i int)      { b[i>>6] |= 1 << (uint(i) & 63) }
func (b bitset) has(i int) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }

// setRange sets bits lo..hi-1.
func (b bitset) setRange(lo, hi int) {
	for i := lo; i < hi; {
		w := i >> 6
		if i&63 == 0 && hi-i >= 64 {
			b[w] = ^uint64(0)
			i += 64
			continue
		}
		b[w] |= 1 << (uint(i) & 63)
		i++
	}
}

func (b bitset) fill() {
	for i := range b {
		b[i] = ^uint64(0)
	}
}

func (b bitset) clear() {
	for i := range b {
		b[i] = 0
	}
}

// and sets b to b ∩ c.
func (b bitset) and(c bitset) {
	for i := range b {
		b[i] &= c[i]
	}
}

// or sets b to b ∪ c.
func (b bitset) or(c bitset) {
	for i := range b {
		b[i] |= c[i]
	}
}

// andNot sets b to b \ c.
func (b bitset) andNot(c bitset) {
	for i := range b {
		b[i] &^= c[i]
	}
}

func (b bitset) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}

// next returns the smallest member >= i, or -1.
func (b bitset) next(i int) int {
	w := i >> 6
	if w >= len(b) {
		return -1
	}
	x := b[w] >> (uint(i) & 63)
	if x != 0 {
		return i + bits.TrailingZeros64(x)
	}
	for w++; w < len(b); w++ {
		if b[w] != 0 {
			return w<<6 + bits.TrailingZeros64(b[w])
		}
	}
	return -1
}
