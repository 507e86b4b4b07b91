package mapimage

import (
	"bytes"
	"image/color"
	"image/png"
	"testing"

	"github.com/paulmach/orb"
)

// A square outlined in black and a red point: the PNG decodes, the
// outline's pixels are dark, the point's red, the corners background.
func TestRender(t *testing.T) {
	sq := orb.Polygon{{{117.0, 36.0}, {117.1, 36.0}, {117.1, 36.1}, {117.0, 36.1}, {117.0, 36.0}}}
	b, err := PNG(200, 200, sq.Bound(),
		[]Feature{{Geometry: sq, Style: Style{Fill: color.RGBA{0xdd, 0xdd, 0xff, 0xff}, Stroke: color.Black, Width: 2}}},
		[]Feature{{Geometry: orb.Point{117.05, 36.05}, Style: Style{Fill: color.RGBA{0xff, 0, 0, 0xff}, Radius: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	v := newView(200, 200, sq.Bound(), 12)
	at := func(p orb.Point) color.RGBA {
		x, y := v.xy(p)
		return color.RGBAModel.Convert(img.At(int(x), int(y))).(color.RGBA)
	}
	if c := at(orb.Point{117.05, 36.05}); c.R < 200 || c.G > 60 {
		t.Errorf("point pixel %v, want red", c)
	}
	if c := at(orb.Point{117.0, 36.05}); c.R > 100 {
		t.Errorf("outline pixel %v, want dark", c)
	}
	if c := at(orb.Point{117.02, 36.02}); c != (color.RGBA{0xdd, 0xdd, 0xff, 0xff}) {
		t.Errorf("fill pixel %v", c)
	}
	if c := color.RGBAModel.Convert(img.At(1, 1)).(color.RGBA); c != Background {
		t.Errorf("corner %v, want background", c)
	}
}
