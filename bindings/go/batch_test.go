package rsk

import (
	"errors"
	"math"
	"testing"
)

func TestBatchRowsDrawAsSingleStepsAndFailAlone(t *testing.T) {
	const vocab = 300
	logits := append(append(spread(vocab, 4), spread(vocab, 5)...), make([]float32, vocab)...)
	for i := 2 * vocab; i < 3*vocab; i++ {
		logits[i] = float32(math.Inf(-1))
	}
	topK, mirostat := DefaultConfig(), DefaultConfig()
	topK.TopK, topK.Seed = 40, 11
	mirostat.Mirostat, mirostat.Seed, mirostat.Step = 2, 12, 5
	mask := maskOf(t, vocab, 1, 2, 3, 250)
	rows := []BatchRow{
		{Config: topK, Request: Request{Recent: []int32{7, 7}, Bias: []Bias{{5, 3}}}},
		{Config: mirostat, Request: Request{Mask: mask}},
		{Config: topK},
	}
	results, err := SampleBatch(logits, vocab, rows)
	if err != nil {
		t.Fatal(err)
	}
	for r, row := range rows[:2] {
		single := mustSample(t, logits[r*vocab:(r+1)*vocab], row.Config, row.Request)
		if results[r].Err != nil || results[r].Draw != single {
			t.Errorf("row %d: %+v, single %+v", r, results[r], single)
		}
	}
	if !errors.Is(results[2].Err, ErrEmpty) {
		t.Errorf("row 2: %+v", results[2])
	}
	if _, err := SampleBatch(logits[:vocab+1], vocab, rows[:1]); !errors.Is(err, ErrBuffer) {
		t.Errorf("ragged logits: %v", err)
	}
}
