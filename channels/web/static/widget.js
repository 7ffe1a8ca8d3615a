/*! madoguchi web widget — embed with
 *   <script src="https://<gateway>/widget.js" data-city="みどり野市" async></script>
 * Adds a launcher and a chat panel inside a shadow root. Talks to the gateway the script came from.
 * Rules kept here: resident and knowledge-base text only ever goes through textContent / text nodes;
 * links only for http(s) URLs, opened with rel="noopener noreferrer".
 */
(function () {
  "use strict";

  const script = document.currentScript ||
    Array.prototype.slice.call(document.querySelectorAll("script[src]")).filter(function (s) {
      return /\/widget\.js(\?|#|$)/.test(s.src);
    }).pop();
  if (!script || window.__madoguchiWidget) return;
  window.__madoguchiWidget = true;

  const CSS = "__MADOGUCHI_WIDGET_CSS__";
  const BASE = new URL(script.src, location.href).origin;
  const PAGE_MODE = script.getAttribute("data-mode") === "page";
  const CITY_ATTR = (script.getAttribute("data-city") || "").trim();
  const SESSION_KEY = "madoguchi.session";
  const PREFS_KEY = "madoguchi.prefs";
  const FONT_STEPS = [14, 16, 18, 21, 24];
  const FONT_NAMES = ["小", "標準", "やや大", "大", "特大"];
  const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
  const URL_RE = /https?:\/\/[^\s<>"'「」『』（）()、。]+/g;

  // --- small helpers ---------------------------------------------------------------------------------

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (attrs[k] === false || attrs[k] == null) return;
        node.setAttribute(k, attrs[k] === true ? "" : String(attrs[k]));
      });
    }
    if (text != null) node.textContent = String(text);
    return node;
  }

  function store(key, value) {
    try {
      if (value === undefined) return JSON.parse(localStorage.getItem(key) || "null");
      localStorage.setItem(key, JSON.stringify(value));
    } catch (e) { /* storage disabled: the widget still works for this page */ }
    return null;
  }

  function newSessionId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function safeUrl(raw) {
    try {
      const url = new URL(String(raw), BASE);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function externalLink(href, label) {
    const a = el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, label);
    a.appendChild(el("span", { class: "mg-sr" }, "(新しいタブで開きます)"));
    return a;
  }

  async function api(path, options) {
    const response = await fetch(BASE + path, Object.assign({ credentials: "omit", mode: "cors" }, options || {}));
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      const detail = body && typeof body.detail === "string" ? body.detail : null;
      const err = new Error(detail || "HTTP " + response.status);
      err.status = response.status;
      err.friendly = detail;
      throw err;
    }
    return body;
  }

  function postJson(path, payload) {
    return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) });
  }

  // --- state -----------------------------------------------------------------------------------------

  let sessionId = store(SESSION_KEY);
  if (typeof sessionId !== "string" || !/^[0-9a-f]{32}$/.test(sessionId)) {
    sessionId = newSessionId();
    store(SESSION_KEY, sessionId);
  }
  const prefs = Object.assign({ font: 1, furigana: false }, store(PREFS_KEY) || {});
  prefs.font = Math.max(0, Math.min(FONT_STEPS.length - 1, prefs.font | 0));
  let config = null;
  let busy = false;
  let composing = false;
  let historyLoaded = false;
  const furiganaCache = new Map();
  const texts = []; // [{node, text}] every rendered message text, repainted when furigana is toggled

  // --- DOM ---------------------------------------------------------------------------------------------

  const host = el("div", { id: "madoguchi-widget", "data-madoguchi": "" });
  const root = host.attachShadow({ mode: "open" });
  const style = el("style");
  style.textContent = CSS;
  root.appendChild(style);

  const wrap = el("div", { class: "mg-root " + (PAGE_MODE ? "mg-page" : "mg-float"), lang: "ja" });
  root.appendChild(wrap);

  const launcher = el("button", { type: "button", class: "mg-launcher", "aria-expanded": "false",
    "aria-controls": "mg-panel" });
  const SVG_NS = "http://www.w3.org/2000/svg";
  const icon = document.createElementNS(SVG_NS, "svg");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("aria-hidden", "true");
  icon.setAttribute("focusable", "false");
  const iconPath = document.createElementNS(SVG_NS, "path");
  iconPath.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z" +
    "m3 6.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z" +
    "m5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z");
  icon.appendChild(iconPath);
  launcher.appendChild(icon);
  launcher.appendChild(el("span", null, "チャットで質問"));
  if (!PAGE_MODE) wrap.appendChild(launcher);

  const panel = el("section", PAGE_MODE
    ? { id: "mg-panel", class: "mg-panel", "aria-labelledby": "mg-title" }
    : { id: "mg-panel", class: "mg-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "mg-title",
      hidden: true });
  wrap.appendChild(panel);

  const header = el("div", { class: "mg-header" });
  const title = el(PAGE_MODE ? "h1" : "h2", { id: "mg-title", class: "mg-title" }, titleText(CITY_ATTR));
  const tools = el("div", { class: "mg-tools", role: "group", "aria-label": "表示の設定" });
  const smaller = el("button", { type: "button", class: "mg-tool mg-smaller" }, "A-");
  smaller.appendChild(el("span", { class: "mg-sr" }, "(文字を小さくする)"));
  const bigger = el("button", { type: "button", class: "mg-tool mg-bigger" }, "A+");
  bigger.appendChild(el("span", { class: "mg-sr" }, "(文字を大きくする)"));
  const rubyToggle = el("button", { type: "button", class: "mg-tool mg-ruby-toggle", "aria-pressed": "false" }, "ふりがな");
  const closeBtn = el("button", { type: "button", class: "mg-tool mg-close", "aria-label": "チャットを閉じる" }, "×");
  tools.append(smaller, bigger, rubyToggle);
  if (!PAGE_MODE) tools.appendChild(closeBtn);
  header.append(title, tools);

  const notice = el("p", { class: "mg-notice" },
    "AIが24時間自動でお答えします。マイナンバーなどの個人情報は入力しないでください。");
  const log = el("div", { class: "mg-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-label": "会話の履歴", tabindex: "0" });
  const status = el("p", { class: "mg-status", role: "status", "aria-live": "polite" });

  const actions = el("div", { class: "mg-actions", role: "group", "aria-label": "その他の操作" });
  const photoBtn = el("button", { type: "button", class: "mg-action mg-photo" }, "写真を送る");
  const locBtn = el("button", { type: "button", class: "mg-action mg-location", "aria-expanded": "false",
    "aria-controls": "mg-consent" }, "現在地を送る");
  const humanBtn = el("button", { type: "button", class: "mg-action mg-human" }, "担当者と話したい");
  const profileBtn = el("button", { type: "button", class: "mg-action mg-profile-toggle", "aria-expanded": "false",
    "aria-controls": "mg-profile" }, "登録情報");
  // Shown only while a survey is open; a plain link (the form works without this script).
  const surveyLink = el("a", { class: "mg-action mg-survey", target: "_blank", rel: "noopener noreferrer",
    href: BASE + "/surveys", hidden: true });
  actions.append(photoBtn, locBtn, profileBtn, surveyLink, humanBtn);
  const fileInput = el("input", { type: "file", accept: "image/*", capture: "environment", hidden: true,
    tabindex: "-1", "aria-hidden": "true", class: "mg-file" });

  const consent = el("div", { id: "mg-consent", class: "mg-box mg-consent", hidden: true });
  const consentText = el("p", { id: "mg-consent-text" },
    "端末の現在地(緯度・経度)を取得して市に送信します。場所の報告以外には使いません。送信してよろしいですか？");
  const consentYes = el("button", { type: "button", class: "mg-primary mg-consent-yes",
    "aria-describedby": "mg-consent-text" }, "送信する");
  const consentNo = el("button", { type: "button", class: "mg-action mg-consent-no" }, "やめる");
  const consentRow = el("div", { class: "mg-row" });
  consentRow.append(consentYes, consentNo);
  consent.append(consentText, consentRow);

  const form = el("form", { class: "mg-form", novalidate: true });
  const inputLabel = el("label", { for: "mg-input", class: "mg-sr" }, "質問を入力(Enterで送信、Shift+Enterで改行)");
  const input = el("textarea", { id: "mg-input", class: "mg-input", rows: "1", maxlength: "1000",
    placeholder: "ご質問をどうぞ", autocomplete: "off", enterkeyhint: "send" });
  const sendBtn = el("button", { type: "submit", class: "mg-send" }, "送信");
  form.append(inputLabel, input, sendBtn);

  // 「登録情報」: the optional age group and area, with the consent text, to see, change or delete.
  const profileBox = el("div", { id: "mg-profile", class: "mg-box mg-profile", hidden: true, role: "group",
    "aria-labelledby": "mg-profile-title" });

  panel.append(header, notice, log, status, consent, profileBox, actions, form, fileInput);

  function mount() {
    (document.body || document.documentElement).appendChild(host);
    applyFont();
    applyRubyPressed();
    if (PAGE_MODE) {
      loadHistory();
      loadConfig();
      loadSurveys();
    }
  }

  function titleText(city) {
    return (city ? city + " " : "") + "AIチャット窓口";
  }

  // --- opening and closing ---------------------------------------------------------------------------

  function openPanel() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.hidden = true;
    loadHistory();
    loadConfig();
    loadSurveys();
    input.focus();
    scrollToEnd();
  }

  function closePanel() {
    if (PAGE_MODE) return;
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", openPanel);
  closeBtn.addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.isComposing || event.keyCode === 229) return;
    if (!consent.hidden) {
      hideConsent(true);
    } else if (!profileBox.hidden) {
      hideProfile(true);
    } else {
      closePanel();
    }
    event.preventDefault();
  });

  // --- rendering messages ----------------------------------------------------------------------------

  let pinned = true; // follow new messages unless the resident scrolled up to read

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
    pinned = true;
  }

  function keepPinned() {
    if (pinned) log.scrollTop = log.scrollHeight;
  }

  log.addEventListener("scroll", function () {
    pinned = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  });
  if (window.ResizeObserver) new ResizeObserver(keepPinned).observe(log);

  function addMessage(role, text, into) {
    const bubble = el("div", { class: "mg-msg mg-" + role });
    const who = role === "user" ? "あなた:" : role === "bot" ? "窓口:" : "お知らせ:";
    bubble.appendChild(el("span", { class: "mg-sr" }, who));
    const p = el("p", { class: "mg-text" });
    bubble.appendChild(p);
    const entry = { node: p, text: String(text || "") };
    texts.push(entry);
    paint(entry);
    (into || log).appendChild(bubble);
    scrollToEnd();
    return bubble;
  }

  function paint(entry) {
    const node = entry.node;
    node.textContent = "";
    let last = 0;
    const text = entry.text;
    text.replace(URL_RE, function (match, offset) {
      if (offset > last) paintPlain(node, entry, text.slice(last, offset));
      const href = safeUrl(match);
      node.appendChild(href ? externalLink(href, match) : document.createTextNode(match));
      last = offset + match.length;
      return match;
    });
    if (last < text.length) paintPlain(node, entry, text.slice(last));
  }

  function paintPlain(node, entry, text) {
    const segments = prefs.furigana ? furiganaCache.get(text) : null;
    if (!segments) {
      node.appendChild(document.createTextNode(text));
      if (prefs.furigana && /[\u3400-\u9fff々]/.test(text)) requestFurigana(text, entry);
      return;
    }
    segments.forEach(function (seg) {
      if (!seg.reading) {
        node.appendChild(document.createTextNode(seg.text));
        return;
      }
      const ruby = el("ruby");
      ruby.appendChild(document.createTextNode(seg.text));
      ruby.appendChild(el("rp", null, "("));
      ruby.appendChild(el("rt", null, seg.reading));
      ruby.appendChild(el("rp", null, ")"));
      node.appendChild(ruby);
    });
  }

  const pendingFurigana = new Map();

  function requestFurigana(text, entry) {
    if (pendingFurigana.has(text)) {
      pendingFurigana.get(text).add(entry);
      return;
    }
    pendingFurigana.set(text, new Set([entry]));
    // POST, not a query string: the resident's words stay out of URLs and logs.
    postJson("/api/v1/furigana", { text: text.slice(0, 2000) }).then(function (body) {
      const segments = body && Array.isArray(body.segments) ? body.segments.map(function (s) {
        return { text: String(s.text), reading: typeof s.reading === "string" ? s.reading : null };
      }) : [{ text: text, reading: null }];
      furiganaCache.set(text, segments);
    }).catch(function () {
      furiganaCache.set(text, [{ text: text, reading: null }]);
    }).then(function () {
      const waiting = pendingFurigana.get(text);
      pendingFurigana.delete(text);
      if (prefs.furigana && waiting) waiting.forEach(paint);
      keepPinned();
    });
  }

  function addQuickReplies(bubble, quickReplies) {
    const valid = (quickReplies || []).filter(function (q) { return q && q.label && q.text; });
    if (!valid.length) return;
    const group = el("div", { class: "mg-quick", role: "group", "aria-label": "選択肢" });
    valid.forEach(function (q) {
      const chip = el("button", { type: "button", class: "mg-chip" }, q.label);
      chip.addEventListener("click", function () {
        input.focus();
        send(String(q.text));
      });
      group.appendChild(chip);
    });
    bubble.appendChild(group);
  }

  function addLink(bubble, link) {
    if (!link || typeof link !== "object") return;
    const href = safeUrl(link.url);
    if (!href) return;
    const p = el("p", { class: "mg-link" });
    p.appendChild(externalLink(href, String(link.label || link.url)));
    bubble.appendChild(p);
  }

  function addFeedback(bubble, faqId) {
    const group = el("div", { class: "mg-feedback", role: "group", "aria-label": "この回答は役に立ちましたか" });
    group.appendChild(el("p", { class: "mg-feedback-q", "aria-hidden": "true" }, "この回答は役に立ちましたか？"));
    [[true, "役に立った"], [false, "役に立たなかった"]].forEach(function (choice) {
      const button = el("button", { type: "button", class: "mg-chip mg-fb" }, choice[1]);
      button.addEventListener("click", function () {
        group.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        postJson("/api/v1/feedback", { sender_id: sessionId, faq_id: faqId, helpful: choice[0] })
          .catch(function () { /* feedback is best effort */ })
          .then(function () {
            const thanks = el("p", { class: "mg-thanks", tabindex: "-1" },
              choice[0] ? "ありがとうございます。" : "ご意見ありがとうございます。回答の改善に使わせていただきます。");
            group.replaceWith(thanks);
            thanks.focus();
          });
      });
      group.appendChild(button);
    });
    bubble.appendChild(group);
  }

  function renderResult(body) {
    const replies = body && Array.isArray(body.replies) ? body.replies : [];
    let bubble = null;
    replies.forEach(function (reply) {
      bubble = addMessage("bot", reply.text);
      addQuickReplies(bubble, reply.quick_replies);
    });
    if (bubble && body.link) addLink(bubble, body.link);
    if (bubble && typeof body.faq_id === "string" && body.faq_id) addFeedback(bubble, body.faq_id);
    scrollToEnd();
    if (bubble) maybeAskSatisfaction();
  }

  function greet(into) {
    const name = config && config.city ? config.city : CITY_ATTR;
    const bubble = addMessage("bot", "こんにちは。" + (name ? name + "の" : "") +
      "AIチャット窓口です。手続き・ごみ・施設などのご質問や、道路の破損などのご報告をどうぞ。", into);
    addQuickReplies(bubble, [
      { label: "ごみの出し方", text: "ごみの出し方を知りたい" },
      { label: "住民票がほしい", text: "住民票の写しがほしい" },
      { label: "道路の破損を報告", text: "道路の破損を報告したい" },
    ]);
  }

  // --- talking to the gateway ------------------------------------------------------------------------

  function setBusy(value, message) {
    busy = value;
    clearTimeout(statusTimer);
    sendBtn.disabled = value;
    photoBtn.disabled = value;
    consentYes.disabled = value;
    status.textContent = message || "";
  }

  let statusTimer = 0;
  function announce(text) {
    clearTimeout(statusTimer);
    status.textContent = text;
    statusTimer = setTimeout(function () { if (!busy) status.textContent = ""; }, 5000);
  }

  function showError(err) {
    const text = err && err.friendly ? err.friendly
      : "通信できませんでした。電波の良い場所で、もう一度お試しください。";
    addMessage("system", text);
  }

  async function send(text, metadata) {
    text = String(text || "").trim();
    if (!text || busy) return;
    addMessage("user", text);
    setBusy(true, "回答を準備しています…");
    const payload = { sender_id: sessionId, text: text.slice(0, 1000) };
    if (metadata) payload.metadata = metadata;
    try {
      renderResult(await postJson("/api/v1/chat", payload));
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false, "");
    }
  }

  async function loadHistory() {
    if (historyLoaded) return;
    historyLoaded = true;
    log.setAttribute("aria-busy", "true");
    // Earlier turns go above anything sent while they were loading.
    const earlier = document.createDocumentFragment();
    try {
      const body = await api("/api/v1/chat/history?sender_id=" + encodeURIComponent(sessionId));
      const messages = body && Array.isArray(body.messages) ? body.messages : [];
      if (messages.length) {
        earlier.appendChild(el("p", { class: "mg-sr" }, "これまでの会話"));
        messages.forEach(function (m) { addMessage(m.role === "user" ? "user" : "bot", m.text, earlier); });
      } else {
        await loadConfig();
        greet(earlier);
      }
    } catch (err) {
      greet(earlier);
    } finally {
      log.insertBefore(earlier, log.firstChild);
      log.removeAttribute("aria-busy");
      scrollToEnd();
    }
  }

  let configPromise = null;
  function loadConfig() {
    if (!configPromise) {
      configPromise = api("/api/v1/widget-config").then(function (body) {
        config = body || {};
        if (!CITY_ATTR && config.city) title.textContent = titleText(config.city);
      }).catch(function () { config = null; configPromise = null; });
    }
    return configPromise;
  }

  function addContact() {
    const contact = config && config.contact;
    const bubble = el("div", { class: "mg-msg mg-bot mg-contact" });
    bubble.appendChild(el("span", { class: "mg-sr" }, "窓口:"));
    if (!contact) {
      bubble.appendChild(el("p", { class: "mg-text" },
        "担当窓口の情報を読み込めませんでした。市役所の代表電話にお問い合わせください。"));
    } else {
      bubble.appendChild(el("p", { class: "mg-text" }, "担当者とお話しになりたい場合は、こちらへお電話ください。"));
      bubble.appendChild(el("p", { class: "mg-text" }, String(contact.counter || "")));
      const phone = el("p", { class: "mg-text" }, "電話: ");
      const digits = String(contact.phone || "").replace(/[^0-9+]/g, "");
      phone.appendChild(digits ? el("a", { href: "tel:" + digits }, String(contact.phone))
        : document.createTextNode(String(contact.phone || "")));
      bubble.appendChild(phone);
      bubble.appendChild(el("p", { class: "mg-text" }, "受付時間: " + String(contact.hours || "")));
    }
    log.appendChild(bubble);
    scrollToEnd();
  }

  // --- input: Enter sends, except while an IME is composing; Shift+Enter is a newline ----------------

  input.addEventListener("compositionstart", function () { composing = true; });
  input.addEventListener("compositionend", function () {
    // Safari sends the confirming Enter's keydown after compositionend: keep the flag for that keydown.
    setTimeout(function () { composing = false; }, 0);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    if (event.isComposing || event.keyCode === 229 || composing) return;
    if (event.shiftKey) return;
    event.preventDefault();
    submit();
  });
  input.addEventListener("input", autosize);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 4, 160) + "px";
  }

  function submit() {
    const text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    autosize();
    send(text);
  }

  // --- display settings --------------------------------------------------------------------------------

  function savePrefs() { store(PREFS_KEY, prefs); }

  function applyFont() {
    wrap.style.setProperty("--mg-font", FONT_STEPS[prefs.font] + "px");
    smaller.disabled = prefs.font === 0;
    bigger.disabled = prefs.font === FONT_STEPS.length - 1;
  }

  function changeFont(delta) {
    prefs.font = Math.max(0, Math.min(FONT_STEPS.length - 1, prefs.font + delta));
    applyFont();
    savePrefs();
    announce("文字の大きさ: " + FONT_NAMES[prefs.font]);
  }

  smaller.addEventListener("click", function () { changeFont(-1); });
  bigger.addEventListener("click", function () { changeFont(1); });

  function applyRubyPressed() {
    rubyToggle.setAttribute("aria-pressed", prefs.furigana ? "true" : "false");
  }

  rubyToggle.addEventListener("click", function () {
    prefs.furigana = !prefs.furigana;
    applyRubyPressed();
    savePrefs();
    texts.forEach(paint);
    keepPinned();
    announce(prefs.furigana ? "ふりがなを表示します" : "ふりがなを消しました");
  });

  // --- talking to a person -----------------------------------------------------------------------------

  humanBtn.addEventListener("click", function () {
    loadConfig().then(addContact);
  });

  // --- reports: photo and location ---------------------------------------------------------------------

  photoBtn.addEventListener("click", function () {
    if (!busy) fileInput.click();
  });

  fileInput.addEventListener("change", async function () {
    const file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (!file) return;
    if (!/^image\//.test(file.type || "")) {
      addMessage("system", "画像ファイル(写真)を選んでください。");
      return;
    }
    if (file.size > MAX_PHOTO_BYTES) {
      addMessage("system", "写真が大きすぎます(10MBまで)。小さくしてからお送りください。");
      return;
    }
    setBusy(true, "写真を送信しています…");
    let uploaded;
    try {
      const data = new FormData();
      data.append("file", file, file.name || "photo.jpg");
      data.append("sender_id", sessionId);
      uploaded = await api("/api/v1/uploads", { method: "POST", body: data });
    } catch (err) {
      setBusy(false, "");
      showError(err);
      return;
    }
    setBusy(false, "");
    if (!uploaded || !uploaded.photo_id) {
      showError(null);
      return;
    }
    const metadata = { photo_ids: [String(uploaded.photo_id)] };
    input.focus();
    await send("写真を送りました", metadata);
  });

  function hideConsent(returnFocus) {
    consent.hidden = true;
    locBtn.setAttribute("aria-expanded", "false");
    if (returnFocus) locBtn.focus();
  }

  locBtn.addEventListener("click", function () {
    if (!consent.hidden) {
      hideConsent(false);
      return;
    }
    if (!navigator.geolocation) {
      addMessage("system", "この端末では現在地を取得できません。住所や目印を入力してください。");
      return;
    }
    hideProfile(false);
    consent.hidden = false;
    locBtn.setAttribute("aria-expanded", "true");
    consentYes.focus();
  });

  consentNo.addEventListener("click", function () { hideConsent(true); });

  consentYes.addEventListener("click", function () {
    hideConsent(false);
    input.focus();
    setBusy(true, "現在地を取得しています…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      setBusy(false, "");
      const lat = Math.round(pos.coords.latitude * 1e6) / 1e6;
      const lon = Math.round(pos.coords.longitude * 1e6) / 1e6;
      send("現在地を送ります", { location: { lat: lat, lon: lon } });
    }, function () {
      setBusy(false, "");
      addMessage("system", "現在地を取得できませんでした。住所や近くの目印を入力してください。");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });

  // --- surveys: the 「アンケート」 link, while one is open ---------------------------------------------------

  let surveysLoadedAt = 0;
  function loadSurveys() {
    // The link carries a hand-over token valid for an hour: fetch it again after half of that.
    if (Date.now() - surveysLoadedAt < 30 * 60 * 1000) return;
    surveysLoadedAt = Date.now();
    api("/api/v1/surveys?sender_id=" + encodeURIComponent(sessionId)).then(function (body) {
      const open = body && Array.isArray(body.surveys) ? body.surveys : [];
      const href = safeUrl(open.length === 1 ? open[0].url : body && body.list_url);
      if (!open.length || !href) {
        surveyLink.hidden = true;
        return;
      }
      surveyLink.href = href;
      surveyLink.textContent = open.length === 1 ? "アンケート" : "アンケート(" + open.length + "件)";
      surveyLink.appendChild(el("span", { class: "mg-sr" },
        (open.length === 1 ? ":" + String(open[0].title || "") : "") + "(新しいタブで開きます)"));
      surveyLink.hidden = false;
    }).catch(function () { surveysLoadedAt = 0; });
  }

  surveyLink.addEventListener("focus", loadSurveys);
  surveyLink.addEventListener("mouseenter", loadSurveys);

  // --- 「登録情報」 (profile) ----------------------------------------------------------------------------

  function hideProfile(returnFocus) {
    profileBox.hidden = true;
    profileBtn.setAttribute("aria-expanded", "false");
    if (returnFocus) profileBtn.focus();
  }

  function choiceSelect(id, label, choices, current) {
    const wrapRow = el("div", { class: "mg-field" });
    wrapRow.appendChild(el("label", { for: id }, label));
    const select = el("select", { id: id, class: "mg-select" });
    select.appendChild(el("option", { value: "" }, "登録しない"));
    choices.forEach(function (c) {
      select.appendChild(el("option", { value: String(c), selected: String(c) === current }, String(c)));
    });
    wrapRow.appendChild(select);
    return { row: wrapRow, select: select };
  }

  function renderProfile(data, message) {
    profileBox.textContent = "";
    profileBox.appendChild(el("p", { id: "mg-profile-title", class: "mg-box-title" }, "登録情報(任意)"));
    const now = data.registered
      ? "登録中: " + [data.age_group || "年代なし", data.area || "地区なし"].join("・")
      : "登録されていません。";
    profileBox.appendChild(el("p", { class: "mg-profile-now" }, now));
    const age = choiceSelect("mg-profile-age", "年代", data.age_groups || [], data.age_group || "");
    profileBox.appendChild(age.row);
    const areas = Array.isArray(data.areas) ? data.areas : [];
    const area = areas.length ? choiceSelect("mg-profile-area", "地区", areas, data.area || "") : null;
    if (area) profileBox.appendChild(area.row);
    profileBox.appendChild(el("p", { id: "mg-profile-consent", class: "mg-profile-consent" }, data.consent_text || ""));
    let agree = null;
    if (data.needs_consent) {
      const row = el("div", { class: "mg-check" });
      agree = el("input", { type: "checkbox", id: "mg-profile-agree", "aria-describedby": "mg-profile-consent" });
      row.append(agree, el("label", { for: "mg-profile-agree" }, "上の説明に同意して登録します"));
      profileBox.appendChild(row);
    }
    const error = el("p", { class: "mg-profile-error", role: "alert" });
    profileBox.appendChild(error);
    const buttons = el("div", { class: "mg-row" });
    const save = el("button", { type: "button", class: "mg-primary mg-profile-save" }, "保存する");
    buttons.appendChild(save);
    let remove = null;
    if (data.registered) {
      remove = el("button", { type: "button", class: "mg-action mg-profile-delete" }, "登録を削除する");
      buttons.appendChild(remove);
    }
    const close = el("button", { type: "button", class: "mg-action mg-profile-close" }, "閉じる");
    buttons.appendChild(close);
    profileBox.appendChild(buttons);
    close.addEventListener("click", function () { hideProfile(true); });

    save.addEventListener("click", function () {
      error.textContent = "";
      if (agree && !agree.checked) {
        error.textContent = "登録するには「上の説明に同意して登録します」にチェックを入れてください。";
        agree.focus();
        return;
      }
      save.disabled = true;
      api("/api/v1/profile", { method: "PUT", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender_id: sessionId, age_group: age.select.value || null,
          area: area ? area.select.value || null : null, consent: !!(agree && agree.checked) }) })
        .then(function (body) { showProfile(body, body && body.message); })
        .catch(function (err) {
          save.disabled = false;
          error.textContent = err && err.friendly ? err.friendly : "保存できませんでした。もう一度お試しください。";
        });
    });
    if (remove) {
      remove.addEventListener("click", function () {
        remove.disabled = true;
        api("/api/v1/profile?sender_id=" + encodeURIComponent(sessionId), { method: "DELETE" })
          .then(function (body) { return loadProfile(body && body.message); })
          .catch(function (err) {
            remove.disabled = false;
            error.textContent = err && err.friendly ? err.friendly : "削除できませんでした。もう一度お試しください。";
          });
      });
    }
    if (message) announce(message);
  }

  function showProfile(data, message) {
    renderProfile(data || {}, message);
    const title = profileBox.querySelector(".mg-profile-now");
    if (title) {
      title.setAttribute("tabindex", "-1");
      title.focus();
    }
  }

  function loadProfile(message) {
    return api("/api/v1/profile?sender_id=" + encodeURIComponent(sessionId))
      .then(function (body) { showProfile(body, message); })
      .catch(function (err) {
        profileBox.textContent = "";
        profileBox.appendChild(el("p", { id: "mg-profile-title", class: "mg-box-title" }, "登録情報(任意)"));
        profileBox.appendChild(el("p", { role: "alert" }, err && err.friendly ? err.friendly
          : "登録情報を読み込めませんでした。時間をおいてもう一度お試しください。"));
      });
  }

  profileBtn.addEventListener("click", function () {
    if (!profileBox.hidden) {
      hideProfile(false);
      return;
    }
    hideConsent(false);
    profileBox.hidden = false;
    profileBtn.setAttribute("aria-expanded", "true");
    loadProfile();
  });

  // --- the satisfaction check: asked after an answer when it is due (at most once per page) -------------

  let satisfactionChecked = false;
  function maybeAskSatisfaction() {
    if (satisfactionChecked) return;
    satisfactionChecked = true;
    postJson("/api/v1/satisfaction/due", { sender_id: sessionId }).then(function (body) {
      if (!body || !body.due || !Array.isArray(body.choices)) return;
      const bubble = el("div", { class: "mg-msg mg-bot mg-satisfaction" });
      bubble.appendChild(el("span", { class: "mg-sr" }, "窓口:"));
      const question = el("p", { class: "mg-text", id: "mg-satisfaction-q" }, String(body.question || ""));
      bubble.appendChild(question);
      const group = el("div", { class: "mg-quick", role: "group", "aria-labelledby": "mg-satisfaction-q" });
      body.choices.forEach(function (choice) {
        const button = el("button", { type: "button", class: "mg-chip mg-score" }, String(choice.label));
        button.addEventListener("click", function () {
          group.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
          postJson("/api/v1/satisfaction", { sender_id: sessionId, score: choice.score, ticket: body.ticket })
            .then(function (answer) { return answer && answer.message; })
            .catch(function (err) { return err && err.friendly; })
            .then(function (text) {
              const thanks = el("p", { class: "mg-thanks", tabindex: "-1" }, text || "ありがとうございます。");
              group.replaceWith(thanks);
              thanks.focus();
            });
        });
        group.appendChild(button);
      });
      const skip = el("button", { type: "button", class: "mg-chip mg-score-skip" }, "答えない");
      skip.addEventListener("click", function () {
        const done = el("p", { class: "mg-thanks", tabindex: "-1" }, "わかりました。");
        group.replaceWith(done);
        done.focus();
      });
      group.appendChild(skip);
      bubble.appendChild(group);
      log.appendChild(bubble);
      keepPinned();
    }).catch(function () { /* the check is optional */ });
  }

  // --- start ---------------------------------------------------------------------------------------------

  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }
})();
