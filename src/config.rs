//! Site settings: `callqa.toml`, over embedded defaults, under command-line flags.
//!
//! Everything has a default, so `callqa run --input DIR --out DIR` needs no file at all: the
//! default rule pack and rubric are compiled into the binary and the model is looked for at
//! `models/ggml-base-q8_0.bin`. A site that wants its own puts the differences in `callqa.toml`
//! (found in the working directory, or named with `--config`); relative paths in it are read
//! from the file's folder, so the file can live next to the site's rules.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::shared::Layout;

/// The settings a run uses. Field docs are the `callqa.toml` keys.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// whisper.cpp model file; unset means [`DEFAULT_MODEL`] looked up by [`Config::model_path`].
    pub model: Option<PathBuf>,
    /// Rule pack directory; unset means the default pack built into callqa.
    pub rules: Option<PathBuf>,
    /// Rubric file; unset means the default rubric built into callqa.
    pub rubric: Option<PathBuf>,
    /// IANA time zone that periods (day, week, month) are cut in, and that zone-less start
    /// times are read in.
    pub timezone: String,
    /// How recording names give call metadata when there is no manifest.
    pub pattern: String,
    /// Which stereo channel is the agent when neither the manifest, the file name's `{layout}`
    /// nor a `callqa-layout.txt` in the recording's folder says. Unset (the default): a
    /// stereo recording whose layout is not known is an errors row, never a guess.
    pub layout: Option<Layout>,
    /// Spoken language (a Whisper code), or `auto`.
    pub language: String,
    /// Beam search width for Whisper; 1 decodes greedily (see benches/README.md for what
    /// each costs and gains).
    pub beam: u32,
    /// Text given to Whisper before each window, e.g. neutral call-centre wording in
    /// simplified characters; never put a rule's phrase here. Unset: none.
    pub prompt: Option<String>,
    /// Decode on the GPU (a build with `--features cuda`); ignored by a CPU-only build.
    pub gpu: bool,
    /// Calls transcribed at once, and decoder threads per call; unset means one job per core,
    /// one thread each (the fastest split measured on the 2-core reference machine).
    pub jobs: Option<usize>,
    pub threads: Option<usize>,
    /// Longest recording accepted, in minutes; a longer one is that call's error, found from
    /// its header before any sample is read.
    pub max_call_minutes: u64,
    pub scoring: ScoringFiles,
    pub reports: ReportSettings,
    /// The folder of the `callqa.toml` these settings came from, if any (not a key).
    #[serde(skip)]
    pub dir: Option<PathBuf>,
}

/// The model looked for when none is named, relative to each place [`Config::model_path`] tries.
/// Whisper base in q8_0, which `models/fetch-base.sh` makes from the f16 import: 10–35 % faster
/// than f16 on the benches, half the size, the same eval and real-speech CER
/// (benches/README.md).
pub const DEFAULT_MODEL: &str = "models/ggml-base-q8_0.bin";

/// Optional inputs of scoring. Unset `reviews` means `reviews.csv` in the run directory, if
/// there is one.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScoringFiles {
    pub reviews: Option<PathBuf>,
    pub adjustments: Option<PathBuf>,
    pub bonuses: Option<PathBuf>,
    pub staff: Option<PathBuf>,
}

/// How reports are written.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportSettings {
    /// Start CSV files with a UTF-8 byte-order mark, so that Excel opens Chinese text right
    /// (default true; other tools skip it).
    pub csv_bom: bool,
    /// Mask phone, ID and bank-card numbers in the text columns.
    pub redact: bool,
    /// Write the HTML report (`reports/html/`) with every report set.
    pub html: bool,
    /// Call pages' audio: `link` to the recordings, `copy` them as 16 kHz WAV next to the
    /// pages (the folder can then be moved), or `none`.
    pub html_audio: crate::report::html::AudioMode,
    /// Mask phone, ID and card numbers in the HTML even when the tables are not masked.
    pub html_redact: bool,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings { csv_bom: true, redact: false, html: true, html_audio: Default::default(), html_redact: false }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            model: None,
            rules: None,
            rubric: None,
            timezone: "Asia/Shanghai".into(),
            pattern: crate::ingest::pattern::DEFAULT_PATTERN.into(),
            layout: None,
            language: "zh".into(),
            beam: 1,
            prompt: None,
            gpu: false,
            jobs: None,
            threads: None,
            max_call_minutes: crate::audio::DEFAULT_MAX_DURATION_MS / 60_000,
            scoring: ScoringFiles::default(),
            reports: ReportSettings::default(),
            dir: None,
        }
    }
}

/// What the command line says, each overriding `callqa.toml` where set. Every command layers
/// its flags through [`Config::with`], so a setting means the same under every command.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--config`: the settings file [default: ./callqa.toml when present].
    pub config: Option<PathBuf>,
    pub model: Option<PathBuf>,
    pub rules: Option<PathBuf>,
    pub rubric: Option<PathBuf>,
    pub reviews: Option<PathBuf>,
    pub timezone: Option<String>,
    pub pattern: Option<String>,
    pub layout: Option<Layout>,
    pub language: Option<String>,
    pub beam: Option<u32>,
    pub prompt: Option<String>,
    pub gpu: bool,
    pub jobs: Option<usize>,
    pub threads: Option<usize>,
    pub max_call_minutes: Option<u64>,
    /// Flags that can only switch a setting one way (`--redact`, `--no-html`).
    pub redact: bool,
    pub html_redact: bool,
    pub no_html: bool,
    pub csv_bom: Option<bool>,
    pub html_audio: Option<crate::report::html::AudioMode>,
}

impl Config {
    /// The settings file ([`Config::discover`]) under the command line's `overrides`; a bad
    /// value (an unknown time zone, a pattern that does not parse) is an error naming it.
    pub fn with(o: &Overrides) -> Result<Config, String> {
        let mut c = Config::discover(o.config.as_deref())?;
        let set = |slot: &mut Option<PathBuf>, v: &Option<PathBuf>| {
            if v.is_some() {
                slot.clone_from(v);
            }
        };
        set(&mut c.model, &o.model);
        set(&mut c.rules, &o.rules);
        set(&mut c.rubric, &o.rubric);
        set(&mut c.scoring.reviews, &o.reviews);
        if let Some(t) = &o.timezone {
            c.timezone.clone_from(t);
            c.time_zone()?;
        }
        if let Some(p) = &o.pattern {
            crate::ingest::pattern::Pattern::parse(p)?;
            c.pattern.clone_from(p);
        }
        c.layout = o.layout.or(c.layout);
        if let Some(l) = &o.language {
            c.language.clone_from(l);
        }
        c.beam = o.beam.unwrap_or(c.beam);
        if o.prompt.is_some() {
            c.prompt.clone_from(&o.prompt);
        }
        c.gpu |= o.gpu;
        c.jobs = o.jobs.or(c.jobs);
        c.threads = o.threads.or(c.threads);
        c.max_call_minutes = o.max_call_minutes.unwrap_or(c.max_call_minutes);
        c.reports.redact |= o.redact;
        c.reports.html_redact |= o.html_redact;
        c.reports.html &= !o.no_html;
        c.reports.csv_bom = o.csv_bom.unwrap_or(c.reports.csv_bom);
        c.reports.html_audio = o.html_audio.unwrap_or(c.reports.html_audio);
        if !(1..=16).contains(&c.beam) {
            return Err(format!("beam {} is out of range: use 1 (greedy) to 16", c.beam));
        }
        Ok(c)
    }
}

/// The file looked for in the working directory when `--config` is not given.
pub const CONFIG_FILE: &str = "callqa.toml";

impl Config {
    /// Reads a config file; errors name the file, line and column.
    pub fn load(path: &Path) -> Result<Config, String> {
        let src = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut c: Config = toml::from_str(&src).map_err(|e| {
            let (line, col) = e.span().map(|s| crate::shared::problem::line_col(&src, s.start)).unwrap_or((0, 0));
            format!("{}:{line}:{col}: {}", path.display(), e.message().trim())
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let rebase = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        for p in [&mut c.model, &mut c.rules, &mut c.rubric, &mut c.scoring.reviews, &mut c.scoring.adjustments, &mut c.scoring.bonuses, &mut c.scoring.staff]
            .into_iter()
            .flatten()
        {
            rebase(p);
        }
        c.time_zone().map_err(|e| format!("{}: {e}", path.display()))?;
        crate::ingest::pattern::Pattern::parse(&c.pattern).map_err(|e| format!("{}: {e}", path.display()))?;
        c.dir = Some(base.to_owned());
        Ok(c)
    }

    /// `--config FILE` when given, else `./callqa.toml` when it exists, else the defaults.
    pub fn discover(explicit: Option<&Path>) -> Result<Config, String> {
        match explicit {
            Some(p) => Config::load(p),
            None if Path::new(CONFIG_FILE).is_file() => Config::load(Path::new(CONFIG_FILE)),
            None => Ok(Config::default()),
        }
    }

    /// The configured time zone.
    pub fn time_zone(&self) -> Result<jiff::tz::TimeZone, String> {
        jiff::tz::TimeZone::get(&self.timezone).map_err(|e| format!("time zone {:?}: {e}", self.timezone))
    }

    /// The model file: the one named (`model` in callqa.toml, `CALLQA_MODEL` or `--model`),
    /// else [`DEFAULT_MODEL`] next to the callqa.toml, in the working directory, or in the
    /// repository the binary was built in, the first that exists. A cron job started outside
    /// the repository finds it the same as a person inside it; the error says where it looked.
    pub fn model_path(&self) -> Result<PathBuf, String> {
        if let Some(m) = &self.model {
            return if m.is_file() {
                Ok(m.clone())
            } else {
                Err(format!("{}: no such model file (named by `model` in callqa.toml, CALLQA_MODEL or --model; models/fetch-base.sh makes the base model)", m.display()))
            };
        }
        let mut places: Vec<PathBuf> = Vec::new();
        if let Some(d) = &self.dir {
            places.push(d.join(DEFAULT_MODEL));
        }
        places.push(PathBuf::from(DEFAULT_MODEL));
        // The source tree this binary was built from, where models/fetch-base.sh puts the model.
        places.push(Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_MODEL));
        places.dedup();
        places.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
            let tried: Vec<String> = places.iter().map(|p| p.display().to_string()).collect();
            format!("no model file: looked for {}; run models/fetch-base.sh, or name one with `model` in callqa.toml, CALLQA_MODEL or --model", tried.join(", "))
        })
    }

    /// What one recording may ask for.
    pub fn audio_limits(&self) -> crate::audio::Limits {
        crate::audio::Limits { max_duration_ms: self.max_call_minutes.saturating_mul(60_000) }
    }

    /// Jobs and threads per job, filling in what is unset so that they fit the cores.
    pub fn parallelism(&self) -> (usize, usize) {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let threads = self.threads.unwrap_or(1).max(1);
        let jobs = self.jobs.unwrap_or((cores / threads).max(1)).max(1);
        (jobs, threads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_file_means_the_defaults() {
        let c = Config::default();
        assert_eq!(c.model, None);
        assert_eq!(c.time_zone().unwrap().iana_name(), Some("Asia/Shanghai"));
        assert!(c.rules.is_none() && c.rubric.is_none());
        assert!(c.reports.csv_bom, "CSV starts with a BOM unless told not to");
    }

    #[test]
    fn a_reports_section_without_csv_bom_keeps_the_bom() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("callqa.toml");
        std::fs::write(&p, "[reports]\nredact = true\n").unwrap();
        let c = Config::load(&p).unwrap();
        assert!(c.reports.redact && c.reports.csv_bom);
    }

    #[test]
    fn a_file_overrides_some_keys_and_paths_are_read_from_its_folder() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("callqa.toml");
        std::fs::write(&p, "model = \"m/q8.bin\"\nrules = \"/abs/pack\"\njobs = 3\n[scoring]\nreviews = \"r.csv\"\n[reports]\ncsv_bom = false\n").unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(c.model, Some(d.path().join("m/q8.bin")));
        assert_eq!(c.rules, Some(PathBuf::from("/abs/pack")));
        assert_eq!(c.scoring.reviews, Some(d.path().join("r.csv")));
        assert!(!c.reports.csv_bom);
        assert_eq!(c.parallelism().0, 3);
        assert_eq!(c.timezone, "Asia/Shanghai");
    }

    #[test]
    fn the_model_is_looked_up_next_to_the_config_and_the_error_says_where() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("callqa.toml");
        std::fs::write(&p, "language = \"zh\"\n").unwrap();
        let c = Config::load(&p).unwrap();
        // The repository's own model is the last place looked; where it has none yet, the
        // error lists every place.
        if !Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_MODEL).is_file() {
            let err = c.model_path().unwrap_err();
            assert!(err.contains(&d.path().join(DEFAULT_MODEL).display().to_string()) && err.contains("fetch-base.sh"), "{err}");
        }
        std::fs::create_dir_all(d.path().join("models")).unwrap();
        std::fs::write(d.path().join(DEFAULT_MODEL), b"x").unwrap();
        assert_eq!(c.model_path().unwrap(), d.path().join(DEFAULT_MODEL));
        let named = Config { model: Some(d.path().join("none.bin")), ..c };
        assert!(named.model_path().unwrap_err().contains("none.bin: no such model file"));
    }

    /// The documented example is a valid config, with the defaults it claims.
    #[test]
    fn the_example_file_loads() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("callqa.toml.example");
        let c = Config::load(&p).unwrap();
        assert_eq!((c.layout, c.max_call_minutes, c.reports.csv_bom), (None, Config::default().max_call_minutes, true));
    }

    #[test]
    fn mistakes_name_the_file_and_line() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("callqa.toml");
        for (text, says) in [
            ("model = \"a\"\nmodle = \"b\"\n", ":2:"),
            ("jobs = \"two\"\n", ":1:"),
            ("timezone = \"Mars/Olympus\"\n", "Mars/Olympus"),
            ("pattern = \"{call_id}.wav\"\n", "{agent_id}"),
            ("[reports]\nbom = true\n", ":2:"),
        ] {
            std::fs::write(&p, text).unwrap();
            let err = Config::load(&p).unwrap_err();
            assert!(err.contains("callqa.toml") && err.contains(says), "{text}: {err}");
        }
    }
}
