package rsk

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"testing"
)

// Parity with the TypeScript API: tests/kernels/bindings.test.ts writes seeded draws to RSK_PARITY_FILE and runs this.
type parityFile struct {
	Cases []parityCase `json:"cases"`
	Batch []parityCase `json:"batch"`
	Masks []struct {
		Vocab   int      `json:"vocab"`
		A       []uint32 `json:"a"`
		B       []uint32 `json:"b"`
		And     []uint32 `json:"and"`
		Or      []uint32 `json:"or"`
		Counts  []int    `json:"counts"`
		Logits  float32s `json:"logits"`
		Applied float32s `json:"applied"`
	} `json:"masks"`
}

// parityCase is one sampler over one row of logits: its draws over consecutive steps, or the status refusing it.
type parityCase struct {
	Name   string          `json:"name"`
	Logits float32s        `json:"logits"`
	Config json.RawMessage `json:"config"`
	Mask   []uint32        `json:"mask"`
	Recent []int32         `json:"recent"`
	Bias   struct {
		IDs    []int32  `json:"ids"`
		Values float32s `json:"values"`
	} `json:"bias"`
	Status *int `json:"status"`
	Draws  []struct {
		Token   int       `json:"token"`
		Prob    float64   `json:"prob"`
		MuNext  float64   `json:"mu_next"`
		Size    int       `json:"size"`
		Uniform float64   `json:"uniform"`
		IDs     []int32   `json:"ids"`
		Probs   []float64 `json:"probs"`
	} `json:"draws"`
}

// float32s is little-endian float32 values in base64 (exact, and NaN / ±inf survive JSON).
type float32s []float32

func (f *float32s) UnmarshalJSON(text []byte) error {
	var encoded string
	if err := json.Unmarshal(text, &encoded); err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return err
	}
	*f = make(float32s, len(raw)/4)
	for i := range *f {
		(*f)[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return nil
}

func readParity(t *testing.T) parityFile {
	path := os.Getenv("RSK_PARITY_FILE")
	if path == "" {
		t.Skip("RSK_PARITY_FILE is not set (tests/kernels/bindings.test.ts writes it)")
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file parityFile
	if err := json.Unmarshal(text, &file); err != nil {
		t.Fatal(err)
	}
	return file
}

// inputs are the case's config and request.
func (c parityCase) inputs(t *testing.T) (Config, Request) {
	cfg := DefaultConfig()
	if err := json.Unmarshal(c.Config, &cfg); err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	req := Request{Recent: c.Recent}
	for i, id := range c.Bias.IDs {
		req.Bias = append(req.Bias, Bias{id, c.Bias.Values[i]})
	}
	if c.Mask != nil {
		mask, err := MaskFromWords(len(c.Logits), c.Mask)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		req.Mask = mask
	}
	return cfg, req
}

func TestParityDraws(t *testing.T) {
	for _, c := range readParity(t).Cases {
		cfg, req := c.inputs(t)
		s := NewSampler()
		if c.Status != nil {
			var kernel *KernelError
			if _, err := s.Sample(c.Logits, cfg, req); !errors.As(err, &kernel) || kernel.Status != *c.Status {
				t.Errorf("%s: got %v, want status %d", c.Name, err, *c.Status)
			}
			continue
		}
		for step, want := range c.Draws {
			d, err := s.Sample(c.Logits, cfg, req)
			ids, probs := s.Distribution()
			got := Draw{want.Token, want.Prob, want.MuNext, want.Size, want.Uniform}
			if err != nil || d != got || !reflect.DeepEqual(ids, want.IDs) || !reflect.DeepEqual(probs, want.Probs) {
				t.Fatalf("%s, step %d: got %+v (%v), want %+v", c.Name, step, d, err, got)
			}
			cfg = cfg.Next(d)
		}
	}
}

func TestParityBatch(t *testing.T) {
	cases := readParity(t).Batch
	var logits []float32
	rows := make([]BatchRow, len(cases))
	for r, c := range cases {
		logits = append(logits, c.Logits...)
		rows[r].Config, rows[r].Request = c.inputs(t)
	}
	results, err := SampleBatch(logits, len(cases[0].Logits), rows)
	if err != nil {
		t.Fatal(err)
	}
	for r, c := range cases {
		var kernel *KernelError
		if c.Status != nil {
			if !errors.As(results[r].Err, &kernel) || kernel.Status != *c.Status {
				t.Errorf("%s: got %+v, want status %d", c.Name, results[r], *c.Status)
			}
			continue
		}
		want := c.Draws[0]
		if got := (Draw{want.Token, want.Prob, want.MuNext, want.Size, want.Uniform}); results[r].Err != nil || results[r].Draw != got {
			t.Errorf("%s: got %+v, want %+v", c.Name, results[r], got)
		}
	}
}

func TestParityMasks(t *testing.T) {
	for _, c := range readParity(t).Masks {
		a, errA := MaskFromWords(c.Vocab, c.A)
		b, errB := MaskFromWords(c.Vocab, c.B)
		and, _ := NewMask(c.Vocab, false)
		or, _ := NewMask(c.Vocab, false)
		for _, err := range []error{errA, errB, and.And(a, b), or.Or(a, b), a.Apply(c.Logits)} {
			if err != nil {
				t.Fatalf("vocab %d: %v", c.Vocab, err)
			}
		}
		countA, _ := a.Count()
		countB, _ := b.Count()
		if !reflect.DeepEqual(and.Words(), c.And) || !reflect.DeepEqual(or.Words(), c.Or) || countA != c.Counts[0] || countB != c.Counts[1] {
			t.Errorf("vocab %d: and/or/count differ", c.Vocab)
		}
		for i := range c.Logits {
			if math.Float32bits(c.Logits[i]) != math.Float32bits(c.Applied[i]) {
				t.Fatalf("vocab %d: applied logit %d = %v, want %v", c.Vocab, i, c.Logits[i], c.Applied[i])
			}
		}
	}
}
