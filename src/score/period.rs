//! Scoring periods: cutting a call's start instant into a day, ISO week or month of the site's
//! time zone, and the labels (`2026-11-02`, `2026-W45`, `2026-11`) that supervisors' CSV files
//! and reports use to name them.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, ISOWeekDate, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

/// How long a scorecard's period is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Day,
    Week,
    Month,
}

impl PeriodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Day => "day",
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
        }
    }
}

impl FromStr for PeriodKind {
    type Err = String;

    fn from_str(s: &str) -> Result<PeriodKind, String> {
        match s {
            "day" => Ok(PeriodKind::Day),
            "week" => Ok(PeriodKind::Week),
            "month" => Ok(PeriodKind::Month),
            _ => Err(format!("period `{s}` must be day, week or month")),
        }
    }
}

impl fmt::Display for PeriodKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One period: its kind and first day (a Monday for weeks, the 1st for months).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub start: Date,
    pub kind: PeriodKind,
}

impl Period {
    /// The period holding `at`, with days cut at midnight in `tz`.
    pub fn of(kind: PeriodKind, at: Timestamp, tz: &TimeZone) -> Period {
        Period::containing(kind, at.to_zoned(tz.clone()).date())
    }

    /// The period holding a calendar day.
    pub fn containing(kind: PeriodKind, day: Date) -> Period {
        let start = match kind {
            PeriodKind::Day => day,
            PeriodKind::Month => day.first_of_month(),
            // Weekday offset from Monday: never crosses a representable boundary for real dates.
            PeriodKind::Week => day.checked_sub((day.weekday().to_monday_zero_offset() as i64).days()).unwrap_or(day),
        };
        Period { start, kind }
    }

    /// The label, e.g. `2026-11`, `2026-W45`, `2026-11-02`.
    pub fn label(&self) -> String {
        self.to_string()
    }

    /// Parses a label; its form says its kind.
    pub fn parse(s: &str) -> Option<Period> {
        let s = s.trim();
        if let Some((y, w)) = s.split_once("-W") {
            let (y, w) = (y.parse::<i16>().ok()?, w.parse::<i8>().ok()?);
            if s.len() != 8 {
                return None;
            }
            let d = ISOWeekDate::new(y, w, Weekday::Monday).ok()?.date();
            return Some(Period { start: d, kind: PeriodKind::Week });
        }
        match s.len() {
            7 => {
                let d: Date = format!("{s}-01").parse().ok()?;
                Some(Period { start: d, kind: PeriodKind::Month })
            }
            10 => Some(Period { start: s.parse().ok()?, kind: PeriodKind::Day }),
            _ => None,
        }
    }

    /// The day after the period.
    pub fn end(&self) -> Date {
        let step = match self.kind {
            PeriodKind::Day => 1.day(),
            PeriodKind::Week => 1.week(),
            PeriodKind::Month => 1.month(),
        };
        self.start.checked_add(step).unwrap_or(self.start)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::Day => write!(f, "{}", self.start),
            PeriodKind::Month => write!(f, "{:04}-{:02}", self.start.year(), self.start.month()),
            PeriodKind::Week => {
                let w = self.start.iso_week_date();
                write!(f, "{:04}-W{:02}", w.year(), w.week())
            }
        }
    }
}

/// The message for a label that does not parse, naming the accepted forms.
pub(crate) fn bad_label(s: &str) -> String {
    format!("period {s:?} is not a day (2026-11-02), ISO week (2026-W45) or month (2026-11)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn cut_in_the_site_time_zone() {
        // 23:30 in Shanghai on 30 November is 15:30 UTC the same day; 00:30 on 1 December in
        // Shanghai is still 30 November in UTC.
        let sh = TimeZone::get("Asia/Shanghai").unwrap();
        let late = ts("2026-11-30T23:30:00+08:00");
        assert_eq!(late, ts("2026-11-30T15:30:00Z"));
        assert_eq!(Period::of(PeriodKind::Month, late, &sh).label(), "2026-11");
        let after = ts("2026-12-01T00:30:00+08:00");
        assert_eq!(Period::of(PeriodKind::Month, after, &sh).label(), "2026-12");
        assert_eq!(Period::of(PeriodKind::Month, after, &TimeZone::UTC).label(), "2026-11");
        assert_eq!(Period::of(PeriodKind::Day, after, &sh).label(), "2026-12-01");
        assert_eq!(Period::of(PeriodKind::Day, after, &TimeZone::UTC).label(), "2026-11-30");
    }

    #[test]
    fn iso_weeks() {
        // 2026-11-02 is a Monday in ISO week 45; 2027-01-01 (a Friday) is in 2026-W53.
        let p = Period::containing(PeriodKind::Week, "2026-11-05".parse().unwrap());
        assert_eq!((p.label(), p.start.to_string(), p.end().to_string()), ("2026-W45".into(), "2026-11-02".into(), "2026-11-09".into()));
        assert_eq!(Period::containing(PeriodKind::Week, "2027-01-01".parse().unwrap()).label(), "2026-W53");
    }

    #[test]
    fn labels_round_trip() {
        for l in ["2026-11", "2026-W45", "2026-W01", "2026-11-02"] {
            assert_eq!(Period::parse(l).map(|p| p.label()).as_deref(), Some(l));
        }
        for bad in ["2026-13", "2026-W54", "2026-W5", "26-11", "2026/11", "", "2026-11-31"] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
        assert_eq!(Period::parse("2026-11").unwrap().end().to_string(), "2026-12-01");
    }
}
