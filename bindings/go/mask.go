package rsk

// #include "rsk.h"
import "C"

import "unsafe"

// MaxVocab is the largest vocabulary the kernels take (RSK_MAX_VOCAB).
const MaxVocab = int(C.RSK_MAX_VOCAB)

// Mask is the allowed-token bitmask the kernels read: bit i&31 of word i>>5 set = token i allowed.
type Mask struct {
	vocab int
	words []uint32
}

// NewMask is a mask over vocab tokens with every token allowed (allow) or none.
func NewMask(vocab int, allow bool) (*Mask, error) {
	if vocab <= 0 || vocab > MaxVocab {
		return nil, refused(ErrVocab, "vocab: %d tokens", vocab)
	}
	m := &Mask{vocab: vocab, words: make([]uint32, (vocab+31)/32)}
	if allow {
		for i := range m.words {
			m.words[i] = 0xFFFFFFFF
		}
		if vocab%32 != 0 {
			m.words[len(m.words)-1] = 1<<(vocab%32) - 1
		}
	}
	return m, nil
}

// MaskFromWords is a mask over a copy of words (ceil(vocab/32) of them).
func MaskFromWords(vocab int, words []uint32) (*Mask, error) {
	m, err := NewMask(vocab, false)
	if err != nil {
		return nil, err
	}
	if len(words) != len(m.words) {
		return nil, refused(ErrBuffer, "words: %d for %d tokens, expected %d", len(words), vocab, len(m.words))
	}
	copy(m.words, words)
	return m, nil
}

// Vocab is the number of tokens the mask is for.
func (m *Mask) Vocab() int { return m.vocab }

// Words are the mask's words, shared (writes change the mask).
func (m *Mask) Words() []uint32 { return m.words }

func (m *Mask) check(token int) error {
	if token < 0 || token >= m.vocab {
		return refused(ErrParam, "token %d outside [0, %d)", token, m.vocab)
	}
	return nil
}

// Allow allows token.
func (m *Mask) Allow(token int) error {
	if err := m.check(token); err != nil {
		return err
	}
	m.words[token>>5] |= 1 << (token & 31)
	return nil
}

// Ban forbids token.
func (m *Mask) Ban(token int) error {
	if err := m.check(token); err != nil {
		return err
	}
	m.words[token>>5] &^= 1 << (token & 31)
	return nil
}

// Allowed reports whether token is allowed (false outside the vocabulary).
func (m *Mask) Allowed(token int) bool {
	return m.check(token) == nil && m.words[token>>5]>>(token&31)&1 == 1
}

// Count is the number of allowed tokens (rsk_mask_count).
func (m *Mask) Count() (int, error) {
	if libraryErr != nil {
		return 0, libraryErr
	}
	n := int(C.rsk_mask_count(u32ptr(m.words), C.uint32_t(len(m.words)), C.uint32_t(m.vocab)))
	return n, statusError(n, "mask count")
}

// Apply sets the logits of forbidden tokens to -inf in place (rsk_mask_apply).
func (m *Mask) Apply(logits []float32) error {
	if libraryErr != nil {
		return libraryErr
	}
	if len(logits) != m.vocab {
		return refused(ErrBuffer, "logits: %d values for a mask of %d tokens", len(logits), m.vocab)
	}
	status := C.rsk_mask_apply(f32ptr(logits), C.uint32_t(m.vocab), u32ptr(m.words), C.uint32_t(len(m.words)))
	return statusError(int(status), "mask apply")
}

// And sets m to a & b (rsk_mask_and; m may be a or b).
func (m *Mask) And(a, b *Mask) error {
	if err := m.sameVocab(a, b); err != nil {
		return err
	}
	return statusError(int(C.rsk_mask_and(u32ptr(m.words), u32ptr(a.words), u32ptr(b.words), C.uint32_t(len(m.words)))), "mask and")
}

// Or sets m to a | b (rsk_mask_or; m may be a or b).
func (m *Mask) Or(a, b *Mask) error {
	if err := m.sameVocab(a, b); err != nil {
		return err
	}
	return statusError(int(C.rsk_mask_or(u32ptr(m.words), u32ptr(a.words), u32ptr(b.words), C.uint32_t(len(m.words)))), "mask or")
}

func (m *Mask) sameVocab(a, b *Mask) error {
	if libraryErr != nil {
		return libraryErr
	}
	if a.vocab != m.vocab || b.vocab != m.vocab {
		return refused(ErrBuffer, "masks are for %d, %d and %d tokens", m.vocab, a.vocab, b.vocab)
	}
	return nil
}

func f32ptr(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}

func u32ptr(s []uint32) *C.uint32_t {
	if len(s) == 0 {
		return nil
	}
	return (*C.uint32_t)(unsafe.Pointer(&s[0]))
}

func i32ptr(s []int32) *C.int32_t {
	if len(s) == 0 {
		return nil
	}
	return (*C.int32_t)(unsafe.Pointer(&s[0]))
}

func f64ptr(s []float64) *C.double {
	if len(s) == 0 {
		return nil
	}
	return (*C.double)(unsafe.Pointer(&s[0]))
}
