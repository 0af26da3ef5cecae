//! The points-deduction rubric, read from a TOML file so that each centre's scheme is data.
//!
//! Loading mirrors rule packs (the rules' `load` module): serde reads the file into span-carrying
//! `Raw*` structs with unknown fields denied, then one validation pass turns them into a
//! [`Rubric`] or into every [`Problem`] it found, each with file, line and a plain message.
//! The format is documented in `rules/README.md` ("The scoring rubric").

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::period::PeriodKind;
use crate::finding::Severity;
use crate::shared::problem::Problem;

/// The default rubric (manual 001 篇四), built into the binary.
pub const DEFAULT_RUBRIC: &str = include_str!("../../rules/rubric.toml");

/// Coverage of a rubric file without `[coverage]`: the built-in rubric's choice (see
/// `rules/README.md`, "Full coverage").
pub const DEFAULT_COVERAGE: Coverage = Coverage::Normalised { calls: 10 };

/// Where each finding's points come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointsFrom {
    /// The finding's own `points` (the rule pack's `points`, which default to the severity's).
    Rule,
    /// The rubric's `[severity]` table, whatever the pack says.
    Severity,
}

/// What one occurrence of a severity costs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeverityPoints {
    /// Points deducted per occurrence.
    Points(f64),
    /// 直接辞退: the finding fails the period outright and deducts nothing.
    Fail,
}

/// Which findings a rubric clause is about. Every field given must hold; at least one is given.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Selector {
    pub rule: Option<String>,
    pub category: Option<String>,
    pub severity: Option<Severity>,
    /// Strictly more severe than this.
    pub above: Option<Severity>,
}

impl Selector {
    pub fn matches(&self, rule_id: &str, category: &str, severity: Severity) -> bool {
        self.rule.as_deref().is_none_or(|r| r == rule_id)
            && self.category.as_deref().is_none_or(|c| c == category)
            && self.severity.is_none_or(|s| s == severity)
            && self.above.is_none_or(|a| severity > a)
    }
}

/// Per-call settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallRules {
    /// A call's score starts here (the call score is floored at 0).
    pub base: f64,
    /// Occurrences of one rule counted per call; the rest are `capped`.
    pub max_per_rule: Option<u32>,
    /// Findings counted per call; the rest are `capped`.
    pub max_findings: Option<u32>,
    /// How often one utterance can be charged.
    pub per_utterance: PerUtterance,
}

/// How often one utterance is charged when several rules find something in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PerUtterance {
    /// Once per category: 有没有搞错，说那么大声 matched by two 服务忌语 rules is one charge,
    /// the other finding is kept but `capped` (the default: one sentence, one mistake).
    Category,
    /// Once per rule: every rule that fires charges.
    Rule,
}

/// Per-period settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeriodRules {
    /// A period's score starts here (80 in 001 篇四).
    pub base: f64,
    /// Full marks: a higher total counts as this (110).
    pub max: f64,
    /// A final score below this fails the period (60); `None`: only fatal findings fail it.
    pub fail_below: Option<f64>,
    /// The period the rubric's arithmetic applies to (pay float, escalations, bonuses,
    /// adjustments): a month in 001 篇四. Scorecards of other lengths are views.
    pub pay_period: PeriodKind,
    /// How the pay period's calls are counted now that every call is checked.
    pub coverage: Coverage,
}

/// How a pay period's findings become its score when every call is checked.
///
/// 001 篇四 was written for a supervisor's random spot checks (主管随机抽查): a handful of calls
/// a month. Charged per occurrence over *every* call, deductions grow with the number of calls
/// an agent takes, and the busiest agents rank worst. See `rules/README.md`, "Full coverage".
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum Coverage {
    /// Deductions and every count the rubric compares (escalations, automatic bonuses) are
    /// scaled down to `calls` calls when the period has more: the score is the mean of every
    /// possible spot check of `calls` calls (a period with fewer is checked whole, as a spot
    /// check would). Every call and finding is used.
    Normalised { calls: u32 },
    /// A deterministic random sample of `calls` calls per agent and pay period, scored exactly
    /// as the manual does; the same calls on every re-run and shard split.
    Sample { calls: u32 },
    /// Every call charged as the manual charges a spot-checked one: for sites that feed callqa
    /// only the calls a supervisor picked.
    All,
}

impl Coverage {
    /// How a scorecard states it, e.g. "per 10 calls".
    pub fn describe(&self) -> String {
        match self {
            Coverage::Normalised { calls } => format!("per {calls} calls"),
            Coverage::Sample { calls } => format!("sample of {calls} calls"),
            Coverage::All => "all calls".into(),
        }
    }
}

/// Per-rule or per-category points and caps, overriding the severity's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Override {
    pub select: Selector,
    pub points: Option<f64>,
    /// Occurrences of each matching rule counted per call.
    pub max_per_call: Option<u32>,
}

/// One count condition of a threshold escalation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub select: Selector,
    pub at_least: u32,
}

/// A step of a tiered escalation: from `at_least` occurrences, they cost `total` together.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tier {
    pub at_least: u32,
    pub total: f64,
}

/// How an escalation adds to a period's deductions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationRule {
    /// `extra` once when any condition holds (001 篇四: ≥ 2 medium or ≥ 4 minor → 20).
    Threshold { any: Vec<Condition>, extra: f64 },
    /// The findings matching `count` cost the highest reached tier's total when that is more
    /// than their own points (001 篇五: 1 each, 5 at three, 10 at five).
    Tiered { count: Selector, tiers: Vec<Tier> },
}

/// A period-level extra deduction driven by how many findings a period has.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Escalation {
    pub name: String,
    pub rule: EscalationRule,
    /// What a threshold condition's `at_least` counts.
    pub counts: Counts,
}

/// What a threshold escalation's conditions count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counts {
    /// Occurrences: four minor findings, of one rule or of four.
    Findings,
    /// Distinct rules with a finding. Under normalised coverage a rule counts when its scaled
    /// occurrences reach half a finding (a spot check would most likely hear it).
    Rules,
    /// Distinct categories with a finding, scaled likewise: 001 篇四's "违反轻度违规四条或以上"
    /// counts clauses (条) of its list, and the pack's categories (greeting, closing,
    /// forbidden, speech_rate…) are the closest thing to them (rules/README.md, "Full coverage").
    Categories,
}

/// A bonus item (加分项).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bonus {
    /// Short id used in `bonuses.csv` and in scorecards.
    pub item: String,
    pub name: String,
    pub points: f64,
    /// Automatic: granted when a period with calls has no counted finding matching this.
    /// `None`: manual, granted from `bonuses.csv`.
    pub unless_any: Option<Selector>,
    /// Manual items only: whether one agent may be granted it more than once a period.
    pub repeatable: bool,
}

/// The supervisor's adjustment range (额外奖惩).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdjustmentRange {
    pub min: f64,
    pub max: f64,
    pub reason_required: bool,
}

/// A grade band: scores above (`inclusive = false`) or from (`inclusive = true`) `bound`
/// down to the next band; `bound = None` catches every lower score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    pub name: String,
    pub bound: Option<f64>,
    pub inclusive: bool,
}

impl Grade {
    fn admits(&self, score: f64) -> bool {
        match self.bound {
            None => true,
            Some(b) if self.inclusive => score >= b,
            Some(b) => score > b,
        }
    }
}

/// Pay float (绩效工资浮动) around a pivot score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pay {
    pub pivot: f64,
    pub per_point: f64,
    /// The float is clamped to ±cap.
    pub cap: f64,
}

impl Pay {
    pub fn float(&self, score: f64) -> f64 {
        ((score - self.pivot) * self.per_point).clamp(-self.cap, self.cap)
    }
}

/// A loaded, validated rubric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rubric {
    pub name: String,
    version: String,
    /// SHA-256 of the file's text: part of the run id, so any edit gives new report sets.
    pub sha256: String,
    /// The file it came from (or the name given to [`Rubric::from_str`]).
    pub origin: PathBuf,
    pub points_from: PointsFrom,
    /// Indexed like [`Severity::ALL`].
    pub severity: [SeverityPoints; 4],
    pub call: CallRules,
    pub period: PeriodRules,
    pub overrides: Vec<Override>,
    pub escalations: Vec<Escalation>,
    pub bonuses: Vec<Bonus>,
    pub adjustment: AdjustmentRange,
    /// Best first; the last band has no bound.
    pub grades: Vec<Grade>,
    pub pay: Option<Pay>,
    /// New staff: months from the hire date during which periods are scored without pay float.
    pub grace_months: Option<u32>,
}

impl Rubric {
    /// The rubric's own `version`, recorded in every score so a report says which rubric made it.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Reads and validates a rubric file.
    pub fn load(path: &Path) -> Result<Rubric, Vec<Problem>> {
        match std::fs::read_to_string(path) {
            Ok(text) => Rubric::from_str(&text, path),
            Err(e) => Err(vec![Problem::on_line(path, 0, format!("cannot read the rubric: {e}"))]),
        }
    }

    /// Validates rubric text; `origin` names it in problems.
    #[allow(clippy::should_implement_trait)] // needs an origin, and returns every problem
    pub fn from_str(text: &str, origin: &Path) -> Result<Rubric, Vec<Problem>> {
        let raw: RawRubric = match toml::from_str(text) {
            Ok(r) => r,
            Err(e) => return Err(vec![Problem::at(origin, text, e.span(), e.message().trim().to_owned())]),
        };
        let mut v = Check { file: origin, src: text, problems: Vec::new() };
        let rubric = v.rubric(raw);
        let mut problems = v.problems;
        if problems.is_empty() {
            rubric.ok_or_else(Vec::new)
        } else {
            problems.sort_by_key(|p| (p.line(), p.column()));
            Err(problems)
        }
    }

    /// The built-in default rubric (`rules/rubric.toml`).
    pub fn default_embedded() -> Rubric {
        // The file is checked by a unit test, so this cannot fail in a released build.
        Rubric::from_str(DEFAULT_RUBRIC, Path::new("rules/rubric.toml")).unwrap_or_else(|p| {
            panic!("the embedded rules/rubric.toml is invalid: {}", p.first().map(|p| p.to_string()).unwrap_or_default())
        })
    }

    /// What one occurrence of `severity` costs by the `[severity]` table.
    pub fn severity_points(&self, severity: Severity) -> SeverityPoints {
        self.severity[severity as usize]
    }

    /// The first override matching a finding, if any.
    pub fn override_for(&self, rule_id: &str, category: &str, severity: Severity) -> Option<&Override> {
        self.overrides.iter().find(|o| o.select.matches(rule_id, category, severity))
    }

    /// The grade band of a score.
    pub fn grade(&self, score: f64) -> &str {
        self.grades.iter().find(|g| g.admits(score)).map_or("", |g| g.name.as_str())
    }

    /// The grade of a failed period: the last band.
    pub fn failing_grade(&self) -> &str {
        self.grades.last().map_or("", |g| g.name.as_str())
    }

    /// A manual bonus item by id.
    pub fn bonus(&self, item: &str) -> Option<&Bonus> {
        self.bonuses.iter().find(|b| b.item == item)
    }
}

/// Rubric files next to a rule pack: `rubric.toml` and `rubric-*.toml` in the pack
/// directory's parent, in name order (what `callqa rules check` validates with the pack).
pub fn rubrics_beside(pack_dir: &Path) -> Vec<PathBuf> {
    let parent = match pack_dir.parent() {
        Some(p) if p.as_os_str().is_empty() => Path::new("."),
        Some(p) => p,
        None => return Vec::new(),
    };
    let Ok(entries) = std::fs::read_dir(parent) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name == "rubric.toml" || (name.starts_with("rubric-") && name.ends_with(".toml"))
        })
        .collect();
    out.sort();
    out
}

// ---- raw file structs ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRubric {
    version: Spanned<String>,
    name: Spanned<String>,
    #[allow(dead_code)] // documentation for readers of the file
    description: Option<String>,
    points_from: Option<Spanned<String>>,
    severity: Spanned<BTreeMap<String, Spanned<toml::Value>>>,
    call: RawCall,
    period: RawPeriod,
    #[serde(default, rename = "override")]
    overrides: Vec<Spanned<RawOverride>>,
    #[serde(default)]
    escalation: Vec<Spanned<RawEscalation>>,
    #[serde(default)]
    bonus: Vec<Spanned<RawBonus>>,
    adjustment: Option<RawAdjustment>,
    #[serde(default)]
    grade: Vec<Spanned<RawGrade>>,
    pay: Option<RawPay>,
    grace: Option<RawGrace>,
    coverage: Option<Spanned<RawCoverage>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCall {
    base: Spanned<f64>,
    max_per_rule: Option<Spanned<u32>>,
    max_findings: Option<Spanned<u32>>,
    per_utterance: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    base: Spanned<f64>,
    max: Spanned<f64>,
    fail_below: Option<Spanned<f64>>,
    pay_period: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCoverage {
    mode: Spanned<String>,
    calls: Option<Spanned<u32>>,
}

/// The selector fields, shared by every clause that picks findings.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSelector {
    rule: Option<Spanned<String>>,
    category: Option<Spanned<String>>,
    severity: Option<Spanned<String>>,
    above: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    rule: Option<Spanned<String>>,
    category: Option<Spanned<String>>,
    severity: Option<Spanned<String>>,
    above: Option<Spanned<String>>,
    points: Option<Spanned<f64>>,
    max_per_call: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    rule: Option<Spanned<String>>,
    category: Option<Spanned<String>>,
    severity: Option<Spanned<String>>,
    above: Option<Spanned<String>>,
    at_least: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    at_least: Spanned<u32>,
    total: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEscalation {
    name: Spanned<String>,
    any: Option<Spanned<Vec<Spanned<RawCondition>>>>,
    extra: Option<Spanned<f64>>,
    count: Option<Spanned<RawSelector>>,
    tiers: Option<Spanned<Vec<Spanned<RawTier>>>>,
    counts: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBonus {
    item: Spanned<String>,
    name: Spanned<String>,
    points: Spanned<f64>,
    unless_any: Option<Spanned<RawSelector>>,
    repeatable: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdjustment {
    min: Spanned<f64>,
    max: Spanned<f64>,
    reason_required: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrade {
    name: Spanned<String>,
    above: Option<Spanned<f64>>,
    from: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPay {
    pivot: Spanned<f64>,
    per_point: Spanned<f64>,
    cap: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrace {
    months: Spanned<u32>,
}

// ---- validation ----

struct Check<'a> {
    file: &'a Path,
    src: &'a str,
    problems: Vec<Problem>,
}

fn severity_names() -> String {
    Severity::ALL.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
}

impl Check<'_> {
    fn problem(&mut self, span: Range<usize>, msg: impl Into<String>) {
        self.problems.push(Problem::at(self.file, self.src, Some(span), msg));
    }

    /// A finite, non-negative number of points.
    fn points(&mut self, field: &str, v: &Spanned<f64>) -> f64 {
        let x = *v.get_ref();
        if !x.is_finite() || x < 0.0 {
            self.problem(v.span(), format!("`{field}` must be a number of points, 0 or more (got {x})"));
        }
        x
    }

    fn finite(&mut self, field: &str, v: &Spanned<f64>) -> f64 {
        let x = *v.get_ref();
        if !x.is_finite() {
            self.problem(v.span(), format!("`{field}` must be a finite number"));
        }
        x
    }

    fn severity(&mut self, v: &Spanned<String>) -> Option<Severity> {
        let s = Severity::parse(v.get_ref());
        if s.is_none() {
            self.problem(v.span(), format!("unknown severity `{}`; the severities are {}", v.get_ref(), severity_names()));
        }
        s
    }

    fn selector(
        &mut self,
        rule: &Option<Spanned<String>>,
        category: &Option<Spanned<String>>,
        severity: &Option<Spanned<String>>,
        above: &Option<Spanned<String>>,
        span: Range<usize>,
        what: &str,
    ) -> Selector {
        if rule.is_none() && category.is_none() && severity.is_none() && above.is_none() {
            self.problem(span.clone(), format!("{what} needs at least one of `rule`, `category`, `severity`, `above`"));
        }
        for (field, v) in [("rule", rule), ("category", category)] {
            if let Some(v) = v {
                if v.get_ref().trim().is_empty() {
                    self.problem(v.span(), format!("`{field}` is empty"));
                }
            }
        }
        let severity = severity.as_ref().and_then(|s| self.severity(s));
        let above_sev = above.as_ref().and_then(|s| self.severity(s));
        if above_sev == Some(Severity::Fatal) {
            if let Some(a) = above {
                self.problem(a.span(), "`above = \"fatal\"` matches nothing: no severity is above fatal");
            }
        }
        Selector {
            rule: rule.as_ref().map(|r| r.get_ref().trim().to_owned()),
            category: category.as_ref().map(|c| c.get_ref().trim().to_owned()),
            severity,
            above: above_sev,
        }
    }

    fn raw_selector(&mut self, s: &Spanned<RawSelector>, what: &str) -> Selector {
        let r = s.get_ref();
        self.selector(&r.rule, &r.category, &r.severity, &r.above, s.span(), what)
    }

    fn rubric(&mut self, r: RawRubric) -> Option<Rubric> {
        if r.version.get_ref().trim().is_empty() {
            self.problem(r.version.span(), "the rubric version is empty");
        }
        if r.name.get_ref().trim().is_empty() {
            self.problem(r.name.span(), "the rubric name is empty");
        }
        let points_from = match &r.points_from {
            None => PointsFrom::Rule,
            Some(p) => match p.get_ref().as_str() {
                "rule" => PointsFrom::Rule,
                "severity" => PointsFrom::Severity,
                other => {
                    self.problem(p.span(), format!("`points_from` is `{other}`; it must be \"rule\" or \"severity\""));
                    PointsFrom::Rule
                }
            },
        };

        let mut severity: [Option<SeverityPoints>; 4] = [None; 4];
        for (name, value) in r.severity.get_ref() {
            let Some(sev) = Severity::parse(name) else {
                self.problem(
                    value.span(),
                    format!("points for an unknown severity `{name}`; the severities are {}", severity_names()),
                );
                continue;
            };
            let pts = match value.get_ref() {
                toml::Value::Integer(i) if *i >= 0 => Some(SeverityPoints::Points(*i as f64)),
                toml::Value::Float(f) if f.is_finite() && *f >= 0.0 => Some(SeverityPoints::Points(*f)),
                toml::Value::String(s) if s == "fail" => Some(SeverityPoints::Fail),
                other => {
                    self.problem(
                        value.span(),
                        format!("severity `{name}` = {other}: give points (0 or more) or \"fail\" (fails the period)"),
                    );
                    None
                }
            };
            severity[sev as usize] = pts;
        }
        for sev in Severity::ALL {
            if severity[sev as usize].is_none() && !r.severity.get_ref().contains_key(sev.name()) {
                self.problem(r.severity.span(), format!("`[severity]` has no points for `{}`", sev.name()));
            }
        }

        let per_utterance = match &r.call.per_utterance {
            None => PerUtterance::Category,
            Some(p) => match p.get_ref().as_str() {
                "category" => PerUtterance::Category,
                "rule" => PerUtterance::Rule,
                other => {
                    self.problem(p.span(), format!("`call.per_utterance` is `{other}`; it must be \"category\" or \"rule\""));
                    PerUtterance::Category
                }
            },
        };
        let call = CallRules {
            base: self.points("call.base", &r.call.base),
            max_per_rule: self.cap("call.max_per_rule", &r.call.max_per_rule),
            max_findings: self.cap("call.max_findings", &r.call.max_findings),
            per_utterance,
        };
        let pay_period = match &r.period.pay_period {
            None => PeriodKind::Month,
            Some(p) => p.get_ref().parse().unwrap_or_else(|e: String| {
                self.problem(p.span(), format!("`period.pay_period`: {e}"));
                PeriodKind::Month
            }),
        };
        let period = PeriodRules {
            base: self.finite("period.base", &r.period.base),
            max: self.finite("period.max", &r.period.max),
            fail_below: r.period.fail_below.as_ref().map(|f| self.finite("period.fail_below", f)),
            pay_period,
            coverage: self.coverage(r.coverage.as_ref()),
        };
        if period.max < period.base {
            self.problem(
                r.period.max.span(),
                format!("`period.max` {} (full marks) is below `period.base` {}", period.max, period.base),
            );
        }

        let mut overrides = Vec::new();
        for o in &r.overrides {
            let raw = o.get_ref();
            let select = self.selector(&raw.rule, &raw.category, &raw.severity, &raw.above, o.span(), "an `[[override]]`");
            if raw.points.is_none() && raw.max_per_call.is_none() {
                self.problem(o.span(), "an `[[override]]` needs `points` or `max_per_call`");
            }
            let points = raw.points.as_ref().map(|p| self.points("points", p));
            let max_per_call = self.cap("max_per_call", &raw.max_per_call);
            overrides.push(Override { select, points, max_per_call });
        }

        let escalations = r.escalation.iter().filter_map(|e| self.escalation(e)).collect();

        let mut bonuses: Vec<Bonus> = Vec::new();
        for b in &r.bonus {
            let raw = b.get_ref();
            let item = raw.item.get_ref().trim().to_owned();
            if item.is_empty() || item.contains(char::is_whitespace) || item.contains(',') {
                self.problem(raw.item.span(), format!("bonus item {:?} must be non-empty, without spaces or commas", raw.item.get_ref()));
            } else if bonuses.iter().any(|x| x.item == item) {
                self.problem(raw.item.span(), format!("duplicate bonus item `{item}`"));
            }
            if raw.name.get_ref().trim().is_empty() {
                self.problem(raw.name.span(), "bonus name is empty");
            }
            let points = self.points("points", &raw.points);
            let unless_any = raw.unless_any.as_ref().map(|s| self.raw_selector(s, "`unless_any`"));
            if let (Some(_), Some(rep)) = (&unless_any, &raw.repeatable) {
                self.problem(rep.span(), "`repeatable` is for manual bonuses; an automatic one is granted once a period");
            }
            bonuses.push(Bonus {
                item,
                name: raw.name.get_ref().clone(),
                points,
                unless_any,
                repeatable: raw.repeatable.as_ref().is_some_and(|r| *r.get_ref()),
            });
        }

        let adjustment = match &r.adjustment {
            None => AdjustmentRange { min: 0.0, max: 0.0, reason_required: true },
            Some(a) => {
                let (min, max) = (self.finite("adjustment.min", &a.min), self.finite("adjustment.max", &a.max));
                if min > max {
                    self.problem(a.min.span(), format!("adjustment range inverted: `min` {min} is above `max` {max}"));
                }
                AdjustmentRange { min, max, reason_required: a.reason_required.unwrap_or(true) }
            }
        };

        let grades = self.grades(&r.grade);

        let pay = r.pay.as_ref().map(|p| Pay {
            pivot: self.finite("pay.pivot", &p.pivot),
            per_point: self.points("pay.per_point", &p.per_point),
            cap: self.points("pay.cap", &p.cap),
        });
        let grace_months = r.grace.as_ref().map(|g| {
            if *g.months.get_ref() == 0 {
                self.problem(g.months.span(), "`grace.months` must be at least 1 (leave `[grace]` out for none)");
            }
            *g.months.get_ref()
        });

        let severity = [severity[0]?, severity[1]?, severity[2]?, severity[3]?];
        Some(Rubric {
            name: r.name.into_inner(),
            version: r.version.into_inner(),
            sha256: crate::fsutil::sha256_bytes(self.src.as_bytes()),
            origin: self.file.to_owned(),
            points_from,
            severity,
            call,
            period,
            overrides,
            escalations,
            bonuses,
            adjustment,
            grades,
            pay,
            grace_months,
        })
    }

    /// `[coverage]`; without it, the default of the built-in rubric.
    fn coverage(&mut self, c: Option<&Spanned<RawCoverage>>) -> Coverage {
        let Some(c) = c else { return DEFAULT_COVERAGE };
        let raw = c.get_ref();
        let calls = |v: &mut Self| match &raw.calls {
            Some(n) if *n.get_ref() == 0 => {
                v.problem(n.span(), "`coverage.calls` must be at least 1");
                1
            }
            Some(n) => *n.get_ref(),
            None => {
                v.problem(c.span(), format!("`[coverage]` mode `{}` needs `calls`", raw.mode.get_ref()));
                1
            }
        };
        match raw.mode.get_ref().as_str() {
            "normalised" | "normalized" => Coverage::Normalised { calls: calls(self) },
            "sample" => Coverage::Sample { calls: calls(self) },
            "all" => {
                if let Some(n) = &raw.calls {
                    self.problem(n.span(), "`calls` is for `normalised` and `sample`; `all` counts every call");
                }
                Coverage::All
            }
            other => {
                self.problem(raw.mode.span(), format!("`coverage.mode` is `{other}`; it must be \"normalised\", \"sample\" or \"all\""));
                DEFAULT_COVERAGE
            }
        }
    }

    fn cap(&mut self, field: &str, v: &Option<Spanned<u32>>) -> Option<u32> {
        let v = v.as_ref()?;
        if *v.get_ref() == 0 {
            self.problem(v.span(), format!("`{field}` must be at least 1 (leave it out for no cap)"));
        }
        Some(*v.get_ref())
    }

    fn escalation(&mut self, e: &Spanned<RawEscalation>) -> Option<Escalation> {
        let raw = e.get_ref();
        if raw.name.get_ref().trim().is_empty() {
            self.problem(raw.name.span(), "escalation name is empty");
        }
        let rule = match (&raw.any, &raw.extra, &raw.count, &raw.tiers) {
            (Some(any), Some(extra), None, None) => {
                if any.get_ref().is_empty() {
                    self.problem(any.span(), "`any` is an empty list of conditions");
                }
                let mut conds = Vec::new();
                for c in any.get_ref() {
                    let rc = c.get_ref();
                    let select = self.selector(&rc.rule, &rc.category, &rc.severity, &rc.above, c.span(), "a condition");
                    if *rc.at_least.get_ref() == 0 {
                        self.problem(rc.at_least.span(), "`at_least` must be at least 1");
                    }
                    conds.push(Condition { select, at_least: *rc.at_least.get_ref() });
                }
                EscalationRule::Threshold { any: conds, extra: self.points("extra", extra) }
            }
            (None, None, Some(count), Some(tiers)) => {
                let select = self.raw_selector(count, "`count`");
                if tiers.get_ref().is_empty() {
                    self.problem(tiers.span(), "`tiers` is empty");
                }
                let mut out: Vec<Tier> = Vec::new();
                for t in tiers.get_ref() {
                    let rt = t.get_ref();
                    let tier = Tier { at_least: *rt.at_least.get_ref(), total: self.points("total", &rt.total) };
                    if tier.at_least == 0 {
                        self.problem(rt.at_least.span(), "`at_least` must be at least 1");
                    }
                    if let Some(prev) = out.last() {
                        if tier.at_least <= prev.at_least {
                            self.problem(
                                rt.at_least.span(),
                                format!("tiers must be sorted: `at_least` {} follows {}", tier.at_least, prev.at_least),
                            );
                        } else if tier.total < prev.total {
                            self.problem(
                                rt.total.span(),
                                format!("a higher tier costs less: `total` {} follows {}", tier.total, prev.total),
                            );
                        }
                    }
                    out.push(tier);
                }
                EscalationRule::Tiered { count: select, tiers: out }
            }
            _ => {
                self.problem(
                    e.span(),
                    "an `[[escalation]]` has either `any` and `extra` (threshold) or `count` and `tiers` (tiered)",
                );
                return None;
            }
        };
        let counts = match &raw.counts {
            None => Counts::Findings,
            Some(c) if matches!(rule, EscalationRule::Tiered { .. }) => {
                self.problem(c.span(), "`counts` is for a threshold escalation (`any`); tiers count findings");
                Counts::Findings
            }
            Some(c) => match c.get_ref().as_str() {
                "findings" => Counts::Findings,
                "rules" => Counts::Rules,
                "categories" => Counts::Categories,
                other => {
                    self.problem(c.span(), format!("`counts` is `{other}`; it must be \"findings\", \"rules\" or \"categories\""));
                    Counts::Findings
                }
            },
        };
        Some(Escalation { name: raw.name.get_ref().clone(), rule, counts })
    }

    fn grades(&mut self, raw: &[Spanned<RawGrade>]) -> Vec<Grade> {
        let mut out: Vec<Grade> = Vec::new();
        if raw.is_empty() {
            self.problems.push(Problem::at(self.file, self.src, None, "the rubric has no `[[grade]]` bands"));
            return out;
        }
        for (i, g) in raw.iter().enumerate() {
            let rg = g.get_ref();
            let name = rg.name.get_ref().trim().to_owned();
            if name.is_empty() {
                self.problem(rg.name.span(), "grade name is empty");
            } else if out.iter().any(|x| x.name == name) {
                self.problem(rg.name.span(), format!("duplicate grade `{name}`"));
            }
            let last = i + 1 == raw.len();
            let (bound, inclusive) = match (&rg.above, &rg.from) {
                (Some(_), Some(_)) => {
                    self.problem(g.span(), format!("grade `{name}` has both `above` and `from`; give one"));
                    (None, false)
                }
                (Some(a), None) => (Some(self.finite("above", a)), false),
                (None, Some(f)) => (Some(self.finite("from", f)), true),
                (None, None) if last => (None, false),
                (None, None) => {
                    self.problem(g.span(), format!("grade `{name}` has no bound; only the last band may (it takes every lower score)"));
                    (None, false)
                }
            };
            if last && bound.is_some() {
                self.problem(g.span(), format!("the last grade `{name}` must have no bound, so that every score gets a grade"));
            }
            if let (Some(b), Some(prev)) = (bound, out.last()) {
                if let Some(pb) = prev.bound {
                    // Bands go from best to worst; an equal bound is only meaningful as
                    // "above x" followed by "from x" (a band holding exactly x).
                    let fine = b < pb || (b == pb && !prev.inclusive && inclusive);
                    if !fine {
                        let how = |inc: bool| if inc { "from" } else { "above" };
                        let msg = if b == pb {
                            format!("grade `{name}` overlaps `{}`: both start {} {b}", prev.name, how(prev.inclusive))
                        } else {
                            format!(
                                "grade bands must go from best to worst: `{name}` ({} {b}) follows `{}` ({} {pb})",
                                how(inclusive),
                                prev.name,
                                how(prev.inclusive)
                            )
                        };
                        self.problem(g.span(), msg);
                    }
                }
            }
            out.push(Grade { name, bound, inclusive });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match Rubric::from_str(text, Path::new("r.toml")) {
            Ok(_) => Vec::new(),
            Err(ps) => ps.iter().map(|p| format!("{}: {}", p.line(), p.message())).collect(),
        }
    }

    #[test]
    fn shipped_rubrics_load() {
        let r = Rubric::default_embedded();
        assert_eq!(r.period.base, 80.0);
        assert_eq!(r.period.max, 110.0);
        assert_eq!(r.severity_points(Severity::Medium), SeverityPoints::Points(10.0));
        assert_eq!(r.severity_points(Severity::Fatal), SeverityPoints::Fail);
        assert!(!r.version().is_empty());
        let ten = Rubric::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/rubric-10pt.toml"))).unwrap();
        assert_eq!((ten.period.base, ten.period.max, ten.pay.is_none()), (10.0, 10.0, true));
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/zh-cn"));
        let found: Vec<String> =
            rubrics_beside(dir).iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(found, ["rubric-10pt.toml", "rubric.toml"]);
    }

    #[test]
    fn grade_bands_and_boundaries() {
        // 001 篇四: >90 a, 80~90 b, 70~80 c, 65~70 d, 60~65 e, <60 fail.
        let r = Rubric::default_embedded();
        let g = |s: f64| r.grade(s).to_owned();
        assert_eq!([g(110.0), g(91.0), g(90.5), g(90.0), g(80.0)], ["a", "a", "a", "b", "b"]);
        assert_eq!([g(79.5), g(70.0), g(69.0), g(65.0), g(64.0), g(60.0), g(59.5), g(-20.0)], ["c", "c", "d", "d", "e", "e", "fail", "fail"]);
        assert_eq!(r.failing_grade(), "fail");
    }

    #[test]
    fn pay_float_examples_from_the_manual() {
        // 001 篇四 四.3: 80 → unchanged, 91 → +110, 68 → −120; ±300 cap.
        let pay = Rubric::default_embedded().pay.unwrap();
        assert_eq!([pay.float(80.0), pay.float(91.0), pay.float(68.0)], [0.0, 110.0, -120.0]);
        assert_eq!([pay.float(110.0), pay.float(40.0)], [300.0, -300.0]);
    }

    fn base() -> String {
        // Every problem-case below edits this minimal valid rubric.
        [
            "version = \"1\"",
            "name = \"t\"",
            "[severity]",
            "minor = 2",
            "medium = 10",
            "severe = 20",
            "fatal = \"fail\"",
            "[call]",
            "base = 100",
            "[period]",
            "base = 80",
            "max = 110",
            "[adjustment]",
            "min = -5",
            "max = 5",
            "[[grade]]",
            "name = \"a\"",
            "above = 90",
            "[[grade]]",
            "name = \"fail\"",
            "",
        ]
        .join("\n")
    }

    #[test]
    fn minimal_rubric_is_valid() {
        assert_eq!(problems(&base()), Vec::<String>::new());
    }

    #[test]
    fn unknown_field_names_field_and_line() {
        let p = problems(&base().replace("[call]\nbase = 100", "[call]\nbase = 100\nbasis = 3"));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("10: unknown field `basis`"), "{p:?}");
    }

    #[test]
    fn points_for_unknown_severity() {
        let p = problems(&base().replace("minor = 2", "minor = 2\nmajor = 5"));
        assert_eq!(p, ["5: points for an unknown severity `major`; the severities are minor, medium, severe, fatal"]);
        let p = problems(&base().replace("fatal = \"fail\"", "fatal = \"dismiss\""));
        assert_eq!(p, ["7: severity `fatal` = \"dismiss\": give points (0 or more) or \"fail\" (fails the period)"]);
        let p = problems(&base().replace("medium = 10\n", ""));
        assert_eq!(p, ["3: `[severity]` has no points for `medium`"]);
    }

    #[test]
    fn grade_bands_unsorted_or_overlapping() {
        let unsorted = base().replace("[[grade]]\nname = \"fail\"", "[[grade]]\nname = \"b\"\nabove = 95\n[[grade]]\nname = \"fail\"");
        assert_eq!(problems(&unsorted), ["19: grade bands must go from best to worst: `b` (above 95) follows `a` (above 90)"]);
        let overlap = base().replace("[[grade]]\nname = \"fail\"", "[[grade]]\nname = \"b\"\nabove = 90\n[[grade]]\nname = \"fail\"");
        assert_eq!(problems(&overlap), ["19: grade `b` overlaps `a`: both start above 90"]);
        // "above 90" then "from 90" is a band holding exactly 90: fine.
        let exact = base().replace("[[grade]]\nname = \"fail\"", "[[grade]]\nname = \"b\"\nfrom = 90\n[[grade]]\nname = \"fail\"");
        assert_eq!(problems(&exact), Vec::<String>::new());
        let bounded_last = base().replace("name = \"fail\"", "name = \"fail\"\nfrom = 0");
        assert_eq!(problems(&bounded_last), ["19: the last grade `fail` must have no bound, so that every score gets a grade"]);
    }

    #[test]
    fn adjustment_range_inverted() {
        let p = problems(&base().replace("min = -5\nmax = 5", "min = 5\nmax = -5"));
        assert_eq!(p, ["14: adjustment range inverted: `min` 5 is above `max` -5"]);
    }

    #[test]
    fn escalation_shapes() {
        let both = format!("{}[[escalation]]\nname = \"x\"\nextra = 20\ntiers = [{{ at_least = 3, total = 5 }}]\n", base());
        assert_eq!(
            problems(&both),
            ["21: an `[[escalation]]` has either `any` and `extra` (threshold) or `count` and `tiers` (tiered)"]
        );
        let unsorted = format!(
            "{}[[escalation]]\nname = \"x\"\ncount = {{ category = \"forbidden\" }}\ntiers = [\n  {{ at_least = 5, total = 10 }},\n  {{ at_least = 3, total = 5 }},\n]\n",
            base()
        );
        assert_eq!(problems(&unsorted), ["26: tiers must be sorted: `at_least` 3 follows 5"]);
        let bad_sev = format!(
            "{}[[escalation]]\nname = \"x\"\nany = [{{ severity = \"major\", at_least = 2 }}]\nextra = 20\n",
            base()
        );
        assert_eq!(problems(&bad_sev), ["23: unknown severity `major`; the severities are minor, medium, severe, fatal"]);
        let empty_sel = format!("{}[[escalation]]\nname = \"x\"\nany = [{{ at_least = 2 }}]\nextra = 20\n", base());
        assert_eq!(problems(&empty_sel), ["23: a condition needs at least one of `rule`, `category`, `severity`, `above`"]);
    }

    #[test]
    fn override_and_bonus_problems_all_reported() {
        let text = format!(
            "{}[[override]]\ncategory = \"forbidden\"\n[[bonus]]\nitem = \"exam full\"\nname = \"考试满分\"\npoints = -5\n",
            base()
        );
        assert_eq!(
            problems(&text),
            [
                "21: an `[[override]]` needs `points` or `max_per_call`",
                "24: bonus item \"exam full\" must be non-empty, without spaces or commas",
                "26: `points` must be a number of points, 0 or more (got -5)",
            ]
        );
    }

    #[test]
    fn missing_section_and_syntax_error() {
        let p = problems(&base().replace("[period]\nbase = 80\nmax = 110\n", ""));
        assert_eq!(p.len(), 1);
        assert!(p[0].contains("missing field `period`"), "{p:?}");
        let p = problems("version = \"1\"\n[call\n");
        assert_eq!(p.len(), 1);
        assert!(p[0].starts_with("2: "), "{p:?}");
        let p = problems(&base().replace("max = 110", "max = 70"));
        assert_eq!(p, ["12: `period.max` 70 (full marks) is below `period.base` 80"]);
    }

    #[test]
    fn problem_display_has_file_and_line() {
        let ps = Rubric::from_str(&base().replace("min = -5\nmax = 5", "min = 5\nmax = -5"), Path::new("rules/rubric-x.toml"))
            .unwrap_err();
        assert_eq!(ps[0].to_string(), "rules/rubric-x.toml:14:7: adjustment range inverted: `min` 5 is above `max` -5");
    }

    #[test]
    fn selector_matching() {
        let s = Selector { above: Some(Severity::Minor), ..Selector::default() };
        assert!(!s.matches("r", "c", Severity::Minor));
        assert!(s.matches("r", "c", Severity::Medium));
        let s = Selector { category: Some("forbidden".into()), severity: Some(Severity::Minor), ..Selector::default() };
        assert!(s.matches("x", "forbidden", Severity::Minor));
        assert!(!s.matches("x", "greeting", Severity::Minor));
    }
}
