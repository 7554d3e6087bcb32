package main

import (
	"fmt"
	"io"
	"testing"
)

// BenchmarkEvaluate runs whole invocations against the in-memory S3 on
// 4 part files of 50,000 rows: listing, pairing, parsing both streams, the
// metrics (sorting for the AUC) and writing the result. The objects are
// generated once, before timing. MB/s counts label and prediction bytes.
func BenchmarkEvaluate(b *testing.B) {
	for _, problem := range []string{binary, regression} {
		b.Run(problem, func(b *testing.B) {
			const parts, rows = 4, 50_000
			f := newFakeS3()
			var input int64
			for part := range parts {
				rel := fmt.Sprintf("part-%05d.csv", part)
				labels, _ := io.ReadAll(&genReader{part: part, n: rows, labels: true})
				preds, _ := io.ReadAll(&genReader{part: part, n: rows})
				putPair(b, f, rel, string(labels), string(preds))
				input += int64(len(labels) + len(preds))
			}
			event := `{"predictionsUri":"` + predsPrefix + `","labelsUri":"` + labelsPrefix + `","problemType":"` + problem + `"}`
			e, _ := testEvaluator(f, testKeyARN)
			if res, err := e.Handle(b.Context(), []byte(event)); err != nil || res.Rows != parts*rows {
				b.Fatalf("%v %v", res, err)
			}
			b.SetBytes(input)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Handle(b.Context(), []byte(event)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*parts*rows/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
