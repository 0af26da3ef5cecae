//! The report's charts as inline SVG: a call's two-lane timeline, an agent's score trend and
//! deductions by category.
//!
//! Plain SVG strings rather than a plotting crate: three small charts with no axes library
//! needs, and the output stays a few hundred bytes per chart. Every string from data goes
//! through [`esc`]; everything else is numbers this module formats.

use std::fmt::Write as _;

use crate::report::{FindingRow, SegmentRow};

/// Escapes text for SVG/HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const W: f64 = 900.0;

/// A call on one line per speaker: speech as bars, dead air and overtalk shaded, findings as
/// marks (click one to play from there: `data-start` seconds).
/// `show` gives a text as the page shows it (masked when the HTML is redacted).
pub fn timeline(duration_ms: i64, segments: &[&SegmentRow], findings: &[&FindingRow], show: &dyn Fn(&str) -> String) -> String {
    let total = segments.iter().map(|s| s.end_ms).chain(findings.iter().map(|f| f.end_ms)).fold(duration_ms.max(1), i64::max) as f64;
    let x = |ms: i64| 60.0 + (ms as f64 / total) * (W - 70.0);
    let lane = |role: &str| match role {
        "customer" => 40.0,
        _ => 12.0,
    };
    let mut s = String::new();
    let _ = write!(s, r#"<svg class="timeline" viewBox="0 0 {W} 92" role="img" aria-label="timeline">"#);
    let _ = write!(s, r#"<text x="4" y="26" class="lane">agent</text><text x="4" y="54" class="lane">customer</text>"#);
    for f in findings.iter().filter(|f| f.category == "silence" || f.category == "overtalk") {
        let cls = if f.category == "silence" { "deadair" } else { "overtalk" };
        let _ = write!(
            s,
            r#"<rect class="{cls}" x="{:.1}" y="8" width="{:.1}" height="60"><title>{}</title></rect>"#,
            x(f.start_ms),
            (x(f.end_ms.max(f.start_ms)) - x(f.start_ms)).max(1.0),
            esc(&show(&f.detail))
        );
    }
    for seg in segments {
        let y = lane(&seg.role);
        let _ = write!(
            s,
            r#"<rect class="speech {}" x="{:.1}" y="{y}" width="{:.1}" height="20" data-start="{:.2}"><title>{}</title></rect>"#,
            esc(&seg.role),
            x(seg.start_ms),
            (x(seg.end_ms) - x(seg.start_ms)).max(1.0),
            seg.start_ms as f64 / 1000.0,
            esc(&show(&seg.text))
        );
    }
    for f in findings {
        let cx = x(f.start_ms);
        let _ = write!(
            s,
            r##"<a href="#f-{}"><path class="mark {}" d="M{cx:.1} 70 l-5 10 h10 z" data-start="{:.2}"><title>{}</title></path></a>"##,
            esc(&f.finding_id),
            esc(&f.severity),
            f.start_ms as f64 / 1000.0,
            esc(&format!("{} ({})", f.rule_name, f.status))
        );
    }
    let _ = write!(s, r#"<text x="60" y="90" class="tick">0:00</text><text x="{:.0}" y="90" class="tick" text-anchor="end">{}</text>"#, W - 10.0, esc(&crate::report::view::clock(total as i64)));
    s.push_str("</svg>");
    s
}

/// Lines of (label, day, value) series on one time axis (`day`: days since any fixed date, a
/// period's first day): an agent's day and week scores.
pub fn trend(series: &[(&str, &[(String, f64, f64)])]) -> String {
    let points: usize = series.iter().map(|(_, v)| v.len()).sum();
    if points == 0 {
        return String::new();
    }
    let (h, top, bottom) = (180.0, 10.0, 150.0);
    let y = |v: f64| bottom - (v.clamp(0.0, 100.0) / 100.0) * (bottom - top);
    let days = series.iter().flat_map(|(_, v)| v.iter().map(|p| p.1));
    let (first, last) = days.fold((f64::MAX, f64::MIN), |(a, b), d| (a.min(d), b.max(d)));
    let span = (last - first).max(1.0);
    let x = |d: f64| 50.0 + (d - first) / span * (W - 70.0);
    let mut s = String::new();
    let _ = write!(s, r#"<svg class="trend" viewBox="0 0 {W} {h}" role="img" aria-label="score trend">"#);
    for v in [0.0, 60.0, 80.0, 100.0] {
        let _ = write!(s, r#"<line class="grid" x1="40" x2="{}" y1="{:.1}" y2="{:.1}"/><text class="tick" x="4" y="{:.1}">{v}</text>"#, W - 10.0, y(v), y(v), y(v) + 4.0);
    }
    for (i, (name, values)) in series.iter().enumerate() {
        if values.is_empty() {
            continue;
        }
        let pts: Vec<String> = values.iter().map(|(_, d, v)| format!("{:.1},{:.1}", x(*d), y(*v))).collect();
        let _ = write!(s, r#"<polyline class="series s{i}" points="{}"/>"#, pts.join(" "));
        for (label, d, v) in values.iter() {
            let _ = write!(s, r#"<circle class="series s{i}" cx="{:.1}" cy="{:.1}" r="3"><title>{} {}: {v:.1}</title></circle>"#, x(*d), y(*v), esc(name), esc(label));
        }
        let _ = write!(s, r#"<text class="legend s{i}" x="{}" y="{}">{}</text>"#, 50 + i * 240, h - 8.0, esc(&format!("{name}s: mean call score")));
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars of (label, value), largest first as given.
pub fn bars(values: &[(String, f64)]) -> String {
    if values.is_empty() {
        return String::new();
    }
    let max = values.iter().map(|(_, v)| *v).fold(0.0, f64::max).max(1.0);
    let h = 24.0 * values.len() as f64 + 8.0;
    let mut s = String::new();
    let _ = write!(s, r#"<svg class="bars" viewBox="0 0 {W} {h}" role="img" aria-label="deductions by category">"#);
    for (i, (label, v)) in values.iter().enumerate() {
        let y = 4.0 + 24.0 * i as f64;
        let _ = write!(
            s,
            r#"<text class="label" x="4" y="{:.1}">{}</text><rect class="bar" x="140" y="{y:.1}" width="{:.1}" height="18"/><text class="value" x="{:.1}" y="{:.1}">{v}</text>"#,
            y + 14.0,
            esc(label),
            (v / max) * (W - 220.0),
            146.0 + (v / max) * (W - 220.0),
            y + 14.0
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_escaped() {
        assert_eq!(esc(r#"<script>alert("x")</script> & 'y'"#), "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;");
        let svg = bars(&[("<b>".into(), 3.0)]);
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"), "{svg}");
    }

    #[test]
    fn empty_charts_draw_nothing() {
        assert_eq!(bars(&[]), "");
        assert_eq!(trend(&[("day", &[])]), "");
    }
}
