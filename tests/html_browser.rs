//! The HTML report in a real browser: Debian's Chromium driven through chromedriver (W3C
//! WebDriver over HTTP), on a report set made without the model (`scan → score` over the
//! committed ASR transcripts of three fixture calls, one of them with markup injected into its
//! transcript). It checks what a supervisor and an inspector see, that nothing from data runs
//! as script, that the pages log no console errors, and that a review made in the page and
//! exported as reviews.csv changes the next run's scorecards.
//!
//! `.ci/run` installs `chromium` and `chromium-driver`. Without them the test fails under CI
//! (CI=true) and says how to install them elsewhere. `CALLQA_SCREENSHOTS=DIR` saves the
//! overview and a call page as PNGs (the README's pictures come from this).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn callqa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callqa")).args(args).current_dir(root()).output().expect("runs callqa")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(name)).find(|p| p.is_file()))
}

/// A chromedriver process and one headless Chromium session; both end on drop.
struct Browser {
    driver: Child,
    base: String,
    session: String,
}

impl Browser {
    fn start() -> Option<Browser> {
        let (Some(driver), Some(chromium)) = (which("chromedriver"), which("chromium")) else {
            assert!(std::env::var_os("CI").is_none(), "CI must have chromium and chromium-driver (.ci/run installs them)");
            eprintln!("skipped: install Debian's chromium and chromium-driver to run the browser tests");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(driver).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("starts chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while ureq::get(&format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000", "--allow-file-access-from-files", "--autoplay-policy=no-user-gesture-required"]
            },
            "goog:loggingPrefs": {"browser": "ALL"}
        }}});
        let mut b = Browser { driver: child, base, session: String::new() };
        let v = b.post("/session", caps);
        b.session = v["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {v}")).to_owned();
        Some(b)
    }

    fn post(&self, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let mut r = ureq::post(&url).config().http_status_as_error(false).build().send_json(&body).unwrap_or_else(|e| panic!("{url}: {e}"));
        let v: Value = r.body_mut().read_json().unwrap();
        assert!(v["value"].get("error").is_none(), "{url}: {v}");
        v["value"].clone()
    }

    fn get(&self, path: &str) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut r = ureq::get(&url).config().http_status_as_error(false).build().call().unwrap_or_else(|e| panic!("{url}: {e}"));
        let v: Value = r.body_mut().read_json().unwrap();
        assert!(v["value"].get("error").is_none(), "{url}: {v}");
        v["value"].clone()
    }

    fn cmd(&self, path: &str, body: Value) -> Value {
        self.post(&format!("/session/{}{path}", self.session), body)
    }

    fn open(&self, file: &Path) {
        self.cmd("/url", json!({"url": format!("file://{}", file.display())}));
    }

    fn js(&self, script: &str) -> Value {
        self.cmd("/execute/sync", json!({"script": script, "args": []}))
    }

    fn element(&self, css: &str) -> String {
        let v = self.cmd("/element", json!({"using": "css selector", "value": css}));
        v.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).unwrap_or_else(|| panic!("no element {css}: {v}")).to_owned()
    }

    fn click(&self, css: &str) {
        let id = self.element(css);
        self.cmd(&format!("/element/{id}/click"), json!({}));
    }

    fn type_into(&self, css: &str, keys: &str) {
        let id = self.element(css);
        self.cmd(&format!("/element/{id}/value"), json!({"text": keys}));
    }

    fn body_text(&self) -> String {
        self.js("return document.body.innerText;").as_str().unwrap_or_default().to_owned()
    }

    /// The browser console's errors since the last call (chromedriver's log endpoint).
    fn console_errors(&self) -> Vec<String> {
        let v = self.cmd("/se/log", json!({"type": "browser"}));
        v.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn screenshot(&self, to: &Path) {
        use base64::Engine as _;
        let v = self.get("/screenshot");
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap();
        std::fs::write(to, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

const EVIL: &str = r#"<script>window.PWNED=1</script>"><img src=x onerror="window.PWNED=2">"#;

/// Transcripts of three fixture calls, c0001's with markup in its first utterance.
fn transcripts(tmp: &Path) -> PathBuf {
    let dir = tmp.join("asr");
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(root().join("fixtures/transcripts/asr")).unwrap() {
        let p = e.unwrap().path();
        let mut t: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        if t["call_id"] == "c0001" {
            let first = t["segments"][0]["text"].as_str().unwrap().to_owned();
            t["segments"][0]["text"] = Value::String(format!("{first}{EVIL}"));
        }
        std::fs::write(dir.join(p.file_name().unwrap()), serde_json::to_vec_pretty(&t).unwrap()).unwrap();
    }
    dir
}

fn score(tmp: &Path, asr: &Path, reports: &Path) -> Output {
    let findings = tmp.join("findings");
    let o = callqa(&["scan", s(asr), "--out", s(&findings)]);
    assert!(o.status.success(), "{}", text(&o));
    callqa(&["score", "--transcripts", s(asr), "--findings", s(&findings), "--manifest", "fixtures/audio/manifest.csv", "--out", s(reports.parent().unwrap())])
}

#[test]
fn the_report_opens_from_disk_shows_what_people_need_and_reviews_flow_back() {
    let tmp = tempfile::tempdir().unwrap();
    let asr = transcripts(tmp.path());
    let reports = tmp.path().join("reports");
    let o = score(tmp.path(), &asr, &reports);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("HTML report: "), "{}", text(&o));
    let html = reports.join("html");
    let Some(b) = Browser::start() else { return };
    let shots = std::env::var_os("CALLQA_SCREENSHOTS").map(PathBuf::from);

    // The overview: every agent with its grade, for the newest pay period.
    b.open(&html.join("index.html"));
    let page = b.body_text();
    for agent in ["A1001", "A1002", "A1003"] {
        assert!(page.contains(agent), "{agent} missing:\n{page}");
    }
    let grades = b.js("return Array.from(document.querySelectorAll('section.period:not([hidden]) tr.agent-row .grade')).map(e => e.textContent);");
    assert_eq!(grades.as_array().map(Vec::len), Some(3), "{grades}");
    assert!(b.console_errors().is_empty(), "console errors on the overview");
    if let Some(d) = &shots {
        b.screenshot(&d.join("report-overview.png"));
    }

    // A call page: its findings, its transcript, a player whose file exists, and the injected
    // markup shown as text, never run.
    let call = html.join("call-c0002.html");
    b.open(&call);
    let n = b.js("return document.querySelectorAll('article.finding').length;").as_u64().unwrap();
    assert!(n >= 5, "{n} findings on c0002");
    assert!(b.js("return document.querySelectorAll('li.utterance').length;").as_u64().unwrap() > 3);
    let src = b.js("return document.getElementById('audio').getAttribute('src');");
    let audio = html.join(src.as_str().unwrap().replace("%20", " "));
    assert!(audio.is_file(), "the player points at {}", audio.display());
    assert!(b.console_errors().is_empty(), "console errors on a call page");
    if let Some(d) = &shots {
        b.screenshot(&d.join("report-call.png"));
    }
    b.open(&html.join("call-c0001.html"));
    assert_eq!(b.js("return window.PWNED === undefined;"), Value::Bool(true), "injected script ran");
    assert!(b.body_text().contains("<script>window.PWNED=1</script>"), "injected markup is not shown as text");
    assert_eq!(b.js("return document.querySelectorAll('main img').length;"), json!(0));

    // Search finds a forbidden phrase across calls, client-side from file://.
    b.open(&html.join("search.html"));
    b.type_into("#q", "你自己去看");
    let hits = b.js("return document.querySelectorAll('#results tbody tr').length;").as_u64().unwrap();
    assert!(hits >= 1, "search found nothing");
    assert!(b.console_errors().is_empty(), "console errors on search");

    // Review in the browser: reject the worst finding of c0002, export, and feed the next run.
    b.open(&call);
    let finding = b.js("return document.querySelector('article.finding.counted').getAttribute('data-finding');");
    let finding = finding.as_str().unwrap().to_owned();
    b.type_into("#reviewer", "王主管");
    b.type_into(&format!("article[data-finding='{finding}'] .note"), "客户引用, not the agent's words");
    b.click(&format!("article[data-finding='{finding}'] .reject"));
    b.click("#export-reviews");
    let csv = b.js("return document.getElementById('export-text').value;").as_str().unwrap().to_owned();
    assert!(csv.starts_with("finding_id,verdict,reviewer,note,reviewed_at\n"), "{csv}");
    assert!(csv.contains(&format!("{finding},reject,王主管,\"客户引用, not the agent's words\",")), "{csv}");
    std::fs::write(tmp.path().join("reviews.csv"), &csv).unwrap();
    let o = score(tmp.path(), &asr, &reports);
    assert!(o.status.success(), "{}", text(&o));
    let (_, tables) = callqa::report::read(&reports).unwrap();
    let f = tables.findings.iter().find(|f| f.finding_id == finding).unwrap();
    assert_eq!((f.status.as_str(), f.reviewer.as_deref()), ("rejected", Some("王主管")));
    b.open(&call);
    let shown = b.js(&format!("return document.getElementById('f-{finding}').innerText;"));
    assert!(shown.as_str().unwrap().contains("rejected by 王主管"), "{shown}");
}
