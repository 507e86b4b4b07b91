package tiles

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// BenchmarkGoFeaturesPage pages a Go-computed layer of 100,000 features
// (IDs shaped like the coverage cells') 100 at a time: the cost of a page
// beyond computing the features (selecting, sorting by ID, encoding).
func BenchmarkGoFeaturesPage(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	fs := make([]*geojson.Feature, 100_000)
	for i := range fs {
		f := geojson.NewFeature(orb.Point{117 + rng.Float64(), 36 + rng.Float64()})
		f.ID = fmt.Sprintf("2026-11:w%05d:3701%011d:8b%013x", rng.IntN(500), rng.IntN(20000), rng.Uint64()>>12)
		f.Properties = geojson.Properties{"covered": i%2 == 0}
		fs[i] = f
	}
	st := &Stores{Go: map[string]FindFunc{"cells": func(context.Context, SourceQuery) ([]*geojson.Feature, error) {
		return append([]*geojson.Feature(nil), fs...), nil
	}}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		page, n, err := st.Features(ctx, FeatureQuery{Layer: "cells", Limit: 100, Offset: 500})
		if err != nil || len(page) != 100 || n != len(fs) {
			b.Fatal(err, len(page), n)
		}
	}
}
