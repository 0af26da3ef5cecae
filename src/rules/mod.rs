//! Rule packs: the QA rule language, loaded from TOML files that inspectors edit.
//!
//! A pack is a directory: `pack.toml` names it and gives its version, every other `*.toml`
//! file holds `[[rule]]` tables (see `rules/README.md` for the language). Loading is two steps,
//! so that `callqa rules check` can report *every* problem with its file and line:
//! serde reads each file into loosely typed, span-carrying structs ([`load`]), then one
//! validation pass turns them into the typed [`Rule`]s below or into a list of [`Problem`]s.
//!
//! Phrases are normalised when the pack loads ([`normalize`]) exactly as transcripts are when
//! they are scanned, so traditional/simplified, width, punctuation and numeral differences
//! never decide a match. All phrases of a pack go into one Aho-Corasick automaton
//! ([`matcher`]); rules that opt in also match on toneless pinyin ([`fuzzy`]) to survive
//! Whisper's homophone errors.

pub mod automaton;
pub mod default_pack;
pub mod fuzzy;
pub mod load;
pub mod matcher;
pub mod normalize;

use std::path::{Path, PathBuf};


pub use crate::finding::{Kind, RoleFilter, Severity};
pub use load::{Problem, load_pack};

/// Version of the rule language this build reads (`format` in `pack.toml`).
pub const RULE_FORMAT: u32 = 1;

/// The categories a rule may have without the pack declaring more in `pack.toml`.
pub const KNOWN_CATEGORIES: &[&str] = &[
    "greeting",
    "closing",
    "politeness",
    "forbidden",
    "confirmation",
    "silence",
    "overtalk",
    "speech_rate",
    "language",
    "hangup",
];

/// Where in the call a lexical rule looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// Utterances starting within the first N ms of the call.
    FirstMs(u64),
    /// Utterances ending within the last N ms of the call.
    LastMs(u64),
    /// The first N utterances of the rule's role.
    FirstUtterances(usize),
    /// The last N utterances of the rule's role.
    LastUtterances(usize),
}

/// A phrase as written in the rule file and as normalised for matching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phrase {
    written: String,
    normalized: String,
}

impl Phrase {
    /// Normalises `written` the same way transcripts are.
    pub fn new(written: &str) -> Phrase {
        Phrase { written: written.to_owned(), normalized: normalize::normalize(written).as_str().to_owned() }
    }

    /// The phrase as the rule file has it.
    pub fn written(&self) -> &str {
        &self.written
    }

    /// The phrase as matched.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

/// Proximity: a phrase of `a` within `within` characters of a phrase of `b`, either order.
#[derive(Clone, Debug, PartialEq)]
pub struct Near {
    pub a: Vec<Phrase>,
    pub b: Vec<Phrase>,
    /// Largest gap in normalised characters between the two phrases.
    pub within: usize,
}

/// What a lexical rule looks for. Exactly one of the three is used.
#[derive(Clone, Debug, PartialEq)]
pub enum Lexical {
    /// Any phrase of the list; every occurrence is a hit.
    Any(Vec<Phrase>),
    /// Every group present among the utterances the rule looks at (its window, its trigger's
    /// response, or the whole call), not necessarily in one: Whisper splits one sentence into
    /// several segments. Each group is a list of alternatives (`"您好|早上好"` in the file).
    /// At most one hit per window.
    All(Vec<Vec<Phrase>>),
    /// Two phrases close together.
    Near(Near),
}

impl Lexical {
    /// Every phrase slot of the condition, in a fixed order (see [`Slot`]).
    pub fn slots(&self) -> Vec<(Slot, &[Phrase])> {
        match self {
            Lexical::Any(p) => vec![(Slot::Any, p.as_slice())],
            Lexical::All(groups) => groups.iter().enumerate().map(|(i, g)| (Slot::All(i as u16), g.as_slice())).collect(),
            Lexical::Near(n) => vec![(Slot::NearA, n.a.as_slice()), (Slot::NearB, n.b.as_slice())],
        }
    }
}

/// Which list of a rule a phrase belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Slot {
    Any,
    All(u16),
    NearA,
    NearB,
    Unless,
    /// A phrase of the rule's [`Trigger`].
    Trigger,
}

/// How far a trigger's response window reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The rule role's next N utterances (counting the trigger's own when it is the role's).
    Utterances(usize),
    /// The rule role's utterances starting at most N ms after the trigger utterance ends.
    Ms(u64),
}

/// A situation that makes the rule apply: "after the customer says X, the agent must (not)
/// say Y". Without a trigger in the call the rule does not apply; with one, the rule's
/// condition is judged only on the rule role's utterances inside the response window.
#[derive(Clone, Debug, PartialEq)]
pub struct Trigger {
    /// Whose words set the situation off.
    pub role: RoleFilter,
    pub phrases: Vec<Phrase>,
    pub within: Reach,
}

/// Fuzzy matching on toneless pinyin (see [`fuzzy`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fuzzy {
    /// Lowest similarity (1 − cost / phrase length) accepted.
    pub min_similarity: f32,
}

/// The measured checks.
#[derive(Clone, Debug, PartialEq)]
pub enum Metric {
    /// The role's first utterance containing a greeting phrase starts later than `max_ms`.
    GreetingLatency { max_ms: u64 },
    /// Nobody speaks for longer than `max_ms` between two utterances.
    DeadAir { max_ms: u64 },
    /// Characters per minute of the role's speech outside `min_cpm..=max_cpm`; calls with less
    /// than `min_speech_ms` of the role's speech are not judged.
    SpeechRate { min_cpm: u32, max_cpm: u32, min_speech_ms: u64 },
    /// The role starts speaking while the other side speaks, overlapping by more than `min_overlap_ms`.
    Overtalk { min_overlap_ms: u64 },
    /// The role's channel language is not one of `languages` (with at least `min_prob` confidence).
    Language { languages: Vec<String>, min_prob: f32 },
}

impl Metric {
    /// The name used in rule files.
    pub fn name(&self) -> &'static str {
        match self {
            Metric::GreetingLatency { .. } => "greeting_latency",
            Metric::DeadAir { .. } => "dead_air",
            Metric::SpeechRate { .. } => "speech_rate",
            Metric::Overtalk { .. } => "overtalk",
            Metric::Language { .. } => "language",
        }
    }
}

/// One validated rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub id: String,
    /// Chinese name shown to inspectors.
    pub name: String,
    pub category: String,
    pub kind: Kind,
    pub severity: Severity,
    /// Points per occurrence: the file's `points`, or the severity's default.
    pub points: u32,
    pub role: RoleFilter,
    /// The phrases, for lexical rules and for `greeting_latency`.
    pub lexical: Option<Lexical>,
    /// A hit does not count when its utterance contains one of these.
    pub unless: Vec<Phrase>,
    pub window: Option<Window>,
    /// The situation the rule applies in, if not the whole call.
    pub after: Option<Trigger>,
    /// Hits needed: a required rule is met, a forbidden rule fires, from this many on.
    pub min_count: u32,
    pub fuzzy: Option<Fuzzy>,
    pub metric: Option<Metric>,
    /// Where the rule is defined, for messages.
    pub file: PathBuf,
    pub line: usize,
}

impl Rule {
    /// Every phrase list the fuzzy mode applies to: the condition's, then the trigger's
    /// (`unless` is matched exactly, and only by the matcher).
    pub fn phrase_slots(&self) -> Vec<(Slot, &[Phrase])> {
        let mut v = self.lexical.as_ref().map(|l| l.slots()).unwrap_or_default();
        if let Some(t) = &self.after {
            v.push((Slot::Trigger, t.phrases.as_slice()));
        }
        v
    }
}

/// A loaded, validated pack.
#[derive(Clone, Debug)]
pub struct Pack {
    name: String,
    version: String,
    dir: PathBuf,
    rules: Vec<Rule>,
    /// The files it was read from (name, text), in name order; empty for a pack built in code.
    sources: Vec<(String, String)>,
}

impl Pack {
    /// Builds a pack from rules already validated (tests and benchmarks build packs in code).
    pub fn new(name: &str, version: &str, dir: &Path, rules: Vec<Rule>) -> Pack {
        Pack { name: name.to_owned(), version: version.to_owned(), dir: dir.to_owned(), rules, sources: Vec::new() }
    }

    /// The same pack, remembering the files it was read from.
    pub(crate) fn with_sources(mut self, mut sources: Vec<(String, String)>) -> Pack {
        sources.sort();
        self.sources = sources;
        self
    }

    /// SHA-256 over the pack's files (names and texts): any edit, even one that keeps the
    /// version, changes it, and with it the run id.
    pub fn sha256(&self) -> String {
        let mut key = Vec::new();
        for (name, text) in &self.sources {
            key.extend_from_slice(format!("{name}\u{1f}{}\u{1f}", text.len()).as_bytes());
            key.extend_from_slice(text.as_bytes());
        }
        crate::fsutil::sha256_bytes(&key)
    }

    /// Writes the files the pack was read from into `dir`, removing other `*.toml` there, so
    /// a run folder keeps exactly the rules it used.
    pub fn write_copy(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for entry in std::fs::read_dir(dir)? {
            let p = entry?.path();
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if p.extension().is_some_and(|x| x == "toml") && !self.sources.iter().any(|(n, _)| *n == name) {
                std::fs::remove_file(&p)?;
            }
        }
        for (name, text) in &self.sources {
            crate::fsutil::write_atomic(&dir.join(name), text.as_bytes())?;
        }
        Ok(())
    }

    /// Forbidden rules that would charge one sentence twice: a phrase of one equal to, or
    /// inside, a phrase of another (我不知道 / 不知道). `rules check` prints these as warnings.
    pub fn shared_phrases(&self) -> Vec<String> {
        let phrases = |r: &Rule| -> Vec<Phrase> {
            match &r.lexical {
                Some(Lexical::Any(p)) if r.kind == Kind::Forbidden && r.after.is_none() => p.clone(),
                _ => Vec::new(),
            }
        };
        let mut out = Vec::new();
        for (i, a) in self.rules.iter().enumerate() {
            for b in &self.rules[i + 1..] {
                for pa in phrases(a) {
                    for pb in phrases(b) {
                        let (na, nb) = (pa.normalized(), pb.normalized());
                        if na.is_empty() || nb.is_empty() || !(na.contains(nb) || nb.contains(na)) {
                            continue;
                        }
                        let how = if a.category == b.category {
                            "one utterance is charged once per category (rubric `call.per_utterance`), but both rules report it".to_owned()
                        } else {
                            format!("they are in different categories ({} and {}), so one sentence is charged twice", a.category, b.category)
                        };
                        out.push(format!(
                            "{}:{}: warning: phrase \"{}\" of rule `{}` and \"{}\" of rule `{}` ({}:{}) match the same words; {how}",
                            a.file.display(),
                            a.line,
                            pa.written(),
                            a.id,
                            pb.written(),
                            b.id,
                            b.file.display(),
                            b.line
                        ));
                    }
                }
            }
        }
        out
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pack's own version (`version` in `pack.toml`), recorded in every finding.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The enabled rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}
