package main

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

// The codec must be encoding/base64 exactly: same text for every input
// length and content, same bytes and same error for every text.
func TestBase64MatchesStandardEncoding(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 11))
	for n := range 700 {
		for range 4 {
			src := make([]byte, n)
			for i := range src {
				src[i] = byte(rnd.Uint32())
			}
			prefix := []byte("keep")
			enc := appendBase64(bytes.Clone(prefix), src)
			if want := base64.StdEncoding.AppendEncode(bytes.Clone(prefix), src); !bytes.Equal(enc, want) {
				t.Fatalf("encode of %d bytes:\n got %q\nwant %q", n, enc, want)
			}
			dec, err := appendDecodedBase64(bytes.Clone(prefix), enc[len(prefix):])
			if err != nil || !bytes.Equal(dec, append(bytes.Clone(prefix), src...)) {
				t.Fatalf("decode of %d bytes: %v", n, err)
			}
		}
	}
}

func TestBase64DecodeAgreesOnOddText(t *testing.T) {
	valid := base64.StdEncoding.EncodeToString([]byte("a reading of some length, long enough for several steps"))
	cases := []string{
		"", "=", "A", "AA==", "AAA=", "AAAA", "AA=A", "AAAA====",
		valid,
		valid[:len(valid)-1],
		valid[:16] + "\r\n" + valid[16:],
		valid[:13] + "\n" + valid[13:],
		valid[:20] + "*" + valid[21:],
		valid[:8] + "=" + valid[9:],
		valid + "\n",
		"\n" + valid,
		valid[:len(valid)-4] + "AB=C",
		"QUJD\x00EFGHIJKLMNOP",
	}
	rnd := rand.New(rand.NewPCG(3, 5))
	for range 3000 {
		b := []byte(valid)
		for range 1 + rnd.IntN(3) {
			b[rnd.IntN(len(b))] = "=\n\r*-_ A/+"[rnd.IntN(10)]
		}
		cases = append(cases, string(b[:rnd.IntN(len(b)+1)]))
	}
	for _, text := range cases {
		want := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
		n, wantErr := base64.StdEncoding.Decode(want, []byte(text))
		got, err := appendDecodedBase64(nil, []byte(text))
		if !bytes.Equal(got, want[:n]) || (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Errorf("%q:\n got %q, %v\nwant %q, %v", text, got, err, want[:n], wantErr)
		}
	}
}

func FuzzBase64(f *testing.F) {
	f.Add([]byte("deviceid-048,2026-03-07T09:58:14.08+01:00,105.47"), []byte("ZGV2aWNl\naWQ="))
	f.Fuzz(func(t *testing.T, data, text []byte) {
		if got, want := appendBase64(nil, data), base64.StdEncoding.AppendEncode(nil, data); !bytes.Equal(got, want) {
			t.Fatalf("encode %q: got %q, want %q", data, got, want)
		}
		want := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
		n, wantErr := base64.StdEncoding.Decode(want, text)
		got, err := appendDecodedBase64(nil, text)
		if !bytes.Equal(got, want[:n]) || (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Fatalf("decode %q: got %q, %v; want %q, %v", text, got, err, want[:n], wantErr)
		}
	})
}

// The codec against encoding/base64 on the records of the CSV benchmark:
// their data (decode) and their converted lines (encode).
func BenchmarkBase64(b *testing.B) {
	recs := newGenerator(42, genOptions{nulls: 0.05}).batch(benchRecords)
	var lines [][]byte
	for _, r := range quietTransformer().transform(recs).Records {
		lines = append(lines, bytes.Clone(r.Data))
	}
	var texts [][]byte
	for _, r := range recs {
		texts = append(texts, base64.StdEncoding.AppendEncode(nil, r.Data))
	}
	size := func(bs [][]byte) (n int64) {
		for _, x := range bs {
			n += int64(len(x))
		}
		return n
	}
	dst := make([]byte, 0, 1<<20)
	b.Run("encode/std", func(b *testing.B) {
		b.SetBytes(size(lines))
		for b.Loop() {
			dst = dst[:0]
			for _, l := range lines {
				dst = base64.StdEncoding.AppendEncode(dst, l)
			}
		}
	})
	b.Run("encode/pairs", func(b *testing.B) {
		b.SetBytes(size(lines))
		for b.Loop() {
			dst = dst[:0]
			for _, l := range lines {
				dst = appendBase64(dst, l)
			}
		}
	})
	b.Run("decode/std", func(b *testing.B) {
		b.SetBytes(size(texts))
		for b.Loop() {
			dst = dst[:0]
			for _, t := range texts {
				dst, _ = base64.StdEncoding.AppendDecode(dst, t)
			}
		}
	})
	b.Run("decode/sextets", func(b *testing.B) {
		b.SetBytes(size(texts))
		for b.Loop() {
			dst = dst[:0]
			for _, t := range texts {
				dst, _ = appendDecodedBase64(dst, t)
			}
		}
	})
}
