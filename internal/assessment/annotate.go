package assessment

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Quarter is a worker's quarterly grade from the months assessed so far.
type Quarter struct {
	Quarter  string         `json:"quarter"` // 2026-Q4
	Months   []QuarterMonth `json:"months"`
	Mean     float64        `json:"mean"`
	Grade    string         `json:"grade"`
	GradeEN  string         `json:"grade_en"`
	Complete bool           `json:"complete"` // all three months assessed
}

// QuarterMonth is one month of a quarter.
type QuarterMonth struct {
	Month  string  `json:"month"`
	Total  float64 `json:"total"`
	Vetoed bool    `json:"vetoed"`
}

// AddMonths returns the YYYY-MM k months after month (k may be negative).
func AddMonths(month string, k int) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return ""
	}
	return t.AddDate(0, k, 0).Format("2006-01")
}

// QuarterOf returns "YYYY-Qn" and the quarter's months up to and including month.
func QuarterOf(month string) (string, []string) {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return "", nil
	}
	q := (int(t.Month()) - 1) / 3
	first := time.Date(t.Year(), time.Month(q*3+1), 1, 0, 0, 0, 0, time.UTC)
	var ms []string
	for m := first; !m.After(t); m = m.AddDate(0, 1, 0) {
		ms = append(ms, m.Format("2006-01"))
	}
	return fmt.Sprintf("%d-Q%d", t.Year(), q+1), ms
}

// Annotate ranks month's results within each street (total descending,
// vetoed months last, ties share a rank), and sets the quarterly grade and
// the flags from history (the latest results of earlier months, by
// YYYY-MM). A vetoed month in the quarter makes the quarter's grade the
// lowest one.
func Annotate(r *Rubric, month string, results []*Result, history map[string][]*Result) {
	streets := map[string][]*Result{}
	for _, res := range results {
		streets[res.Worker.Street] = append(streets[res.Worker.Street], res)
	}
	for _, rs := range streets {
		slices.SortStableFunc(rs, func(a, b *Result) int {
			if a.Vetoed != b.Vetoed {
				if a.Vetoed {
					return 1
				}
				return -1
			}
			return cmp.Or(cmp.Compare(b.Total, a.Total), cmp.Compare(a.Worker.Username, b.Worker.Username))
		})
		for i, res := range rs {
			res.Rank = i + 1
			if i > 0 && rs[i-1].Vetoed == res.Vetoed && rs[i-1].Total == res.Total {
				res.Rank = rs[i-1].Rank
			}
			res.StreetSize = len(rs)
		}
		lastRank := rs[len(rs)-1].Rank
		for _, res := range rs {
			res.Last = lastRank > 1 && res.Rank == lastRank
		}
	}
	past := func(m string, id int64) *Result {
		for _, res := range history[m] {
			if res.Worker.ID == id {
				return res
			}
		}
		return nil
	}
	q, months := QuarterOf(month)
	prev1, prev2 := AddMonths(month, -1), AddMonths(month, -2)
	for _, res := range results {
		res.Flags, res.FlagsDetails, res.FlagPhrases = []string{}, []string{}, nil
		flag := func(key string, args ...string) {
			p := phrase(key, args...)
			res.FlagPhrases = append(res.FlagPhrases, p)
			res.FlagsDetails = append(res.FlagsDetails, p.English())
		}
		if p := past(prev1, res.Worker.ID); res.Last && p != nil && p.Last {
			res.Flags = append(res.Flags, FlagLastTwoMonths)
			flag("assessment.flag.last_two", prev1, month)
		}
		p1, p2 := past(prev1, res.Worker.ID), past(prev2, res.Worker.ID)
		if !res.Qualified && p1 != nil && !p1.Qualified && p2 != nil && !p2.Qualified {
			res.Flags = append(res.Flags, FlagUnqualifiedThreeMonths)
			flag("assessment.flag.unqualified3", prev2, prev1, month)
		}
		qt := &Quarter{Quarter: q}
		vetoed := false
		sum := 0.0
		for _, m := range months {
			x := res
			if m != month {
				x = past(m, res.Worker.ID)
			}
			if x == nil {
				continue
			}
			qt.Months = append(qt.Months, QuarterMonth{Month: m, Total: x.Total, Vetoed: x.Vetoed})
			sum += x.Total
			vetoed = vetoed || x.Vetoed
		}
		qt.Mean = round2(sum / float64(len(qt.Months)))
		g := r.Grade(qt.Mean)
		if vetoed {
			g = r.Grades[len(r.Grades)-1]
		}
		qt.Grade, qt.GradeEN = g.Name, g.NameEN
		qt.Complete = len(qt.Months) == 3
		res.Quarter = qt
	}
}
