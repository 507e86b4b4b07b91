package workday

import "time"

// The official calendars below are only the seed of the database, which owns
// the calendar from then on: it may correct them and adds later years as they
// are published, and production code builds its Calendar from the database.
// Source: /work/shared/CALENDAR-CN.md.

// China2025 is the official 2025 calendar of mainland China (国办发明电〔2024〕12号 of 2024-11-12).
// It is seed data: treat it as read-only.
var China2025 = Year{
	Year: 2025,
	Off: []Date{
		// 元旦 New Year: 01-01
		{2025, time.January, 1}, // Wed
		// 春节 Spring Festival: 01-28 … 02-04 (8 days)
		{2025, time.January, 28}, // Tue
		{2025, time.January, 29}, // Wed
		{2025, time.January, 30}, // Thu
		{2025, time.January, 31}, // Fri
		{2025, time.February, 1}, // Sat
		{2025, time.February, 2}, // Sun
		{2025, time.February, 3}, // Mon
		{2025, time.February, 4}, // Tue
		// 清明节 Qingming: 04-04 … 04-06 (3 days)
		{2025, time.April, 4}, // Fri
		{2025, time.April, 5}, // Sat
		{2025, time.April, 6}, // Sun
		// 劳动节 Labour Day: 05-01 … 05-05 (5 days)
		{2025, time.May, 1}, // Thu
		{2025, time.May, 2}, // Fri
		{2025, time.May, 3}, // Sat
		{2025, time.May, 4}, // Sun
		{2025, time.May, 5}, // Mon
		// 端午节 Dragon Boat: 05-31 … 06-02 (3 days)
		{2025, time.May, 31}, // Sat
		{2025, time.June, 1}, // Sun
		{2025, time.June, 2}, // Mon
		// 国庆节+中秋节 National Day + Mid-Autumn: 10-01 … 10-08 (8 days)
		{2025, time.October, 1}, // Wed
		{2025, time.October, 2}, // Thu
		{2025, time.October, 3}, // Fri
		{2025, time.October, 4}, // Sat
		{2025, time.October, 5}, // Sun
		{2025, time.October, 6}, // Mon
		{2025, time.October, 7}, // Tue
		{2025, time.October, 8}, // Wed
	},
	Work: []Date{
		{2025, time.January, 26},   // Sun, make-up working day
		{2025, time.February, 8},   // Sat, make-up working day
		{2025, time.April, 27},     // Sun, make-up working day
		{2025, time.September, 28}, // Sun, make-up working day
		{2025, time.October, 11},   // Sat, make-up working day
	},
}

// China2026 is the official 2026 calendar of mainland China (the State Council General Office notice of 2025-11-04).
// It is seed data: treat it as read-only.
var China2026 = Year{
	Year: 2026,
	Off: []Date{
		// 元旦 New Year: 01-01 … 01-03 (3 days)
		{2026, time.January, 1}, // Thu
		{2026, time.January, 2}, // Fri
		{2026, time.January, 3}, // Sat
		// 春节 Spring Festival: 02-15 … 02-23 (9 days)
		{2026, time.February, 15}, // Sun
		{2026, time.February, 16}, // Mon
		{2026, time.February, 17}, // Tue
		{2026, time.February, 18}, // Wed
		{2026, time.February, 19}, // Thu
		{2026, time.February, 20}, // Fri
		{2026, time.February, 21}, // Sat
		{2026, time.February, 22}, // Sun
		{2026, time.February, 23}, // Mon
		// 清明节 Qingming: 04-04 … 04-06 (3 days)
		{2026, time.April, 4}, // Sat
		{2026, time.April, 5}, // Sun
		{2026, time.April, 6}, // Mon
		// 劳动节 Labour Day: 05-01 … 05-05 (5 days)
		{2026, time.May, 1}, // Fri
		{2026, time.May, 2}, // Sat
		{2026, time.May, 3}, // Sun
		{2026, time.May, 4}, // Mon
		{2026, time.May, 5}, // Tue
		// 端午节 Dragon Boat: 06-19 … 06-21 (3 days)
		{2026, time.June, 19}, // Fri
		{2026, time.June, 20}, // Sat
		{2026, time.June, 21}, // Sun
		// 中秋节 Mid-Autumn: 09-25 … 09-27 (3 days)
		{2026, time.September, 25}, // Fri
		{2026, time.September, 26}, // Sat
		{2026, time.September, 27}, // Sun
		// 国庆节 National Day: 10-01 … 10-07 (7 days)
		{2026, time.October, 1}, // Thu
		{2026, time.October, 2}, // Fri
		{2026, time.October, 3}, // Sat
		{2026, time.October, 4}, // Sun
		{2026, time.October, 5}, // Mon
		{2026, time.October, 6}, // Tue
		{2026, time.October, 7}, // Wed
	},
	Work: []Date{
		{2026, time.January, 4},    // Sun, make-up working day
		{2026, time.February, 14},  // Sat, make-up working day
		{2026, time.February, 28},  // Sat, make-up working day
		{2026, time.May, 9},        // Sat, make-up working day
		{2026, time.September, 20}, // Sun, make-up working day
		{2026, time.October, 10},   // Sat, make-up working day
	},
}
