package rsk

// #include "rsk.h"
import "C"

import "fmt"

// BatchRow is one row of a batch: its config and its mask, penalty window and bias.
type BatchRow struct {
	Config  Config  // the row's parameters, seed and step
	Request Request // the row's mask, penalty window, bias and forced ISA
}

// BatchResult is a row's draw, or the error that refused that row alone.
type BatchResult struct {
	Draw Draw  // the drawn token when Err is nil
	Err  error // a *KernelError for this row alone
}

// SampleBatch draws one token per row in one rsk_sample_batch call; logits holds the rows one after another
// (len(rows) * vocab values). The error is for a malformed batch; a row's own refusal is in its BatchResult.
func SampleBatch(logits []float32, vocab int, rows []BatchRow) ([]BatchResult, error) {
	return NewSampler().SampleBatch(logits, vocab, rows)
}

// SampleBatch is the package-level SampleBatch, reusing s's buffers.
func (s *Sampler) SampleBatch(logits []float32, vocab int, rows []BatchRow) ([]BatchResult, error) {
	s.final = nil
	if libraryErr != nil {
		return nil, libraryErr
	}
	if vocab <= 0 || vocab > MaxVocab {
		return nil, refused(ErrVocab, "vocab: %d tokens", vocab)
	}
	if len(rows) == 0 || len(logits) != len(rows)*vocab {
		return nil, refused(ErrBuffer, "logits: %d values for %d rows of %d tokens", len(logits), len(rows), vocab)
	}
	if len(s.io) < len(rows)*ioLen {
		s.io = make([]float64, len(rows)*ioLen)
	}
	io := s.io[:len(rows)*ioLen]
	s.tokens, s.bias, s.words = s.tokens[:0], s.bias[:0], s.words[:0]
	most := 0
	for r, row := range rows {
		slots := io[r*ioLen : (r+1)*ioLen]
		for i := range slots {
			slots[i] = 0
		}
		if err := encode(slots, row.Config, len(row.Request.Recent), row.Request.ISA); err != nil {
			return nil, fmt.Errorf("rows[%d]: %w", r, err)
		}
		slots[ioMaskAt] = -1
		if m := row.Request.Mask; m != nil {
			if m.vocab != vocab {
				return nil, refused(ErrBuffer, "rows[%d]: mask for %d tokens, rows have %d", r, m.vocab, vocab)
			}
			slots[ioMaskAt] = float64(len(s.words))
			s.words = append(s.words, m.words...)
		}
		slots[ioTokensAt], slots[ioBiasAt] = float64(len(s.tokens)), float64(len(s.bias))
		s.tokens, s.bias = appendRequest(s.tokens, s.bias, row.Request)
		n := len(row.Request.Recent) + len(row.Request.Bias)
		slots[ioNTokens] = float64(n)
		if n > most {
			most = n
		}
	}
	if err := s.grow(vocab, most); err != nil {
		return nil, err
	}
	status := C.rsk_sample_batch(f32ptr(logits), C.uint32_t(len(rows)), C.uint32_t(vocab), C.uint32_t(vocab),
		u32ptr(s.words), C.uint32_t(len(s.words)), i32ptr(s.tokens), C.uint32_t(len(s.tokens)), f32ptr(s.bias),
		C.uint32_t(len(s.bias)), f64ptr(io), C.uint32_t(len(io)), f64ptr(s.work), C.uint32_t(len(s.work)))
	if err := statusError(int(status), "sample batch"); err != nil {
		return nil, err
	}
	results := make([]BatchResult, len(rows))
	for r := range rows {
		slots := io[r*ioLen : (r+1)*ioLen]
		if err := statusError(int(slots[ioStatus]), "batch row"); err != nil {
			results[r].Err = err
		} else {
			results[r].Draw = decode(slots)
		}
	}
	return results, nil
}
