package rsk

import "testing"

// Small-vocabulary throughput (V = 64, top-k 40) over the same 64 rows and configs: one call per token against one
// batch call per 64 tokens. go test -run '^$' -bench . (ns/op is per sampled token in both).
const benchVocab, benchRows = 64, 64

func benchInputs() ([]float32, []BatchRow) {
	rows := make([]BatchRow, benchRows)
	for r := range rows {
		rows[r].Config = DefaultConfig()
		rows[r].Config.TopK, rows[r].Config.Seed = 40, uint64(r)
	}
	return spread(benchVocab*benchRows, 7), rows
}

func BenchmarkSampleTopK40V64(b *testing.B) {
	logits, rows := benchInputs()
	s := NewSampler()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := i % benchRows
		if _, err := s.Sample(logits[r*benchVocab:(r+1)*benchVocab], rows[r].Config, Request{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSampleBatchTopK40V64(b *testing.B) {
	logits, rows := benchInputs()
	s := NewSampler()
	b.ResetTimer()
	for i := 0; i < b.N; i += benchRows {
		if _, err := s.SampleBatch(logits, benchVocab, rows); err != nil {
			b.Fatal(err)
		}
	}
}
