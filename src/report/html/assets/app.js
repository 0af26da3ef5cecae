// callqa report: period picker, click-to-play, reviews kept in this browser and exported as
// reviews.csv, and search over search-index.js. Plain JavaScript, no network, works from file://.
// Every text from data is put into the page with textContent, never as markup.
(function () {
  "use strict";
  var KEY = "callqa.reviews";
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "{}") || {}; } catch (e) { return {}; }
  }
  function save(all) { localStorage.setItem(KEY, JSON.stringify(all)); }

  // ---- period picker (overview) ----
  var picker = $("#period-picker");
  if (picker) {
    picker.addEventListener("change", function () {
      $$("section.period").forEach(function (s) { s.hidden = s.getAttribute("data-period") !== picker.value; });
    });
  }

  // ---- audio: play from an utterance, a finding or a timeline mark ----
  var audio = $("#audio");
  function playFrom(seconds) {
    if (!audio || isNaN(seconds)) { return; }
    audio.currentTime = Math.max(0, seconds - 0.5);
    var p = audio.play();
    if (p && p.catch) { p.catch(function () {}); }
  }
  $$("[data-start]").forEach(function (el) {
    el.addEventListener("click", function (ev) {
      if (ev.target.closest && ev.target.closest("button, input, a")) { return; }
      playFrom(parseFloat(el.getAttribute("data-start")));
    });
  });

  // ---- reviews ----
  var reviewer = $("#reviewer");
  if (reviewer) {
    reviewer.value = localStorage.getItem("callqa.reviewer") || "";
    reviewer.addEventListener("change", function () { localStorage.setItem("callqa.reviewer", reviewer.value.trim()); });
  }
  function showDecisions() {
    var all = load();
    $$(".review").forEach(function (box) {
      var id = box.getAttribute("data-finding");
      var d = all[id];
      var out = $(".decision", box);
      if (d) {
        out.textContent = (d.verdict === "reject" ? "rejected" : "confirmed") + " by " + d.reviewer + (d.note ? ": " + d.note : "") + " (in this browser, not yet applied)";
        $(".note", box).value = d.note || "";
      } else {
        out.textContent = "";
      }
    });
    var count = $("#review-count");
    if (count) { count.textContent = String(Object.keys(all).length); }
  }
  $$(".review").forEach(function (box) {
    var id = box.getAttribute("data-finding");
    ["confirm", "reject"].forEach(function (verdict) {
      $("." + verdict, box).addEventListener("click", function () {
        var name = reviewer ? reviewer.value.trim() : "";
        if (!name) { alert("Type your name as reviewer first."); if (reviewer) { reviewer.focus(); } return; }
        localStorage.setItem("callqa.reviewer", name);
        var all = load();
        all[id] = { verdict: verdict, reviewer: name, note: $(".note", box).value.trim(), reviewed_at: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"), at: Date.now() };
        save(all);
        showDecisions();
      });
    });
  });

  // CSV exactly as `callqa run` reads reviews.csv: finding_id,verdict,reviewer,note,reviewed_at,
  // in the order the decisions were made (the last row for a finding decides).
  function cell(s) {
    s = String(s == null ? "" : s);
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function reviewsCsv() {
    var all = load();
    var ids = Object.keys(all).sort(function (a, b) { return (all[a].at || 0) - (all[b].at || 0) || (a < b ? -1 : 1); });
    var lines = ["finding_id,verdict,reviewer,note,reviewed_at"];
    ids.forEach(function (id) {
      var d = all[id];
      lines.push([id, d.verdict, d.reviewer, d.note, d.reviewed_at].map(cell).join(","));
    });
    return lines.join("\n") + "\n";
  }
  var exportButton = $("#export-reviews");
  if (exportButton) {
    exportButton.addEventListener("click", function () {
      var csv = reviewsCsv();
      var text = $("#export-text");
      text.hidden = false;
      text.value = csv;
      var a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" }));
      a.download = "reviews.csv";
      document.body.appendChild(a);
      a.click();
      a.remove();
    });
  }
  var clearButton = $("#clear-reviews");
  if (clearButton) {
    clearButton.addEventListener("click", function () {
      if (confirm("Forget the review decisions kept in this browser?")) { save({}); showDecisions(); }
    });
  }
  window.callqaReviewsCsv = reviewsCsv;
  showDecisions();

  // ---- search ----
  // search-index.js sets window.CALLQA_INDEX = {calls: [[call_id, page, agent_id, agent_name,
  // team, month]], rows: [[call, kind "f"|"u", start_s, category, rule_id, rule_name, status
  // (role for utterances), text]]}.
  var form = $("#search");
  if (form && window.CALLQA_INDEX) {
    var idx = window.CALLQA_INDEX;
    var body = $("#results tbody");
    var fields = ["q", "f-kind", "f-agent", "f-team", "f-category", "f-rule", "f-status", "f-month"];
    var run = function () {
      var v = {};
      fields.forEach(function (f) { v[f] = $("#" + f).value; });
      var q = v.q.trim().toLowerCase();
      var shown = 0, matched = 0, frag = document.createDocumentFragment();
      idx.rows.forEach(function (r) {
        var c = idx.calls[r[0]];
        if (v["f-kind"] && r[1] !== v["f-kind"]) { return; }
        if (v["f-agent"] && c[2] !== v["f-agent"]) { return; }
        if (v["f-team"] && c[4] !== v["f-team"]) { return; }
        if (v["f-category"] && r[3] !== v["f-category"]) { return; }
        if (v["f-rule"] && r[4] !== v["f-rule"]) { return; }
        if (v["f-status"] && r[6] !== v["f-status"]) { return; }
        if (v["f-month"] && c[5] !== v["f-month"]) { return; }
        if (q && r[7].toLowerCase().indexOf(q) < 0 && r[5].toLowerCase().indexOf(q) < 0) { return; }
        matched++;
        if (shown >= 500) { return; }
        shown++;
        var tr = document.createElement("tr");
        var link = document.createElement("a");
        link.href = c[1];
        link.textContent = c[0];
        var td = document.createElement("td");
        td.appendChild(link);
        tr.appendChild(td);
        var m = Math.floor(r[2] / 60), s = (r[2] % 60).toFixed(1);
        [c[2] + " " + c[3], m + ":" + (s < 10 ? "0" : "") + s, r[1] === "f" ? "finding" : "utterance", r[1] === "f" ? r[5] + " (" + r[6] + ")" : r[6], r[7]].forEach(function (t) {
          var cellEl = document.createElement("td");
          cellEl.textContent = t;
          tr.appendChild(cellEl);
        });
        frag.appendChild(tr);
      });
      body.textContent = "";
      body.appendChild(frag);
      $("#search-count").textContent = matched + " match(es)" + (matched > shown ? ", first " + shown + " shown" : "");
    };
    fields.forEach(function (f) { $("#" + f).addEventListener("input", run); });
    run();
  }
})();
