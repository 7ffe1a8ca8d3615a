/* madoguchi web survey form: small helps on top of a form that works without JavaScript.
 * - focus the error summary the server sent (also `autofocus`), so a screen reader reads it first;
 * - the visible character count of free-text answers (the limit is also written next to the field);
 * - Enter never submits the form: not while an IME is composing (日本語入力の変換確定), and not from a
 *   radio button or check box either; the resident submits with the button.
 */
(function () {
  "use strict";

  function counters() {
    document.querySelectorAll("[data-count-for]").forEach(function (count) {
      const field = document.getElementById(count.getAttribute("data-count-for"));
      if (!field) return;
      const max = parseInt(field.getAttribute("data-max") || field.getAttribute("maxlength") || "0", 10);
      const update = function () {
        const length = field.value.replace(/\r\n/g, "\n").length;
        count.textContent = length + "文字（あと" + Math.max(0, max - length) + "文字）";
      };
      field.addEventListener("input", update);
      update();
    });
  }

  function enterGuard() {
    document.querySelectorAll("form.sv-form").forEach(function (form) {
      let composing = false;
      form.addEventListener("compositionstart", function () { composing = true; });
      form.addEventListener("compositionend", function () {
        // Safari sends the confirming Enter's keydown after compositionend: keep the flag for that keydown.
        setTimeout(function () { composing = false; }, 0);
      });
      form.addEventListener("keydown", function (event) {
        if (event.key !== "Enter") return;
        const target = event.target;
        if (event.isComposing || event.keyCode === 229 || composing) {
          if (target.tagName !== "TEXTAREA") event.preventDefault();
          return;
        }
        if (target.tagName === "INPUT" && target.type !== "submit") event.preventDefault();
      });
    });
  }

  function focusSummary() {
    const summary = document.getElementById("error-summary");
    if (summary && document.activeElement !== summary) summary.focus();
  }

  function start() {
    counters();
    enterGuard();
    focusSummary();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
