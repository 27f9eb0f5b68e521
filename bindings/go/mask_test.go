package rsk

import (
	"errors"
	"math"
	"testing"
)

func maskOf(t *testing.T, vocab int, ids ...int) *Mask {
	t.Helper()
	m, err := NewMask(vocab, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := m.Allow(id); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func count(t *testing.T, m *Mask) int {
	t.Helper()
	n, err := m.Count()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMaskCountIgnoresBitsPastTheVocabulary(t *testing.T) {
	m, _ := NewMask(70, true)
	if n := count(t, m); n != 70 || len(m.Words()) != 3 || m.Words()[2] != 0b111111 {
		t.Fatalf("count %d, words %x", n, m.Words())
	}
	_, _ = m.Ban(0), m.Ban(69)
	if n := count(t, m); n != 68 || m.Allowed(0) || !m.Allowed(1) || m.Allowed(70) {
		t.Fatalf("count %d", n)
	}
	w, _ := MaskFromWords(33, []uint32{0, 0xFFFFFFFF})
	if n := count(t, w); n != 1 {
		t.Fatalf("count %d", n)
	}
}

func TestMaskAndOrMayAlias(t *testing.T) {
	a, b := maskOf(t, 100, 1, 2, 3, 64), maskOf(t, 100, 3, 64, 99)
	and, or := maskOf(t, 100), maskOf(t, 100)
	if err := and.And(a, b); err != nil || count(t, and) != 2 || !and.Allowed(3) || !and.Allowed(64) {
		t.Fatalf("and: %v %x", err, and.Words())
	}
	if err := or.Or(a, b); err != nil || count(t, or) != 5 {
		t.Fatalf("or: %v %x", err, or.Words())
	}
	if err := a.And(a, b); err != nil || count(t, a) != 2 {
		t.Fatalf("aliased and: %v", err)
	}
	if err := a.Or(a, maskOf(t, 100, 7)); err != nil || count(t, a) != 3 || !a.Allowed(7) {
		t.Fatalf("aliased or: %v", err)
	}
}

func TestMaskApplyBansInPlace(t *testing.T) {
	m := maskOf(t, 40, 5, 39)
	logits := make([]float32, 40)
	for i := range logits {
		logits[i] = float32(i)
	}
	if err := m.Apply(logits); err != nil {
		t.Fatal(err)
	}
	for i, v := range logits {
		if allowed := i == 5 || i == 39; allowed != !math.IsInf(float64(v), -1) {
			t.Fatalf("logit %d = %v", i, v)
		}
	}
}

func TestMaskShapeAndRangeErrors(t *testing.T) {
	if _, err := NewMask(0, true); !errors.Is(err, ErrVocab) {
		t.Errorf("vocab 0: %v", err)
	}
	small, large := maskOf(t, 10), maskOf(t, 40)
	if err := small.And(small, large); !errors.Is(err, ErrBuffer) {
		t.Errorf("and across vocabularies: %v", err)
	}
	if err := small.Apply(make([]float32, 11)); !errors.Is(err, ErrBuffer) {
		t.Errorf("apply: %v", err)
	}
	if _, err := MaskFromWords(40, []uint32{0}); !errors.Is(err, ErrBuffer) {
		t.Errorf("words: %v", err)
	}
	if err := small.Allow(10); !errors.Is(err, ErrParam) {
		t.Errorf("allow 10: %v", err)
	}
}
