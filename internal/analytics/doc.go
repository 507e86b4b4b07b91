// Package analytics holds the figures leaders look at: recurring hot spots
// of cases on an H3 lattice, and (elsewhere in the package) rates and
// scorecards. It is pure domain code: Store is what it needs from the
// database; the statistics are plain Go functions.
//
// # Hot spots
//
// Cases (merged duplicates and rejected reports excluded) are counted per H3
// cell of the chosen resolution, per month (Asia/Shanghai) and, when asked,
// for one category over [from, to). The study area is the set of cells
// whose centres lie in the grids of the scope (the `parent` subtree or the
// caller's scope), plus any cell holding a counted case.
//
// Getis-Ord Gi* is computed for every cell i of the study area (n cells)
// with binary weights over its neighbourhood N(i): the cell itself and its
// k-ring-1 neighbours in the study area (w_ij = 1 for j ∈ N(i), W_i = |N(i)|):
//
//	Gi* = (Σ_{j∈N(i)} x_j − X̄·W_i) / (S·√((n·W_i − W_i²)/(n−1)))
//	X̄ = Σx_j/n,  S = √(Σx_j²/n − X̄²)
//
// Gi* is a z-score; its p-value is two-sided from the standard normal.
// The p-values of all cells are adjusted together with Benjamini–Hochberg
// (q-values); a cell is *hot* in a period when z > 0 and q ≤ Alpha
// (default 0.05). As with every Gi* analysis, the neighbours of a strong
// hot cell are hot too: a hot spot is a cluster of cells, not one cell.
//
// # Trend
//
// The months of [from, to) are split into a first and a second half (the
// first ⌊m/2⌋ and the last ⌊m/2⌋ months; the middle month of an odd count
// belongs to neither), and Gi* with its own FDR correction is computed for
// each half. A cell is *significant* when it is hot over the whole period
// or in either half; its trend is then:
//
//   - new: hot in the second half, not in the first;
//   - fading: hot in the first half, not in the second;
//   - intensifying: hot in both halves, and the monthly counts of its
//     neighbourhood rise by the Mann-Kendall test (S > 0, two-sided
//     p ≤ 0.05, tie-corrected variance);
//   - persistent: hot in both halves and not intensifying;
//   - sporadic: hot over the whole period but in neither half alone.
//
// With fewer than two months there are no halves: a hot cell's trend is
// sporadic.
//
// # Recurring cases
//
// A case is *recurring* when its location falls in a cell (at
// RecurringResolution) that is a persistent or intensifying hot spot of its
// category over the twelve whole months before the last refresh of the
// cache (Service.Refresh, run hourly by the server). Reading the flag is a
// map lookup; it never runs the analysis.
package analytics
