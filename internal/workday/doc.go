// Package workday computes deadlines in working days under China's official
// holiday calendar (mainland China, time zone Asia/Shanghai).
//
// # Working days
//
// A working day is a Monday–Friday that is not a listed day off, or a
// weekend day listed as a make-up working day (调休上班). The lists come
// year by year from the State Council General Office notice published each
// November; a [Year] holds one year's lists and a [Calendar] is an immutable
// value built from several of them. [China2025] and [China2026] hold the
// official data for 2025 and 2026; they are only a seed: the database owns
// the calendar and may edit it or add later years, and a new [Calendar] is
// built from whatever it holds.
//
// For a year the calendar does not cover (see [Calendar.Covers]) every
// Monday–Friday is a working day and every Saturday and Sunday is not.
// Callers that compute deadlines running into an uncovered year should warn
// that the official calendar has not been loaded yet.
//
// # Civil dates
//
// Every rule works on civil dates in Asia/Shanghai ([Shanghai]): an instant
// such as 2026-09-30T17:00:00Z is on 2026-10-01 (01:00 CST), whatever the
// location of the time.Time value.
//
// # Deadline rule
//
// A time limit of n working days starting at instant t (for example the
// acceptance of a case) is counted from the day after the day of t, as in
// 自受理之次日起计算: the day of t itself never counts, even if t is early
// in a working day. The limit ends at the end (24:00 Asia/Shanghai) of the
// n-th working day after the day of t, and [Calendar.Deadline] returns that
// instant, which is 00:00 of the following civil day. Work is on time if it
// is finished strictly before the deadline instant. For n = 0 the limit ends
// at the end of the day of t itself.
//
// [Calendar.WorkingDaysBetween] is the inverse measure: it counts the working
// days whose civil date is in (date(a), date(b)], so that for every t and
// n >= 0, WorkingDaysBetween(t, Deadline(t, n) - 1ns) == n.
//
// # Pauses (缓办)
//
// While a case is postponed its clock stops. [Calendar.DeadlineWithPauses]
// applies this rule: a working day counts unless the pauses, taken together,
// cover it entirely, that is, from 00:00 to 24:00 Asia/Shanghai. A working day
// on which a pause starts or ends, or which a pause covers only in part,
// still counts in full. Each [Interval] is half-open, [From, To); a zero To
// means a pause that has not ended yet.
package workday
