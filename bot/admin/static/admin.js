// madoguchi staff console: small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  // Confirm dangerous actions (forms and links with data-confirm).
  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); }
  }, true);
  document.addEventListener("click", function (ev) {
    var link = ev.target.closest && ev.target.closest("a[data-confirm]");
    if (link && !window.confirm(link.getAttribute("data-confirm"))) { ev.preventDefault(); }
  });

  // Live preview of the answer as it will look on LINE and in the widget.
  var form = document.querySelector("[data-faq-form]");
  if (form) {
    var answer = form.querySelector("[data-answer]"), url = form.querySelector("[data-url]"),
        question = form.querySelector("[data-question]"), counter = document.querySelector("[data-count]");
    var limit = 5000;
    var update = function () {
      document.querySelectorAll("[data-preview-text]").forEach(function (el) { el.textContent = answer.value; });
      document.querySelectorAll("[data-preview-question]").forEach(function (el) { el.textContent = question.value; });
      var link = (url.value || "").trim(), ok = /^https?:\/\/\S+$/.test(link);
      document.querySelectorAll("[data-preview-link]").forEach(function (el) { el.hidden = !ok; if (ok) { el.href = link; } });
      if (counter) {
        counter.textContent = answer.value.trim().length.toLocaleString();
        counter.parentNode.classList.toggle("over", answer.value.trim().length > limit);
      }
    };
    [answer, url, question].forEach(function (el) { el.addEventListener("input", update); });
    update();
    var dirty = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("submit", function () { dirty = false; });
    window.addEventListener("beforeunload", function (ev) { if (dirty) { ev.preventDefault(); ev.returnValue = ""; } });
  }

  // "この質問で試す": ask the live searcher without leaving the page.
  document.querySelectorAll("form[data-try]").forEach(function (tryForm) {
    var box = tryForm.parentNode.querySelector(".try-result");
    tryForm.addEventListener("submit", function (ev) {
      var q = tryForm.querySelector("input[name=try]").value.trim();
      if (!q) { ev.preventDefault(); return; }
      ev.preventDefault();
      box.textContent = "検索中…";
      fetch("/admin/faq/try.json?q=" + encodeURIComponent(q), { headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) { render(box, data); })
        .catch(function () { box.textContent = "検索できませんでした。ページを開き直してください。"; });
    });
  });

  var DECISIONS = { answer: "回答する", choose: "候補から選んでもらう", unknown: "わからない(未回答に記録)" };
  function render(box, data) {
    box.textContent = "";
    var p = document.createElement("p"); p.className = "decision";
    p.append("判定: "); var strong = document.createElement("strong"); strong.textContent = DECISIONS[data.decision] || data.decision;
    p.append(strong); var small = document.createElement("small"); small.textContent = " (" + data.reason + ")"; p.append(small);
    box.append(p);
    var ol = document.createElement("ol"); ol.className = "hits";
    if (!data.hits.length) { var li0 = document.createElement("li"); li0.textContent = "一致する FAQ はありません。"; ol.append(li0); }
    data.hits.forEach(function (h) {
      var li = document.createElement("li"), a = document.createElement("a"), code = document.createElement("code"),
          score = document.createElement("span");
      a.href = "/admin/faq/" + encodeURIComponent(h.faq_id); a.textContent = h.question;
      code.textContent = h.faq_id; score.className = "score"; score.textContent = h.score.toFixed(3);
      li.append(a, " ", code, " ", score); ol.append(li);
    });
    box.append(ol);
  }
})();
