package rsk

import (
	"errors"
	"math"
	"testing"
)

// spread is deterministic spread-out logits (an LCG: the data must not depend on the library under test).
func spread(n int, seed uint32) []float32 {
	out := make([]float32, n)
	for i := range out {
		seed = seed*1103515245 + 12345
		out[i] = (float32(seed>>8)/(1<<24) - 0.5) * 8
	}
	return out
}

func mustSample(t *testing.T, logits []float32, cfg Config, req Request) Draw {
	t.Helper()
	d, err := Sample(logits, cfg, req)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestGreedyTakesTheArgmaxAndTheLowestIDOnTies(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Temperature = 0
	d := mustSample(t, []float32{0.5, 3, -1, 3}, cfg, Request{})
	if d.Token != 1 || d.Prob != 1 || d.Size != 1 {
		t.Fatalf("got %+v", d)
	}
}

func TestSameSeedAndStepDrawTheSameToken(t *testing.T) {
	logits := spread(500, 1)
	cfg := DefaultConfig()
	cfg.TopK, cfg.TopP, cfg.Temperature, cfg.Seed, cfg.Step = 40, 0.95, 0.8, 1<<40+7, 3
	a, b := mustSample(t, logits, cfg, Request{}), mustSample(t, logits, cfg, Request{})
	u, err := Uniform(cfg.Seed, cfg.Step)
	if a != b || err != nil || a.Uniform != u {
		t.Fatalf("%+v vs %+v, uniform %v (%v)", a, b, u, err)
	}
	if c := mustSample(t, logits, cfg.Next(a), Request{}); c.Uniform == a.Uniform {
		t.Fatalf("the next step drew the same uniform %v", c.Uniform)
	}
}

func TestDistributionIsAscendingSumsToOneAndHoldsTheDraw(t *testing.T) {
	s := NewSampler()
	cfg := DefaultConfig()
	cfg.TopK, cfg.Seed = 25, 5
	d, err := s.Sample(spread(300, 2), cfg, Request{})
	if err != nil {
		t.Fatal(err)
	}
	ids, probs := s.Distribution()
	sum, found := 0.0, false
	for i, id := range ids {
		if i > 0 && ids[i-1] >= id {
			t.Fatalf("ids not ascending: %v", ids)
		}
		sum += probs[i]
		found = found || (int(id) == d.Token && probs[i] == d.Prob)
	}
	if len(ids) != 25 || math.Abs(sum-1) > 1e-12 || !found {
		t.Fatalf("%d ids, sum %v, draw found %v", len(ids), sum, found)
	}
	if _, err := s.Sample([]float32{float32(math.Inf(-1))}, DefaultConfig(), Request{}); !errors.Is(err, ErrEmpty) {
		t.Fatalf("got %v", err)
	}
	if ids, _ := s.Distribution(); ids != nil {
		t.Fatal("a refused step left a distribution")
	}
}

func TestMaskBiasAndPenaltiesReachTheKernel(t *testing.T) {
	logits := []float32{5, 4, 3, 2}
	greedy := DefaultConfig()
	greedy.Temperature = 0
	mask, _ := NewMask(4, false)
	_, _ = mask.Allow(2), mask.Allow(3)
	if d := mustSample(t, logits, greedy, Request{Mask: mask}); d.Token != 2 {
		t.Fatalf("mask: %+v", d)
	}
	ban := []Bias{{0, float32(math.Inf(-1))}, {3, 2.5}}
	if d := mustSample(t, logits, greedy, Request{Bias: ban}); d.Token != 3 {
		t.Fatalf("bias: %+v", d)
	}
	penalized := greedy
	penalized.PresencePenalty = 2
	if d := mustSample(t, logits, penalized, Request{Recent: []int32{0}}); d.Token != 1 {
		t.Fatalf("penalty: %+v", d)
	}
}

func TestMirostatCarriesMuThroughNext(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Mirostat, cfg.MirostatTau, cfg.MirostatEta, cfg.MirostatMu, cfg.Seed = 2, 3, 0.5, 6, 9
	d := mustSample(t, spread(1000, 3), cfg, Request{})
	if want := 6 - 0.5*(-math.Log2(d.Prob)-3); math.Abs(d.MuNext-want) > 1e-9 {
		t.Fatalf("mu_next %v, want %v", d.MuNext, want)
	}
	if next := cfg.Next(d); next.Step != 1 || next.MirostatMu != d.MuNext {
		t.Fatalf("next %+v", next)
	}
}

func TestEveryStatusHasItsError(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tooMany := DefaultConfig()
	tooMany.TopK = 3
	mirostat1 := DefaultConfig()
	mirostat1.Mirostat = 1
	lateStep := DefaultConfig()
	lateStep.Step = 1 << 53
	none, _ := NewMask(2, false)
	other, _ := NewMask(3, true)
	cases := []struct {
		name   string
		logits []float32
		cfg    Config
		req    Request
		want   *KernelError
	}{
		{"empty", nil, DefaultConfig(), Request{}, ErrVocab},
		{"NaN", []float32{1, nan}, DefaultConfig(), Request{}, ErrNonFinite},
		{"+inf", []float32{1, inf}, DefaultConfig(), Request{}, ErrNonFinite},
		{"top_k > V", []float32{1, 2}, tooMany, Request{}, ErrParam},
		{"Mirostat 1", []float32{1, 2}, mirostat1, Request{}, ErrParam},
		{"step 2^53", []float32{1, 2}, lateStep, Request{}, ErrParam},
		{"bias id outside", []float32{1, 2}, DefaultConfig(), Request{Bias: []Bias{{2, 1}}}, ErrParam},
		{"all masked", []float32{1, 2}, DefaultConfig(), Request{Mask: none}, ErrEmpty},
		{"mask of another vocabulary", []float32{1, 2}, DefaultConfig(), Request{Mask: other}, ErrBuffer},
		{"wasm-simd128 forced on a native build", []float32{1, 2}, DefaultConfig(), Request{ISA: 4}, ErrISA},
	}
	for _, c := range cases {
		_, err := Sample(c.logits, c.cfg, c.req)
		var kernel *KernelError
		if !errors.Is(err, c.want) || !errors.As(err, &kernel) || kernel.Status != c.want.Status {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}
