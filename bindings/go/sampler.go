package rsk

// #include "rsk.h"
import "C"

import "unsafe"

// Config holds rsk_sample's parameters (kernels/README.md). Zero is not neutral (top_p 0 keeps one token): start
// from DefaultConfig, which turns every stage off (plain temperature-1 sampling).
type Config struct {
	Temperature      float64 `json:"temperature"`       // <= 0: greedy (argmax, lowest id wins ties)
	TopK             int     `json:"top_k"`             // <= 0: off; more than the vocabulary: ErrParam
	TopP             float64 `json:"top_p"`             // >= 1: off
	MinP             float64 `json:"min_p"`             // <= 0: off
	TypicalP         float64 `json:"typical_p"`         // >= 1: off
	MinKeep          int     `json:"min_keep"`          // every truncating stage keeps at least this many tokens
	Mirostat         int     `json:"mirostat"`          // 0: off, 2: Mirostat 2.0 (replaces top-k, typical-p, top-p, min-p)
	MirostatTau      float64 `json:"mirostat_tau"`      // target surprise in bits
	MirostatEta      float64 `json:"mirostat_eta"`      // learning rate
	MirostatMu       float64 `json:"mirostat_mu"`       // Mirostat state, carried by the caller (start at 2*tau; see Next)
	RepeatPenalty    float64 `json:"repeat_penalty"`    // 1: off
	FrequencyPenalty float64 `json:"frequency_penalty"` // subtracted per occurrence in the recent window
	PresencePenalty  float64 `json:"presence_penalty"`  // subtracted once if the token is in the recent window
	Seed             uint64  `json:"seed"`              // RNG key
	Step             uint64  `json:"step"`              // RNG counter in [0, 2^53): the same (seed, step) draws the same token everywhere
}

// DefaultConfig turns every stage off: plain temperature-1 sampling, Mirostat's tau 5, eta 0.1, mu 10 if enabled.
func DefaultConfig() Config {
	return Config{Temperature: 1, TopP: 1, TypicalP: 1, MirostatTau: 5, MirostatEta: 0.1, MirostatMu: 10, RepeatPenalty: 1}
}

// Next is the config of the following step: the RNG counter advanced and Mirostat's mu updated by d.
func (c Config) Next(d Draw) Config {
	c.Step++
	c.MirostatMu = d.MuNext
	return c
}

// Draw is a sampled token and what the kernel reports about it.
type Draw struct {
	Token   int     // the drawn token id
	Prob    float64 // its probability under the final distribution
	MuNext  float64 // Mirostat's mu after this step (the input mu when Mirostat is off)
	Size    int     // number of tokens in the final distribution
	Uniform float64 // the uniform draw in [0, 1) used
}

// Bias is one logit-bias entry (-inf bans the token; entries for one token add up).
type Bias struct {
	Token int32
	Value float32
}

// Request is what a step reads besides the logits and the config; its zero value is "no mask, no window, no bias".
type Request struct {
	Mask   *Mask   // allowed tokens (nil: all)
	Recent []int32 // the penalty window
	Bias   []Bias  // logit bias
	ISA    int     // a forced instruction set (RSK_ISA_*; 0: the best available)
}

// io slots of rsk_sample and rsk_sample_batch (RSK_IO_* in rsk.h).
const (
	ioLen        = int(C.RSK_IO_LEN)
	ioNRecent    = C.RSK_IO_N_RECENT
	ioSeedLo     = C.RSK_IO_SEED_LO
	ioSeedHi     = C.RSK_IO_SEED_HI
	ioStep       = C.RSK_IO_STEP
	ioISA        = C.RSK_IO_ISA
	ioMaskAt     = C.RSK_IO_MASK_AT
	ioStatus     = C.RSK_IO_STATUS
	ioToken      = C.RSK_IO_TOKEN
	ioProb       = C.RSK_IO_PROB
	ioMuNext     = C.RSK_IO_MU_NEXT
	ioNFinal     = C.RSK_IO_N_FINAL
	ioUniform    = C.RSK_IO_UNIFORM
	ioFinalIDs   = C.RSK_IO_FINAL_IDS
	ioFinalProbs = C.RSK_IO_FINAL_PROBS
	ioTokensAt   = C.RSK_IO_TOKENS_AT
	ioNTokens    = C.RSK_IO_N_TOKENS
	ioBiasAt     = C.RSK_IO_BIAS_AT
)

// stepLimit bounds the RNG counter: it crosses the ABI as a double, exact below 2^53.
const stepLimit = 1 << 53

// Sampler keeps rsk_sample's buffers between calls; it is not safe for concurrent use (one per goroutine).
type Sampler struct {
	io     []float64
	work   []float64
	tokens []int32
	bias   []float32
	words  []uint32
	final  []float64 // the io slots of the last successful Sample (nil: none)
}

// NewSampler is a Sampler with empty buffers (they grow on first use).
func NewSampler() *Sampler {
	return &Sampler{io: make([]float64, ioLen)}
}

// Sample draws one token from logits (rsk_sample).
func Sample(logits []float32, cfg Config, req Request) (Draw, error) {
	return NewSampler().Sample(logits, cfg, req)
}

// Sample draws one token from logits (rsk_sample), reusing s's buffers.
func (s *Sampler) Sample(logits []float32, cfg Config, req Request) (Draw, error) {
	s.final = nil
	if libraryErr != nil {
		return Draw{}, libraryErr
	}
	vocab := len(logits)
	if vocab == 0 || vocab > MaxVocab {
		return Draw{}, refused(ErrVocab, "logits: %d values", vocab)
	}
	if req.Mask != nil && req.Mask.vocab != vocab {
		return Draw{}, refused(ErrBuffer, "mask: for %d tokens, logits has %d", req.Mask.vocab, vocab)
	}
	s.tokens, s.bias = appendRequest(s.tokens[:0], s.bias[:0], req)
	if err := s.grow(vocab, len(s.tokens)); err != nil {
		return Draw{}, err
	}
	if err := encode(s.io, cfg, len(req.Recent), req.ISA); err != nil {
		return Draw{}, err
	}
	var mask []uint32
	if req.Mask != nil {
		mask = req.Mask.words
	}
	status := C.rsk_sample(f32ptr(logits), C.uint32_t(vocab), u32ptr(mask), C.uint32_t(len(mask)), i32ptr(s.tokens),
		C.uint32_t(len(s.tokens)), f32ptr(s.bias), C.uint32_t(len(s.bias)), f64ptr(s.io), C.uint32_t(ioLen),
		f64ptr(s.work), C.uint32_t(len(s.work)))
	if err := statusError(int(status), "sample"); err != nil {
		return Draw{}, err
	}
	s.final = s.io
	return decode(s.io), nil
}

// Distribution is the last successful Sample's final distribution: token ids ascending and their probabilities.
func (s *Sampler) Distribution() ([]int32, []float64) {
	if s.final == nil {
		return nil, nil
	}
	n, at, probsAt := int(s.final[ioNFinal]), int(s.final[ioFinalIDs]), int(s.final[ioFinalProbs])
	words := unsafe.Slice((*int32)(unsafe.Pointer(&s.work[0])), 2*len(s.work))
	return append([]int32(nil), words[at:at+n]...), append([]float64(nil), s.work[probsAt:probsAt+n]...)
}

// grow sizes the work buffer for vocab tokens and n token ids.
func (s *Sampler) grow(vocab, n int) error {
	need := int(C.rsk_work_len(C.uint32_t(vocab), C.uint32_t(n)))
	if need == 0 {
		return refused(ErrBuffer, "recent/bias: %d token ids is more than the kernels take", n)
	}
	if len(s.work) < need {
		s.work = make([]float64, need)
	}
	return nil
}

// appendRequest appends the request's recent window and bias ids to tokens, and its bias values to bias.
func appendRequest(tokens []int32, bias []float32, req Request) ([]int32, []float32) {
	tokens = append(tokens, req.Recent...)
	for _, b := range req.Bias {
		tokens = append(tokens, b.Token)
		bias = append(bias, b.Value)
	}
	return tokens, bias
}

// encode writes cfg into one row of io slots.
func encode(io []float64, cfg Config, nRecent, isa int) error {
	if cfg.Step >= stepLimit {
		return refused(ErrParam, "step: %d is not below 2^53", cfg.Step)
	}
	copy(io, []float64{
		cfg.Temperature, float64(cfg.TopK), cfg.TopP, cfg.MinP, cfg.TypicalP, float64(cfg.MinKeep), float64(cfg.Mirostat),
		cfg.MirostatTau, cfg.MirostatEta, cfg.MirostatMu, cfg.RepeatPenalty, cfg.FrequencyPenalty, cfg.PresencePenalty,
	})
	io[ioNRecent], io[ioSeedLo], io[ioSeedHi] = float64(nRecent), float64(cfg.Seed&0xFFFFFFFF), float64(cfg.Seed>>32)
	io[ioStep], io[ioISA] = float64(cfg.Step), float64(isa)
	return nil
}

// decode reads a drawn row back.
func decode(io []float64) Draw {
	return Draw{Token: int(io[ioToken]), Prob: io[ioProb], MuNext: io[ioMuNext], Size: int(io[ioNFinal]), Uniform: io[ioUniform]}
}

// Uniform is the uniform double in [0, 1) rsk_sample draws for (seed, step).
func Uniform(seed, step uint64) (float64, error) {
	if libraryErr != nil {
		return 0, libraryErr
	}
	if step >= stepLimit {
		return 0, refused(ErrParam, "step: %d is not below 2^53", step)
	}
	return float64(C.rsk_uniform(C.uint32_t(seed&0xFFFFFFFF), C.uint32_t(seed>>32), C.double(step))), nil
}
