// Package mapimage renders a static map image (PNG) of WGS84 features for
// printed reports: polygons filled and outlined, lines and points, drawn
// in layer order over a plain background. The view is the given bound,
// padded, in an equirectangular projection scaled by cos(latitude) at its
// centre, which at town scale is indistinguishable from Web Mercator.
package mapimage

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"

	"github.com/fogleman/gg"
	"github.com/paulmach/orb"
)

// Style is how a feature is drawn; a nil colour is not drawn.
type Style struct {
	Fill   color.Color
	Stroke color.Color
	Width  float64 // stroke width in pixels (default 1)
	Radius float64 // point radius in pixels (default 3)
}

// Feature is one geometry and its style.
type Feature struct {
	Geometry orb.Geometry
	Style    Style
}

// Background is the map's background colour.
var Background = color.RGBA{0xfa, 0xfa, 0xf7, 0xff}

// view maps lon/lat to pixels.
type view struct {
	minX, maxY, scale, kx float64
	offX, offY            float64
}

func newView(w, h int, b orb.Bound, pad float64) view {
	lat0 := (b.Min[1] + b.Max[1]) / 2
	kx := math.Cos(lat0 * math.Pi / 180)
	dx := math.Max((b.Max[0]-b.Min[0])*kx, 1e-9)
	dy := math.Max(b.Max[1]-b.Min[1], 1e-9)
	aw, ah := float64(w)-2*pad, float64(h)-2*pad
	scale := math.Min(aw/dx, ah/dy)
	return view{minX: b.Min[0], maxY: b.Max[1], scale: scale, kx: kx,
		offX: pad + (aw-dx*scale)/2, offY: pad + (ah-dy*scale)/2}
}

func (v view) xy(p orb.Point) (float64, float64) {
	return v.offX + (p[0]-v.minX)*v.kx*v.scale, v.offY + (v.maxY-p[1])*v.scale
}

// Render draws the layers (the first at the bottom) into a w×h image
// showing bound.
func Render(w, h int, bound orb.Bound, layers ...[]Feature) image.Image {
	dc := gg.NewContext(w, h)
	dc.SetColor(Background)
	dc.Clear()
	v := newView(w, h, bound, 12)
	for _, l := range layers {
		for _, f := range l {
			draw(dc, v, f.Geometry, f.Style)
		}
	}
	return dc.Image()
}

// PNG renders and encodes as PNG.
func PNG(w, h int, bound orb.Bound, layers ...[]Feature) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, Render(w, h, bound, layers...)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func draw(dc *gg.Context, v view, g orb.Geometry, s Style) {
	width := s.Width
	if width == 0 {
		width = 1
	}
	switch g := g.(type) {
	case orb.MultiPolygon:
		for _, p := range g {
			draw(dc, v, p, s)
		}
	case orb.Polygon:
		dc.NewSubPath()
		for _, r := range g {
			ring(dc, v, r)
		}
		dc.SetFillRuleEvenOdd()
		if s.Fill != nil {
			dc.SetColor(s.Fill)
			if s.Stroke != nil {
				dc.FillPreserve()
			} else {
				dc.Fill()
			}
		}
		if s.Stroke != nil {
			dc.SetColor(s.Stroke)
			dc.SetLineWidth(width)
			dc.Stroke()
		}
		dc.ClearPath()
	case orb.LineString:
		if s.Stroke == nil || len(g) < 2 {
			return
		}
		for i, p := range g {
			x, y := v.xy(p)
			if i == 0 {
				dc.MoveTo(x, y)
			} else {
				dc.LineTo(x, y)
			}
		}
		dc.SetColor(s.Stroke)
		dc.SetLineWidth(width)
		dc.Stroke()
	case orb.MultiLineString:
		for _, l := range g {
			draw(dc, v, l, s)
		}
	case orb.Point:
		r := s.Radius
		if r == 0 {
			r = 3
		}
		x, y := v.xy(g)
		dc.DrawCircle(x, y, r)
		if s.Fill != nil {
			dc.SetColor(s.Fill)
			if s.Stroke != nil {
				dc.FillPreserve()
			} else {
				dc.Fill()
			}
		}
		if s.Stroke != nil {
			dc.SetColor(s.Stroke)
			dc.SetLineWidth(width)
			dc.Stroke()
		}
		dc.ClearPath()
	}
}

func ring(dc *gg.Context, v view, r orb.Ring) {
	for i, p := range r {
		x, y := v.xy(p)
		if i == 0 {
			dc.MoveTo(x, y)
		} else {
			dc.LineTo(x, y)
		}
	}
	dc.ClosePath()
}
